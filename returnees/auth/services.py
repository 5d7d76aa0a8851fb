"""Accounts: create, sign in with lock-out, change a password, disable, language."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from returnees.audit.models import AuditAction
from returnees.audit.services import record_event
from returnees.auth.access import Actor
from returnees.auth.models import ApiToken, Role, SignInAttempt, User
from returnees.auth.passwords import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    needs_rehash,
    verify_password,
)
from returnees.auth.sessions import end_other_sessions
from returnees.centres.models import Centre
from returnees.core.clock import utcnow
from returnees.core.db import get_required
from returnees.core.encryption import keyring
from returnees.core.errors import Conflict, DomainError, InvalidInput, NotFound

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# The record type of a refused sign-in at an e-mail no account has; its id is the e-mail's digest.
UNKNOWN_ACCOUNT = "unknown_account"


class SignInRefused(DomainError):
    status = 401
    code = "sign_in_refused"

    def __init__(self, message: object, locked_until: datetime | None = None) -> None:
        super().__init__(message)
        self.locked_until = locked_until


@dataclass(frozen=True)
class NewUser:
    email: str
    role: str
    centre_code: str
    password: str
    name: str = ""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(session: Session, actor: Actor, new: NewUser) -> User:
    """Create a staff account at a centre; every problem is reported by field."""
    actor.require_role(Role.ADMIN)
    email = normalise_email(new.email)
    errors: dict[str, list[str]] = {}
    if not EMAIL_PATTERN.match(email):
        errors["email"] = [_("Enter an e-mail address such as name@example.org.")]
    if new.role not in {role.value for role in Role}:
        errors["role"] = [_("Role must be one of: %(roles)s.", roles=", ".join(Role))]
    if problems := password_problems(new.password):
        errors["password"] = problems
    centre = session.scalar(select(Centre).where(Centre.code == new.centre_code.strip().upper()))
    if centre is None:
        errors["centre"] = [_("No centre has the code %(code)s.", code=new.centre_code)]
    if errors:
        raise InvalidInput(_("The account was not created."), errors)
    if find_user(session, email) is not None:
        raise Conflict(
            _("An account for %(email)s exists already.", email=email),
            {"email": [_("Already in use.")]},
        )
    user = User(
        email=email,
        name=new.name.strip(),
        password_hash=hash_password(new.password),
        role=Role(new.role),
        centre=centre,
        created_at=utcnow(),
    )
    session.add(user)
    session.flush()
    record_event(session, actor, AuditAction.CREATE, "user", user.id, role=user.role.value)
    return user


def password_problems(password: str) -> list[str]:
    """What a new password breaks of the rules; empty when it may be used."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return [_("The password needs at least %(count)d characters.", count=MIN_PASSWORD_LENGTH)]
    return []


def change_password(
    session: Session, actor: Actor, current: str, new: str, keep_session_key: str
) -> User:
    """Change the actor's own password, proven by the current one; every other session of theirs
    ends (a browser left signed in elsewhere), the one with `keep_session_key` goes on."""
    user = get_required(session, User, actor.user_id, _("Sign in first."))
    errors: dict[str, list[str]] = {}
    if not verify_password(user.password_hash, current):
        errors["current_password"] = [_("This is not your current password.")]
    if problems := password_problems(new):
        errors["new_password"] = problems
    if errors:
        raise InvalidInput(_("The password was not changed."), errors)
    user.password_hash = hash_password(new)
    ended = end_other_sessions(session, user, keep_session_key)
    record_event(session, actor, AuditAction.CHANGE_PASSWORD, "user", user.id, sessions_ended=ended)
    return user


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def require_user(session: Session, email: str) -> User:
    user = find_user(session, email)
    if user is None:
        raise NotFound(_("No account has the e-mail %(email)s.", email=normalise_email(email)))
    return user


def list_users(session: Session, actor: Actor) -> list[User]:
    actor.require_role(Role.ADMIN)
    return list(session.scalars(select(User).order_by(User.email)))


