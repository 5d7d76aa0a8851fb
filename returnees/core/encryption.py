"""Encryption at rest: personal data sealed with AES-GCM, bound to its row, found by a blind index.

A sealed field reads and writes plaintext in Python (`phone.number`), while its column holds an
envelope, `<key id>:<nonce and ciphertext, base64>`, sealed with the key of that id and with the
row's table, column and id as associated data: an envelope copied into another row, or another
column, does not open. The key id beside each value lets keys rotate (`flask --app wsgi keys
rotate`): the first key of ENCRYPTION_KEYS seals, every one of them opens.

The id is part of the associated data, so a row needs its id before its values can be sealed
(a table keyed by its person, risk_flags, binds its values to that key: `row_key`):
new rows of a model with sealed fields are given their ids before the INSERT (one query per
table and flush: the sequence's next values on PostgreSQL, the highest id and the ones after on
SQLite, whose one writer holds the lock from the first statement of its transaction).
A per-row random column would have done as well, but would have added a column to every such
table, and the bulk inserts already draw their ids first (`db.insert_returning_ids`).

Phones and document numbers stay searchable through a blind index: HMAC-SHA256 under its own
key (BLIND_INDEX_KEY) of the normalised value, truncated to 128 bits, stored beside the
envelope and indexed. Only a whole value can be looked up; a search by its last digits cannot.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Generic, TypeVar

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Flask, current_app, has_app_context
from sqlalchemy import bindparam, event, select, text, true, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.types import Text, TypeDecorator

from returnees.core.settings import SettingsError

EXTENSION = "returnees.keys"
KEY_BYTES = 32
NONCE_BYTES = 12
INDEX_BYTES = 16
INDEX_LENGTH = 2 * INDEX_BYTES  # hex characters of a blind index
KEYS_FILE = "encryption-keys.json"
PLAIN = "plain"  # the key id of values stored unsealed, only ever in the bench's comparison run
T = TypeVar("T")


class UnreadableValue(RuntimeError):
    """An envelope that does not open: a key missing, or a value moved from another row."""


class Envelope(str):
    """A sealed value as stored. Only envelopes may be bound to a sealed column, so a
    plaintext written past the fields (a Core insert, a raw update) fails instead of landing."""

    @property
    def key_id(self) -> str:
        return self.partition(":")[0]


class SealedText(TypeDecorator[str]):
    """The column of a sealed field: text that takes envelopes only."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None or isinstance(value, Envelope):
            return value
        raise TypeError("a sealed column takes envelopes: set the field, which seals its value")

    def process_result_value(self, value: str | None, dialect: Any) -> Envelope | None:
        return None if value is None else Envelope(value)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


@dataclass(frozen=True)
class Keyring:
    """The keys of one deployment: `current` seals, every key of `keys` opens."""

    current: str
    keys: Mapping[str, bytes]
    index_key: bytes
    _ciphers: dict[str, AESGCM] = field(default_factory=dict, compare=False, repr=False)

    def _cipher(self, key_id: str) -> AESGCM:
        if key_id not in self._ciphers:
            if key_id not in self.keys:
                raise UnreadableValue(f"no key {key_id!r} in ENCRYPTION_KEYS")
            self._ciphers[key_id] = AESGCM(self.keys[key_id])
        return self._ciphers[key_id]

    def seal(self, plaintext: str, context: str) -> Envelope:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._cipher(self.current).encrypt(nonce, plaintext.encode(), context.encode())
        return Envelope(f"{self.current}:{_b64(nonce + sealed)}")

    def open(self, envelope: str, context: str) -> str:
        key_id, _sep, body = envelope.partition(":")
        data = _unb64(body)
        try:
            opened = self._cipher(key_id).decrypt(
                data[:NONCE_BYTES], data[NONCE_BYTES:], context.encode()
            )
        except InvalidTag as error:
            raise UnreadableValue(f"the value of {context} does not open: not its row") from error
        return opened.decode()

    def index(self, kind: str, value: str) -> str:
        digest = hmac.new(self.index_key, f"{kind}:{value}".encode(), hashlib.sha256).digest()
        return digest[:INDEX_BYTES].hex()


