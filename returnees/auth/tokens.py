"""API tokens: issued for a number of days, listed and revoked per user; only digests are kept."""

from __future__ import annotations

import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import format_date
from flask_babel import lazy_gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from returnees.audit.models import AuditAction
from returnees.audit.services import record_event
from returnees.auth.access import Actor
from returnees.auth.models import ApiToken, Role, User
from returnees.auth.services import require_user
from returnees.auth.sessions import key_digest
from returnees.core.clock import utcnow
from returnees.core.errors import Conflict, InvalidInput, NotAuthenticated, NotFound

TOKEN_DAYS = 90
MAX_TOKEN_DAYS = 365
# A token's last use is written at most this often, so that reads stay reads.
TOKEN_USE_RESOLUTION = timedelta(minutes=5)


class TokenExpired(NotAuthenticated):
    code = "token_expired"


@dataclass(frozen=True)
class IssuedToken:
    secret: str  # shown once, never stored
    token: ApiToken


def issue_api_token(
    session: Session, actor: Actor, email: str, days: int = TOKEN_DAYS
) -> IssuedToken:
    """Create an API token for a user, valid for `days`; it is shown once and stored as a digest."""
    actor.require_role(Role.ADMIN)
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise InvalidInput(
            _("A token lasts from 1 to %(most)d days.", most=MAX_TOKEN_DAYS),
            {"days": [_("Give a number of days from 1 to %(most)d.", most=MAX_TOKEN_DAYS)]},
        )
    user = require_user(session, email)
    if not user.is_enabled:
        raise Conflict(_("The account %(email)s is disabled.", email=user.email))
    secret, now = secrets.token_urlsafe(32), utcnow()
    token = ApiToken(
        user_id=user.id,
        digest=key_digest(secret),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(token)
    session.flush()
    record_event(session, actor, AuditAction.ISSUE_TOKEN, "user", user.id, token=token.id)
    return IssuedToken(secret, token)


def list_api_tokens(session: Session, actor: Actor, email: str) -> list[ApiToken]:
    """Every token of a user, newest first, revoked and expired ones included."""
    actor.require_role(Role.ADMIN)
    user = require_user(session, email)
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
        )
    )


def revoke_api_tokens(
    session: Session, actor: Actor, email: str, token_ids: Collection[int] | None
) -> list[ApiToken]:
    """Revoke the named tokens of a user (None: every live one); an id that is not theirs is
    refused and nothing is revoked. Returns the tokens revoked now."""
    actor.require_role(Role.ADMIN)
    user = require_user(session, email)
    tokens = {token.id: token for token in list_api_tokens(session, actor, user.email)}
    if token_ids is None:
        token_ids = [token_id for token_id, token in tokens.items() if token.revoked_at is None]
    if unknown := sorted(set(token_ids) - tokens.keys()):
        raise NotFound(
            _(
                "%(email)s has no token %(ids)s.",
                email=user.email,
                ids=", ".join(map(str, unknown)),
            )
        )
    now, revoked = utcnow(), []
    for token_id in sorted(set(token_ids)):
        token = tokens[token_id]
        if token.revoked_at is None:
            token.revoked_at = now
            revoked.append(token)
            record_event(session, actor, AuditAction.REVOKE_TOKEN, "user", user.id, token=token_id)
    return revoked


def user_for_api_token(session: Session, secret: str) -> User | None:
    """The user a live token belongs to; None for an unknown or revoked one.

    Raises TokenExpired for a token past its expiry, so that the caller is told why."""
    token = session.scalar(
        select(ApiToken).where(ApiToken.digest == key_digest(secret), ApiToken.revoked_at.is_(None))
    )
    if token is None or not token.user.is_enabled:
        return None
    now = utcnow()
    if now >= token.expires_at:
        raise TokenExpired(
            _(
                "This API token expired on %(date)s: ask an administrator for a new one.",
                date=format_date(token.expires_at, "yyyy-MM-dd"),
            )
        )
    if token.last_used_at is None or now - token.last_used_at > TOKEN_USE_RESOLUTION:
        token.last_used_at = now
    return token.user
