from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from returnees.auth.models import User
from returnees.centres.models import Country
from returnees.core.db import Base, value_enum
from returnees.core.encryption import Sealed, SealedText


class ServiceKind(enum.StrEnum):
    SCHOOL = "school"
    JOBS = "jobs"
    TRAINING = "training"
    PSYCHOSOCIAL = "psychosocial"
    HEALTH = "health"
    LEGAL_AID = "legal_aid"
    PROTECTION = "protection"
    SHELTER = "shelter"


class OrganisationKind(enum.StrEnum):
    SCHOOL = "school"  # schools and education offices
    EMPLOYMENT = "employment"  # job and training programmes
    HEALTH = "health"  # psychosocial and health services
    PROTECTION = "protection"  # legal aid and protection agencies
    SHELTER = "shelter"


class PartnerOrganisation(Base):
    """An organisation people are referred to, and where it works."""

    __tablename__ = "partner_organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrganisationKind] = mapped_column(value_enum(OrganisationKind))
    country: Mapped[Country] = mapped_column(value_enum(Country, length=2))
    region: Mapped[str] = mapped_column(String(100), default="")
    municipality: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]

    services: Mapped[list[PartnerService]] = relationship(
        back_populates="organisation", lazy="selectin", cascade="all, delete-orphan"
    )


class PartnerService(Base):
    """A service an organisation offers."""

    __tablename__ = "partner_services"
    __table_args__ = (UniqueConstraint("organisation_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("partner_organisations.id"))
    kind: Mapped[ServiceKind] = mapped_column(value_enum(ServiceKind))

    organisation: Mapped[PartnerOrganisation] = relationship(back_populates="services")


class ReferralStatus(enum.StrEnum):
    MADE = "made"
    ACCEPTED = "accepted"
    ATTENDED = "attended"
    DECLINED = "declined"
    NO_SHOW = "no_show"
    WITHDRAWN = "withdrawn"


class Referral(Base):
    """A person referred to a partner's service, with their consent, and what came of it."""

    __tablename__ = "referrals"
    __table_args__ = (Index("ix_referrals_status", "status", "made_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    returnee_id: Mapped[int] = mapped_column(ForeignKey("returnees.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("partner_organisations.id"))
    service: Mapped[ServiceKind] = mapped_column(value_enum(ServiceKind))
    status: Mapped[ReferralStatus] = mapped_column(
        value_enum(ReferralStatus), default=ReferralStatus.MADE
    )
    # Danger at home: only supervisors, the assigned worker and its maker see it, each opening
    # logged.
    is_protection: Mapped[bool] = mapped_column(default=False)
    has_consent: Mapped[bool] = mapped_column(default=False)
    # Sealed (core.encryption), as are the notes of each change: danger at home, in words.
    note = Sealed()
    note_sealed: Mapped[str | None] = mapped_column("note", SealedText)
    outcome = Sealed()
    outcome_sealed: Mapped[str | None] = mapped_column("outcome", SealedText)
    made_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    made_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]

    organisation: Mapped[PartnerOrganisation] = relationship(lazy="joined")
    made_by: Mapped[User] = relationship(foreign_keys=[made_by_id])


class ReferralChange(Base):
    """Each move of a referral's status: who, when, and why."""

    __tablename__ = "referral_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), index=True)
    from_status: Mapped[ReferralStatus | None] = mapped_column(value_enum(ReferralStatus))
    to_status: Mapped[ReferralStatus] = mapped_column(value_enum(ReferralStatus))
    note = Sealed()
    note_sealed: Mapped[str | None] = mapped_column("note", SealedText)
    changed_by: Mapped[str] = mapped_column(String(254))
    changed_at: Mapped[datetime]