class PlainKeyring(Keyring):
    """Stores values as they are (key id `plain`) and indexes them by themselves: the bench's
    run without encryption, to which the real one is compared. Refused outside the tests."""

    def seal(self, plaintext: str, context: str) -> Envelope:
        return Envelope(f"{PLAIN}:{plaintext}")

    def open(self, envelope: str, context: str) -> str:
        return envelope.partition(":")[2]

    def index(self, kind: str, value: str) -> str:
        return value


# Keys -------------------------------------------------------------------------------------


def _read_keys(setting: str) -> dict[str, bytes]:
    """`k2=<base64>,k1=<base64>`: each key id and its 32-byte key, the sealing one first."""
    keys: dict[str, bytes] = {}
    for part in filter(None, (p.strip() for p in setting.split(","))):
        key_id, sep, encoded = part.partition("=")
        key_id = key_id.strip()
        if not sep or not key_id.isalnum():
            raise SettingsError(f"ENCRYPTION_KEYS: {key_id or part!r} is not ID=BASE64KEY.")
        keys[key_id] = _key_bytes(f"ENCRYPTION_KEYS ({key_id})", encoded.strip())
    return keys


def _key_bytes(name: str, encoded: str) -> bytes:
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), altchars=b"-_")
    except ValueError as error:
        raise SettingsError(f"{name} is not base64.") from error
    if len(key) != KEY_BYTES:
        raise SettingsError(f"{name} must be {KEY_BYTES} random bytes, base64 (it has {len(key)}).")
    return key


def new_key() -> str:
    """A fresh key, as ENCRYPTION_KEYS and BLIND_INDEX_KEY take it."""
    return _b64(secrets.token_bytes(KEY_BYTES))


def _instance_keys(app: Flask) -> tuple[str, str]:
    """The embedded default's own keys, made on first start under instance/ (never committed)."""
    path = Path(app.instance_path) / KEYS_FILE
    if not path.exists():
        made = {"ENCRYPTION_KEYS": f"k1={new_key()}", "BLIND_INDEX_KEY": new_key()}
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made them first: theirs are read below
        else:
            with os.fdopen(descriptor, "w") as file:
                json.dump(made, file, indent=2)
    stored = json.loads(path.read_text())
    return stored["ENCRYPTION_KEYS"], stored["BLIND_INDEX_KEY"]


def load_keyring(app: Flask) -> Keyring:
    """The keyring from ENCRYPTION_KEYS and BLIND_INDEX_KEY; production refuses to start without
    them, the embedded default makes its own under instance/."""
    config = app.config
    if not config.get("ENCRYPTION_ENABLED", True):
        if config["RETURNEES_ENV"] != "test":
            raise SettingsError("ENCRYPTION_ENABLED=false is only for the bench's comparison run.")
        return PlainKeyring(PLAIN, {}, b"")
    keys, index_key = config.get("ENCRYPTION_KEYS"), config.get("BLIND_INDEX_KEY")
    if not (keys and index_key):
        if config["RETURNEES_ENV"] == "production":
            missing = [n for n in ("ENCRYPTION_KEYS", "BLIND_INDEX_KEY") if not config.get(n)]
            raise SettingsError(
                f"Cannot start in production: set {', '.join(missing)} in the environment "
                "(see the README, Data protection)."
            )
        keys, index_key = _instance_keys(app)
    read = _read_keys(keys)
    if not read:
        raise SettingsError("ENCRYPTION_KEYS names no key.")
    return Keyring(next(iter(read)), read, _key_bytes("BLIND_INDEX_KEY", index_key))


_last_keyring: Keyring | None = None


