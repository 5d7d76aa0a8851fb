from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, event, false, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from returnees.centres.models import Centre, Country
from returnees.core.db import Base, value_enum
from returnees.core.encryption import INDEX_LENGTH, Sealed, SealedText
from returnees.people import identity
from returnees.people.identity import KEY_LENGTH, DocumentType, family_keys
from returnees.places.catalogue import Place, find_place


class Sex(enum.StrEnum):
    FEMALE = "F"
    MALE = "M"
    OTHER = "X"


class PhoneOwner(enum.StrEnum):
    SELF = "self"
    RELATIVE = "relative"
    SHARED = "shared"


class Channel(enum.StrEnum):
    SMS = "sms"
    WHATSAPP = "whatsapp"
    # A phone call that plays recorded prompts and reads the keypad (messaging.voice).
    VOICE = "voice"
    NONE = "none"


LANGUAGES = {
    "es": "Español",
    "en": "English",
    "mam": "Mam",
    "quc": "K'iche'",
    "kek": "Q'eqchi'",
    "cak": "Kaqchikel",
    "gar": "Garífuna",
    "other": "Otro",
}
# The Mayan languages of LANGUAGES: a plan may ask their speakers by phone call (VoiceRule).
MAYAN_LANGUAGES = frozenset({"mam", "quc", "kek", "cak"})


MATCH_KEY = String(60)
MATCH_KEYS = ARRAY(MATCH_KEY).with_variant(JSON(), "sqlite")


