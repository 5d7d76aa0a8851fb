from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from returnees.auth.models import User
from returnees.centres.models import Centre
from returnees.core.db import Base, value_enum
from returnees.core.encryption import BYTES, JSON_VALUE, Sealed, SealedText
from returnees.people.models import Returnee


class TravelMode(enum.StrEnum):
    FLIGHT = "flight"
    BUS = "bus"
    LAND = "land"


class ReturnType(enum.StrEnum):
    """Whether the return was forced or chosen: outcomes differ with it (shared/outcomes.md)."""

    DEPORTED = "deported"
    ASSISTED = "assisted"
    VOLUNTARY = "voluntary"


class Household(Base):
    """People who arrived together as one family."""

    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]


class Manifest(Base):
    """The announced passenger list of one flight or bus."""

    __tablename__ = "manifests"
    __table_args__ = (UniqueConstraint("centre_id", "reference", "expected_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    reference: Mapped[str] = mapped_column(String(40))
    mode: Mapped[TravelMode] = mapped_column(value_enum(TravelMode))
    deporting_country: Mapped[str] = mapped_column(String(2))
    expected_at: Mapped[datetime]
    expected_on: Mapped[date] = mapped_column(Date)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]

    centre: Mapped[Centre] = relationship(lazy="joined")
    passengers: Mapped[list[ExpectedPassenger]] = relationship(
        back_populates="manifest", order_by="ExpectedPassenger.row_number"
    )


class PendingUpload(Base):
    """A passenger list read well whose upload was refused for another field: kept a day so
    that staff correct that field without choosing the file again."""

    __tablename__ = "pending_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    # Sealed (core.encryption): the file names everyone on a flight.
    content = Sealed(BYTES, default=bytes)
    content_sealed: Mapped[str | None] = mapped_column("content", SealedText)
    created_at: Mapped[datetime] = mapped_column(index=True)


class PassengerStatus(enum.StrEnum):
    NEEDS_FIXING = "needs_fixing"
    READY = "ready"
    EXPECTED = "expected"
    ARRIVED = "arrived"


class ExpectedPassenger(Base):
    """One row of a passenger list: kept with its problems until it is fixed and imported."""

    __tablename__ = "expected_passengers"
    __table_args__ = (UniqueConstraint("manifest_id", "row_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    manifest_id: Mapped[int] = mapped_column(ForeignKey("manifests.id"), index=True)
    row_number: Mapped[int] = mapped_column(Integer)
    # Keyed digests of what recognises the row (its document, or names and birth date):
    # manifests.passenger_key.
    row_key: Mapped[str] = mapped_column(String(200))
    # The key the row had when it was read, kept after a fix so the same list read again
    # is still recognised row by row.
    source_key: Mapped[str] = mapped_column(String(200))
    # Sealed (core.encryption): the row as read, and its problems, which quote it.
    values = Sealed(JSON_VALUE, default=dict)
    values_sealed: Mapped[str | None] = mapped_column("values", SealedText)
    problems = Sealed(JSON_VALUE, default=dict)
    problems_sealed: Mapped[str | None] = mapped_column("problems", SealedText)
    status: Mapped[PassengerStatus] = mapped_column(value_enum(PassengerStatus))
    is_unaccompanied: Mapped[bool] = mapped_column(default=False)
    # Records of people who may be this passenger, found when the row was read or fixed, the
    # likeliest first, and why the likeliest may be (people.matching's reason codes).
    earlier_record_ids: Mapped[list] = mapped_column(JSON, default=list)
    earlier_match_reasons: Mapped[list] = mapped_column(JSON, default=list)
    arrival_id: Mapped[int | None] = mapped_column(ForeignKey("arrivals.id"), unique=True)

    manifest: Mapped[Manifest] = relationship(back_populates="passengers")
    arrival: Mapped[Arrival | None] = relationship()


class Arrival(Base):
    """One return of one person: when, where, how, and from which country."""

    __tablename__ = "arrivals"
    # What check-ins' key to their arrival and its person refers to.
    __table_args__ = (UniqueConstraint("id", "returnee_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    returnee_id: Mapped[int] = mapped_column(ForeignKey("returnees.id"), index=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    arrived_at: Mapped[datetime] = mapped_column(index=True)
    mode: Mapped[TravelMode] = mapped_column(value_enum(TravelMode))
    deporting_country: Mapped[str] = mapped_column(String(2))
    return_type: Mapped[ReturnType] = mapped_column(
        value_enum(ReturnType, length=10), default=ReturnType.DEPORTED, server_default="deported"
    )
    reference: Mapped[str] = mapped_column(String(40), default="")
    manifest_id: Mapped[int | None] = mapped_column(ForeignKey("manifests.id"), index=True)
    is_unaccompanied: Mapped[bool] = mapped_column(default=False)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]

    returnee: Mapped[Returnee] = relationship()
    centre: Mapped[Centre] = relationship(lazy="joined")
    registered_by: Mapped[User | None] = relationship()
    screening: Mapped[Screening | None] = relationship(back_populates="arrival", uselist=False)
    custody: Mapped[Custody | None] = relationship(back_populates="arrival", uselist=False)


class Screening(Base):
    """What a returnee told staff about this return; completed later the same day."""

    __tablename__ = "screenings"

    id: Mapped[int] = mapped_column(primary_key=True)
    arrival_id: Mapped[int] = mapped_column(ForeignKey("arrivals.id"), unique=True)
    # The narrative and the indicators are sealed (core.encryption); the answers the risk rules
    # read in SQL each night (victim, threatened, months abroad, ...) are not.
    reasons_for_leaving = Sealed(JSON_VALUE, default=list)
    reasons_for_leaving_sealed: Mapped[str | None] = mapped_column(
        "reasons_for_leaving", SealedText
    )
    was_crime_victim: Mapped[bool | None]
    was_threatened: Mapped[bool | None]
    family_abroad: Mapped[list] = mapped_column(JSON, default=list)
    reported_deportations: Mapped[int | None] = mapped_column(Integer)
    months_abroad: Mapped[int | None] = mapped_column(Integer)
    has_journey_debt: Mapped[bool | None]
    intends_to_migrate_again: Mapped[bool | None]
    health_needs = Sealed()
    health_needs_sealed: Mapped[str | None] = mapped_column("health_needs", SealedText)
    psychosocial_needs = Sealed()
    psychosocial_needs_sealed: Mapped[str | None] = mapped_column("psychosocial_needs", SealedText)
    trafficking_indicators = Sealed(JSON_VALUE, default=list)
    trafficking_indicators_sealed: Mapped[str | None] = mapped_column(
        "trafficking_indicators", SealedText
    )
    school_status: Mapped[str] = mapped_column(String(20), default="")
    occupation = Sealed()
    occupation_sealed: Mapped[str | None] = mapped_column("occupation", SealedText)
    skills = Sealed()
    skills_sealed: Mapped[str | None] = mapped_column("skills", SealedText)
    notes = Sealed()
    notes_sealed: Mapped[str | None] = mapped_column("notes", SealedText)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    completed_at: Mapped[datetime]

    arrival: Mapped[Arrival] = relationship(back_populates="screening")


class HandoverStatus(enum.StrEnum):
    IN_CUSTODY = "in_custody"
    AWAITING_APPROVAL = "awaiting_approval"
    HANDED_OVER = "handed_over"


class GuardianRelationship(enum.StrEnum):
    MOTHER = "mother"
    FATHER = "father"
    LEGAL_GUARDIAN = "legal_guardian"
    GRANDPARENT = "grandparent"
    SIBLING = "sibling"
    OTHER_RELATIVE = "other_relative"
    OTHER = "other"


PARENTAL = {
    GuardianRelationship.MOTHER,
    GuardianRelationship.FATHER,
    GuardianRelationship.LEGAL_GUARDIAN,
}


class Custody(Base):
    """A child travelling alone: the shelter they are placed in and the handover to a guardian."""

    __tablename__ = "custodies"

    id: Mapped[int] = mapped_column(primary_key=True)
    arrival_id: Mapped[int] = mapped_column(ForeignKey("arrivals.id"), unique=True)
    shelter_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"))
    placed_at: Mapped[datetime | None]
    status: Mapped[HandoverStatus] = mapped_column(
        value_enum(HandoverStatus), default=HandoverStatus.IN_CUSTODY, index=True
    )
    guardian_name = Sealed()
    guardian_name_sealed: Mapped[str | None] = mapped_column("guardian_name", SealedText)
    guardian_relationship: Mapped[GuardianRelationship | None] = mapped_column(
        value_enum(GuardianRelationship)
    )
    # Sealed (core.encryption), as are the guardian's name and phone.
    guardian_document = Sealed()
    guardian_document_sealed: Mapped[str | None] = mapped_column("guardian_document", SealedText)
    guardian_phone = Sealed()
    guardian_phone_sealed: Mapped[str | None] = mapped_column("guardian_phone", SealedText)
    is_guardian_verified: Mapped[bool] = mapped_column(default=False)
    guardian_consents: Mapped[bool] = mapped_column(default=False, server_default=false())
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    handed_over_at: Mapped[datetime | None]

    arrival: Mapped[Arrival] = relationship(back_populates="custody")
    shelter: Mapped[Centre | None] = relationship(foreign_keys=[shelter_id])
    checked_by: Mapped[User | None] = relationship(foreign_keys=[checked_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