def init_app(app: Flask) -> None:
    global _last_keyring
    app.extensions[EXTENSION] = _last_keyring = load_keyring(app)


def keyring() -> Keyring:
    """The app's keyring; outside an app context (an object read after its request), the
    keyring of the app built last in this process."""
    if has_app_context():
        return current_app.extensions[EXTENSION]
    if _last_keyring is None:
        raise RuntimeError("no app has loaded its keys")
    return _last_keyring


# Normalised values and their index ----------------------------------------------------------


def phone_index(number: str | None) -> str | None:
    """The blind index of a phone number in E.164 (+50255551234); None for no number."""
    number = "".join((number or "").split())
    return keyring().index("phone", number) if number else None


def document_index(number: str | None) -> str | None:
    """The blind index of a document number: letters and digits only, upper case."""
    number = normalise_document(number)
    return keyring().index("document", number) if number else None


def normalise_document(number: str | None) -> str:
    return "".join(char for char in (number or "").upper() if char.isalnum())


def one_digit_variants(number: str) -> Iterator[str]:
    """Every value differing from `number` in exactly one digit: a typo a match tolerates is
    found by looking up the index of each (9 a digit: 117 for a 13-digit DPI)."""
    for position, char in enumerate(number):
        if char.isdigit():
            for other in "0123456789":
                if other != char:
                    yield number[:position] + other + number[position + 1 :]


INDEXES: dict[str, Callable[[str | None], str | None]] = {
    "phone": phone_index,
    "document": document_index,
}


# Sealed fields ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Codec(Generic[T]):
    encode: Callable[[T], str]
    decode: Callable[[str], T]


TEXT: Codec[str] = Codec(str, str)
JSON_VALUE: Codec[Any] = Codec(lambda value: orjson.dumps(value).decode(), orjson.loads)
BYTES: Codec[bytes] = Codec(lambda value: base64.b64encode(value).decode(), base64.b64decode)

# Every sealed field, by model: what flushes seal, `keys rotate` re-seals and the tests read raw.
SEALED: dict[type, list[Sealed]] = {}


@cache
def row_key(model: type) -> str:
    """The attribute a model's sealed values are bound to: its primary key, `id` but for a
    table keyed by its person (a risk flag, rewritten under the same key every night)."""
    [column] = model.__mapper__.primary_key
    return column.key


class Sealed(Generic[T]):
    """A field whose column holds its value sealed. Declared as
    `number = Sealed(index="phone")` beside `number_sealed = mapped_column("number", SealedText)`
    (and `number_index = mapped_column(String(INDEX_LENGTH))` for an indexed one).

    Reading opens the envelope (once: the value is kept beside the envelope it came from);
    setting seals at once when the row has its id, else when it is flushed. An empty value is
    NULL, and NULL reads as the default. A query cannot compare the field itself: compare its
    index column with `phone_index(...)`."""

    def __init__(
        self,
        codec: Codec[T] = TEXT,
        default: Callable[[], T | None] = str,
        index: str | None = None,
    ) -> None:
        self.codec, self.default, self.index_kind = codec, default, index

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.column_attr = f"{name}_sealed"
        self.index_attr = f"{name}_index"
        self._cache = f"_sealed_{name}"
        SEALED.setdefault(owner, []).append(self)

    @property
    def column(self) -> str:
        return self.name

    def context(self, owner: type, row_id: int) -> str:
        return f"{owner.__tablename__}.{self.column}.{row_id}"

    def __get__(self, instance: Any, owner: type) -> Any:
        if instance is None:
            return self
        envelope = getattr(instance, self.column_attr)
        cached = instance.__dict__.get(self._cache)
        if cached is not None and cached[0] == envelope:
            return cached[1]
        if envelope is None:
            value = self.default()
        else:
            opened = keyring().open(envelope, self.context(type(instance), _row_id(instance)))
            value = self.codec.decode(opened)
        instance.__dict__[self._cache] = (envelope, value)
        return value

    def __set__(self, instance: Any, value: T | None) -> None:
        cached = instance.__dict__.get(self._cache)
        if cached is not None and cached[0] is not None and cached[1] == value:
            return
        row_id = _row_id(instance)
        envelope = None if row_id is None else self._seal(instance, value)
        if row_id is not None:
            setattr(instance, self.column_attr, envelope)
        instance.__dict__[self._cache] = (envelope, value)
        if self.index_kind:
            setattr(instance, self.index_attr, INDEXES[self.index_kind](value))

    def _seal(self, instance: Any, value: T | None) -> Envelope | None:
        return seal_value(self, type(instance), _row_id(instance), value)

    def seal_new(self, instance: Any) -> None:
        """Seal the value of a row that has just been given its id."""
        value = self.__get__(instance, type(instance))
        envelope = self._seal(instance, value)
        setattr(instance, self.column_attr, envelope)
        instance.__dict__[self._cache] = (envelope, value)
        if self.index_kind:
            setattr(instance, self.index_attr, INDEXES[self.index_kind](value))

    def __eq__(self, other: object) -> bool:
        raise TypeError(f"{self.name} is sealed: compare {self.index_attr} with its index")

    __hash__ = object.__hash__