class Returnee(Base):
    """One person, however many times they were returned."""

    __tablename__ = "returnees"
    __table_args__ = (
        Index("ix_returnees_document", "document_type", "document_number_index"),
        # Covering: the match compares the names of a day's people in the index alone.
        Index(
            "ix_returnees_birth_date",
            "birth_date",
            postgresql_include=["folded_name", "centre_id", "id"],
        ),
        # pg_trgm: names that look alike (the match) and parts of names (the search).
        Index(
            "ix_returnees_folded_name_trgm",
            "folded_name",
            postgresql_using="gin",
            postgresql_ops={"folded_name": "gin_trgm_ops"},
            info={"only_on": "postgresql"},
        ),
        # People alike by name and year of birth (the match's keys, people.identity).
        Index(
            "ix_returnees_match_keys",
            "match_keys",
            postgresql_using="gin",
            info={"only_on": "postgresql"},
        ),
        # The records merged into one: what deleting or checking a record's key reads.
        Index(
            "ix_returnees_merged_into",
            "merged_into_id",
            postgresql_where=text("merged_into_id IS NOT NULL"),
            sqlite_where=text("merged_into_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    given_names: Mapped[str] = mapped_column(String(120))
    family_names: Mapped[str] = mapped_column(String(120))
    # Names without accents or case, for search: "jose hernandez perez".
    folded_name: Mapped[str] = mapped_column(String(250), default="")
    # people.identity.match_keys, kept by every flush that changes the person (an array on
    # PostgreSQL, where an index finds those sharing one, JSON on SQLite); NULL for rows
    # written past the ORM (a bench's or a test's bulk insert), whom no key finds.
    match_keys: Mapped[list[str] | None] = mapped_column(MATCH_KEYS, default=list)
    birth_date: Mapped[date | None] = mapped_column(Date)
    estimated_age: Mapped[int | None] = mapped_column(Integer)
    # The day the estimated age was true (the arrival it was estimated at): years later the
    # person is older, and the match compares ages on this day.
    age_estimated_on: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[Sex] = mapped_column(value_enum(Sex, length=1))
    nationality: Mapped[Country] = mapped_column(value_enum(Country, length=2))
    document_type: Mapped[DocumentType | None] = mapped_column(value_enum(DocumentType, length=10))
    # Sealed (core.encryption); found by its blind index, whole numbers only.
    document_number = Sealed(default=lambda: None, index="document")
    document_number_sealed: Mapped[str | None] = mapped_column("document_number", SealedText)
    document_number_index: Mapped[str | None] = mapped_column(String(INDEX_LENGTH))
    language: Mapped[str] = mapped_column(String(8), default="es")
    # Where they said they were going, as typed before homes had codes; kept, never read.
    municipality: Mapped[str] = mapped_column(String(120), default="")
    # Where they live (places.catalogue: GT-1201, a district in El Salvador); None: unknown.
    home_code: Mapped[str | None] = mapped_column(String(7), index=True)
    # The centre that registered them first; a return through another desk does not move it.
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    # The office of their current case (casework.routing keeps it): what social workers' scope is
    # checked against; None while the case waits to be routed.
    office_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"), index=True)
    arrivals_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # The sound keys of the first two family names (identity.family_keys), kept from
    # family_names on every write: the nightly search for people registered twice blocks on
    # them beside the birth date.
    family_key: Mapped[str | None] = mapped_column(String(KEY_LENGTH))
    second_family_key: Mapped[str | None] = mapped_column(String(KEY_LENGTH))
    # The record this one was merged into (a person registered twice): everything about the
    # person is there now, and this id answers with a pointer to it. None: not merged.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("returnees.id"))

    centre: Mapped[Centre] = relationship(lazy="joined", foreign_keys=[centre_id])
    office: Mapped[Centre | None] = relationship(foreign_keys=[office_id])
    phones: Mapped[list[Phone]] = relationship(
        back_populates="returnee", order_by="Phone.id", cascade="all, delete-orphan"
    )

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.family_names}"

    @property
    def home(self) -> Place | None:
        return find_place(self.home_code)

    @property
    def returns_count(self) -> int:
        """Recorded returns before the latest one."""
        return max(self.arrivals_count - 1, 0)

    def age_on(self, day: date) -> int | None:
        return age_on(day, self.birth_date, self.estimated_age)

    @property
    def birth_year(self) -> int | None:
        """The year of birth, known or as estimated."""
        return birth_year(self.birth_date, self.estimated_age, self.age_estimated_on)


def birth_year(
    born: date | None, estimated_age: int | None, estimated_on: date | None
) -> int | None:
    if born is not None:
        return born.year
    if estimated_age is None or estimated_on is None:
        return None
    return estimated_on.year - estimated_age


@event.listens_for(Session, "before_flush")
def _keep_match_keys(session: Session, _context: object, _instances: object) -> None:
    """A person's match keys follow their names and age, however they were changed."""
    for row in (*session.new, *session.dirty):
        if isinstance(row, Returnee):
            keys = identity.match_keys(
                row.given_names, row.family_names, row.birth_year, row.birth_date is None
            )
            if row.match_keys != keys:
                row.match_keys = keys


@event.listens_for(Returnee, "before_insert")
@event.listens_for(Returnee, "before_update")
def _keep_family_keys(_mapper: object, _connection: object, returnee: Returnee) -> None:
    returnee.family_key, returnee.second_family_key = family_keys(returnee.family_names)


def age_on(day: date, birth_date: date | None, estimated_age: int | None) -> int | None:
    """Age in whole years on `day`: from the birth date when known, else the estimate."""
    if birth_date is None:
        return estimated_age
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - before_birthday


class Phone(Base):
    """A number a returnee can be reached on, whose it is, and whether they agreed to contact."""

    __tablename__ = "phones"

    id: Mapped[int] = mapped_column(primary_key=True)
    returnee_id: Mapped[int] = mapped_column(ForeignKey("returnees.id"), index=True)
    # In E.164, sealed (core.encryption); found by its blind index.
    number = Sealed(index="phone")
    number_sealed: Mapped[str | None] = mapped_column("number", SealedText)
    number_index: Mapped[str | None] = mapped_column(String(INDEX_LENGTH), index=True)
    owner: Mapped[PhoneOwner] = mapped_column(value_enum(PhoneOwner))
    channel: Mapped[Channel] = mapped_column(value_enum(Channel))
    has_consent: Mapped[bool] = mapped_column(default=False)
    consent_at: Mapped[datetime | None]
    # The holder said at the desk that calls are welcome: a plan may then ask them by phone
    # call (consent covers the channel). A phone whose channel is voice asked for calls.
    calls_welcome: Mapped[bool] = mapped_column(default=False, server_default=false())
    is_usable: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]

    returnee: Mapped[Returnee] = relationship(back_populates="phones")


class BreakGlassGrant(Base):
    """A member of staff opened a record outside their scope, giving a reason: they reach that
    one person until `expires_at` (BREAK_GLASS_HOURS later). The reason is kept with the other
    reasons given for openings (audit's access_reasons)."""

    __tablename__ = "break_glass_grants"
    __table_args__ = (Index("ix_break_glass_grants_user_returnee", "user_id", "returnee_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    returnee_id: Mapped[int] = mapped_column(ForeignKey("returnees.id"), index=True)
    reason_id: Mapped[int] = mapped_column(ForeignKey("access_reasons.id"))
    granted_at: Mapped[datetime] = mapped_column(index=True)
    expires_at: Mapped[datetime]