def authenticate(session: Session, email: str, password: str, address: str) -> User:
    """Check a password, applying the lock-out per account and per address."""
    email = normalise_email(email)
    now = utcnow()
    user = find_user(session, email)
    locked_until = lockout_ends_at(session, email, address, now)
    if locked_until is not None:
        _record_refusal(session, AuditAction.SIGN_IN_LOCKED, email, user, address)
        raise SignInRefused(_("Too many failed attempts."), locked_until)
    is_valid = verify_password(user.password_hash if user else None, password)
    is_success = bool(user and user.is_enabled and is_valid)
    session.add(
        SignInAttempt(
            email_digest=email_digest(email),
            address=address,
            attempted_at=now,
            is_success=is_success,
        )
    )
    if not is_success:
        _record_refusal(session, AuditAction.SIGN_IN_FAILED, email, user, address)
        raise SignInRefused(_("The e-mail or the password is not right."))
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    record_event(session, Actor.for_user(user, address), AuditAction.SIGN_IN, "user", user.id)
    return user


def _record_refusal(
    session: Session, action: AuditAction, email: str, user: User | None, address: str
) -> None:
    """Audit a refused sign-in by the account it named, or, when no account has the e-mail,
    by the e-mail's digest: what was typed may be a stranger's address or a password typed in
    the wrong field, and the trail keeps no typed text."""
    if user is not None:
        record_event(session, Actor.for_user(user, address), action, "user", user.id)
        return
    nobody = Actor(None, "", None, None, "", None, address)
    record_event(session, nobody, action, UNKNOWN_ACCOUNT, email_digest(email))


def email_digest(email: str) -> str:
    """The keyed digest (HMAC under the blind-index key) that stands for an e-mail typed at
    sign-in, in the lock-out's attempts and in the audit trail when no account has it: the same
    address always gives the same digest, so attempts at it are counted and found together
    (the audit filter by e-mail computes it), but neither table can be read back into addresses
    without the key. What was typed may be a stranger's address or a password in the wrong
    field."""
    return keyring().index("sign-in e-mail", normalise_email(email))


def lockout_ends_at(session: Session, email: str, address: str, now: datetime) -> datetime | None:
    """When the lock on this account or address ends, or None when neither is locked.

    A lock starts at the failure that completes `LOCKOUT_FAILURES` failures within
    `LOCKOUT_MINUTES`; attempts during a lock are refused unchecked and not counted.
    """
    ends = [
        _lock_end(session, SignInAttempt.email_digest == email_digest(email), True, now),
        _lock_end(session, SignInAttempt.address == address, False, now),
    ]
    return max((end for end in ends if end is not None), default=None)


def _lock_end(session: Session, matches: object, success_resets: bool, now: datetime):
    threshold = current_app.config["LOCKOUT_FAILURES"]
    window = timedelta(minutes=current_app.config["LOCKOUT_MINUTES"])
    query = select(SignInAttempt.attempted_at, SignInAttempt.is_success).where(
        matches, SignInAttempt.attempted_at > now - 2 * window
    )
    if not success_resets:
        query = query.where(SignInAttempt.is_success.is_(False))
    recent = session.execute(
        query.order_by(SignInAttempt.attempted_at.desc()).limit(threshold)
    ).all()
    if len(recent) < threshold or any(is_success for _, is_success in recent):
        return None
    newest, oldest = recent[0][0], recent[-1][0]
    if newest - oldest > window or now >= newest + window:
        return None
    return newest + window


def disable_user(session: Session, actor: Actor, email: str) -> User:
    """Disable an account and end its sessions and API tokens at once."""
    actor.require_role(Role.ADMIN)
    user = require_user(session, email)
    now = utcnow()
    user.is_enabled = False
    user.disabled_at = now
    user.session_epoch += 1
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    record_event(session, actor, AuditAction.DISABLE, "user", user.id)
    return user


def set_language(session: Session, user: User, locale: str) -> None:
    if locale not in current_app.config["LANGUAGES"]:
        raise InvalidInput(_("Unknown language."), {"locale": [_("Choose es or en.")]})
    user.locale = locale


def prune_sign_in_attempts(session: Session) -> int:
    """Delete sign-in attempts older than the retention period; they only serve the lock-out."""
    cutoff = utcnow() - timedelta(days=current_app.config["SIGN_IN_ATTEMPTS_RETENTION_DAYS"])
    result = session.execute(
        SignInAttempt.__table__.delete().where(SignInAttempt.attempted_at < cutoff)
    )
    return result.rowcount or 0


def view_user(session: Session, actor: Actor, user_id: int) -> User:
    """One staff account, for an admin; the view is written to the audit trail."""
    actor.require_role(Role.ADMIN)
    user = get_required(session, User, user_id, _("No account has the id %(id)s.", id=user_id))
    record_event(session, actor, AuditAction.VIEW, "user", user.id)
    return user