def _row_id(instance: Any) -> Any:
    return getattr(instance, row_key(type(instance)))


def seal_value(sealed: Sealed, model: type, row_id: int, value: Any) -> Envelope | None:
    """The envelope of a value in its row; None (NULL) for an empty one: nothing to protect,
    and the retention job erases a text by setting it NULL."""
    if is_empty(value):
        return None
    return keyring().seal(sealed.codec.encode(value), sealed.context(model, row_id))


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | bytes | dict | list) and not value)


def open_value(sealed: Sealed, model: type, row_id: int, envelope: str | None) -> Any:
    """A value read by a query that selects the envelope column, not the row."""
    if envelope is None:
        return sealed.default()
    return sealed.codec.decode(keyring().open(envelope, sealed.context(model, row_id)))


def open_rows(rows: Iterable[Any], model: type, row_id: str = "id") -> list[SimpleNamespace]:
    """Rows of a query that selected envelope columns (`CheckIn.phone_sealed`) and the row's id
    (under `row_id`), each with those fields opened under their own names (`.phone`)."""
    fields = {sealed.column_attr: sealed for sealed in SEALED[model]}
    opened = []
    for row in rows:
        values = row._asdict()
        for key in [key for key in values if key in fields]:
            sealed = fields[key]
            values[sealed.name] = open_value(sealed, model, values[row_id], values.pop(key))
        opened.append(SimpleNamespace(**values))
    return opened


def sealed_row(model: type, row: dict[str, Any]) -> dict[str, Any]:
    """A row for a bulk insert, its id drawn already: each sealed field's plaintext replaced by
    its envelope (and its index)."""
    row = dict(row)
    row_id = row[row_key(model)]
    for sealed in SEALED.get(model, ()):
        if sealed.name in row:
            value = row.pop(sealed.name)
            row[sealed.column_attr] = seal_value(sealed, model, row_id, value)
            if sealed.index_kind:
                row[sealed.index_attr] = INDEXES[sealed.index_kind](value)
    return row


def reserve_ids(session: Session, model: type, count: int) -> list[int]:
    """`count` ids for new rows of `model`, before they are inserted."""
    table = model.__tablename__
    if session.get_bind().dialect.name == "postgresql":
        return list(
            session.scalars(
                text(
                    "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                    "FROM generate_series(1, :n)"
                ),
                {"table": table, "n": count},
            )
        )
    highest = session.scalar(text(f'SELECT coalesce(max(id), 0) FROM "{table}"'))
    return list(range(highest + 1, highest + 1 + count))


