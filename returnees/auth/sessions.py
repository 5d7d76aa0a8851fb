"""Signed-in sessions, kept on the server: a sign-in starts one, and signing out, a password
change, SESSION_IDLE_MINUTES without a request or SESSION_MAX_HOURS in all end it. The cookie
carries the session's random key; a cookie copied, or made with the SECRET_KEY, opens nothing
once its row has ended or where no row has its key.

Disabling or moving an account raises its `session_epoch`, which the cookie carries too, and so
ends all its sessions at once."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from returnees.auth.models import SignedInSession, User
from returnees.core.clock import utcnow
from returnees.core.errors import NotAuthenticated

# A session's last activity is written at most this often, so that most requests only read.
SEEN_RESOLUTION = timedelta(minutes=1)


class SessionLapsed(NotAuthenticated):
    """The session ended by itself: too long idle, or too long in all."""

    code = "session_lapsed"


def key_digest(key: str) -> str:
    """What is stored of a session key or an API token: its SHA-256, never the key."""
    return hashlib.sha256(key.encode()).hexdigest()


def start_session(session: Session, user: User) -> str:
    """Open a session for a user who has just proven who they are; return its key for the
    cookie (only its digest is stored)."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        SignedInSession(user_id=user.id, digest=key_digest(key), started_at=now, last_seen_at=now)
    )
    session.flush()
    return key


def resume_session(session: Session, user_token: str, key: str, *, touch: bool) -> User | None:
    """The user of a live session, or None when the cookie names none.

    `touch` notes this request as activity (a page marked as only reading, such as a polled
    one, does not). Raises SessionLapsed when the session has just run out of time."""
    user = _user_for_token(session, user_token)
    if user is None or not key:
        return None
    live = session.scalar(
        select(SignedInSession).where(
            SignedInSession.digest == key_digest(key),
            SignedInSession.user_id == user.id,
            SignedInSession.ended_at.is_(None),
        )
    )
    if live is None:
        return None
    now = utcnow()
    if now >= lapses_at(live):
        if touch:
            live.ended_at = now
        raise SessionLapsed(_("Your session ended after a time without activity: sign in again."))
    if touch and now - live.last_seen_at >= SEEN_RESOLUTION:
        live.last_seen_at = now
    return user


def lapses_at(live: SignedInSession) -> datetime:
    """When a session ends unless used: idle time after its last request, or its age limit."""
    config = current_app.config
    idle = live.last_seen_at + timedelta(minutes=config["SESSION_IDLE_MINUTES"])
    return min(idle, live.started_at + timedelta(hours=config["SESSION_MAX_HOURS"]))


def end_session(session: Session, key: str) -> None:
    """End one session (signing out): its cookie opens nothing after, wherever it was copied."""
    session.execute(
        update(SignedInSession)
        .where(SignedInSession.digest == key_digest(key), SignedInSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


def end_other_sessions(session: Session, user: User, keep_key: str) -> int:
    """End every session of the user but the one with this key; how many ended."""
    result = session.execute(
        update(SignedInSession)
        .where(
            SignedInSession.user_id == user.id,
            SignedInSession.ended_at.is_(None),
            SignedInSession.digest != key_digest(keep_key),
        )
        .values(ended_at=utcnow())
    )
    return result.rowcount or 0


def prune_signed_in_sessions(session: Session) -> int:
    """Delete sessions that have ended or cannot be alive any more; they only serve sign-in."""
    too_old = utcnow() - timedelta(hours=current_app.config["SESSION_MAX_HOURS"])
    result = session.execute(
        SignedInSession.__table__.delete().where(
            or_(SignedInSession.ended_at.is_not(None), SignedInSession.started_at < too_old)
        )
    )
    return result.rowcount or 0


def _user_for_token(session: Session, token: str) -> User | None:
    """The enabled user a cookie's "id:epoch" names, unless their sessions were all ended."""
    user_id, _sep, epoch = token.partition(":")
    if not (user_id.isdigit() and epoch.isdigit()):
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.is_enabled or user.session_epoch != int(epoch):
        return None
    return user
