from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from returnees.centres.models import Centre, Country
from returnees.core.db import Base, value_enum


class Role(enum.StrEnum):
    RECEPTION = "reception"
    SOCIAL_WORKER = "social_worker"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class User(Base):
    """A member of staff who signs in."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(value_enum(Role))
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    locale: Mapped[str] = mapped_column(String(8), default="es")
    is_enabled: Mapped[bool] = mapped_column(default=True)
    # Whoever is on call gets a discreet SMS on this number when a case turns urgent.
    phone: Mapped[str] = mapped_column(String(20), default="", server_default="")
    # Raised to end every session of this user at once (sign-out everywhere, disable).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    disabled_at: Mapped[datetime | None]

    centre: Mapped[Centre] = relationship(lazy="joined")
    on_call_place: Mapped[OnCallPlace | None] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role.value}>"

    @property
    def is_on_call(self) -> bool:
        return self.on_call_place is not None

    # Flask-Login: the session cookie carries the epoch, so raising it ends every session.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.is_enabled

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch}"


class ApiToken(Base):
    """A bearer token for the JSON API; only its SHA-256 digest is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")


class SignedInSession(Base):
    """One signed-in browser. The cookie carries a random key, and only its SHA-256 digest is
    stored, so a session ends on the server: signing out, a password change, idleness or age
    ends it, and a cookie copied before is refused after."""

    __tablename__ = "signed_in_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    started_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None] = mapped_column(index=True)


class SignInAttempt(Base):
    """One try to sign in, kept for the lock-out rule: the e-mail typed only as its keyed digest
    (`email_digest`), the address it came from in full."""

    __tablename__ = "sign_in_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_digest: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    attempted_at: Mapped[datetime] = mapped_column(index=True)
    is_success: Mapped[bool]


class OnCallPlace(Base):
    """One person's place in the on-call rota of a region (first, second, ...): an urgent case
    alerts the first, and the next when nobody acknowledges it in time."""

    __tablename__ = "on_call_places"
    __table_args__ = (UniqueConstraint("country", "region", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[Country] = mapped_column(value_enum(Country, length=2))
    region: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    created_at: Mapped[datetime]

    user: Mapped[User] = relationship(back_populates="on_call_place")