@event.listens_for(Session, "before_flush")
def _seal_new_rows(session: Session, _context: Any, _instances: Any) -> None:
    """Give new rows of sealed models their ids, then seal their values."""
    new = [row for row in session.new if type(row) in SEALED]
    waiting: dict[type, list[Any]] = {}
    for row in new:
        if _row_id(row) is None:
            waiting.setdefault(type(row), []).append(row)
    for model, rows in waiting.items():
        for row, row_id in zip(rows, reserve_ids(session, model, len(rows)), strict=True):
            setattr(row, row_key(model), row_id)
    for row in new:
        for sealed in SEALED[type(row)]:
            sealed.seal_new(row)


# Rotation -----------------------------------------------------------------------------------


@dataclass
class Walked:
    """What a pass over the sealed columns changed: values by `table.column`."""

    changed: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.changed.values())


def rotate_keys(session: Session, batch_size: int = 500, limit: int | None = None) -> Walked:
    """Seal again, under the current key, every value sealed under another, a batch at a time,
    each batch committed: stopped at any point (or after `limit` values), a second run goes on
    with what is left, since it looks only for values under other keys."""
    prefix = f"{keyring().current}:"

    def pending(column: Any) -> Any:
        return ~type_coerce(column, Text).startswith(prefix, autoescape=True)

    def reseal(sealed: Sealed, model: type, row_id: int, envelope: str) -> dict[str, Any]:
        plain = keyring().open(envelope, sealed.context(model, row_id))
        return {"envelope": keyring().seal(plain, sealed.context(model, row_id))}

    return _walk(session, pending, reseal, batch_size, limit)


def reindex(session: Session, batch_size: int = 500) -> Walked:
    """Compute every blind index again (after BLIND_INDEX_KEY changed), a batch at a time."""

    def indexed(column: Any) -> Any:
        return true()

    def index_again(sealed: Sealed, model: type, row_id: int, envelope: str) -> dict[str, Any]:
        value = sealed.codec.decode(keyring().open(envelope, sealed.context(model, row_id)))
        return {"envelope": Envelope(envelope), "blind": INDEXES[sealed.index_kind](value)}

    return _walk(session, indexed, index_again, batch_size, None, only_indexed=True)


def _walk(
    session: Session,
    condition: Callable[[Any], Any],
    change: Callable[[Sealed, type, int, str], dict[str, Any]],
    batch_size: int,
    limit: int | None,
    only_indexed: bool = False,
) -> Walked:
    walked = Walked()
    for model, fields in SEALED.items():
        for sealed in fields:
            if only_indexed and not sealed.index_kind:
                continue
            budget = None if limit is None else limit - walked.total
            if budget is not None and budget <= 0:
                return walked
            done = _walk_column(session, model, sealed, condition, change, batch_size, budget)
            if done:
                walked.changed[f"{model.__tablename__}.{sealed.column}"] = done
    return walked


def _walk_column(
    session: Session,
    model: type,
    sealed: Sealed,
    condition: Callable[[Any], Any],
    change: Callable[[Sealed, type, int, str], dict[str, Any]],
    batch_size: int,
    budget: int | None,
) -> int:
    table = model.__table__
    column, key = table.c[sealed.column], table.c[row_key(model)]
    update = table.update().where(key == bindparam("row_id"))
    after, done = 0, 0
    while budget is None or done < budget:
        size = batch_size if budget is None else min(batch_size, budget - done)
        rows = session.execute(
            select(key, column)
            .where(key > after, column.is_not(None), condition(column))
            .order_by(key)
            .limit(size)
        ).all()
        if not rows:
            break
        changes = [{"row_id": row_id} | change(sealed, model, row_id, env) for row_id, env in rows]
        values = {sealed.column: bindparam("envelope", type_=SealedText())}
        if "blind" in changes[0]:
            values[sealed.index_attr] = bindparam("blind")
        session.execute(update.values(values), changes)
        session.commit()
        after, done = rows[-1][0], done + len(rows)
    return done
