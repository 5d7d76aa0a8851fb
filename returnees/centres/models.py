from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from returnees.core.db import Base, value_enum


class Country(enum.StrEnum):
    GUATEMALA = "GT"
    HONDURAS = "HN"
    EL_SALVADOR = "SV"


COUNTRY_TIMEZONES = {
    Country.GUATEMALA: "America/Guatemala",
    Country.HONDURAS: "America/Tegucigalpa",
    Country.EL_SALVADOR: "America/El_Salvador",
}


class CentreKind(enum.StrEnum):
    AIRPORT = "airport"
    LAND_BORDER = "land_border"
    SHELTER = "shelter"
    OFFICE = "office"


class Centre(Base):
    """A place where staff work: a reception centre, a child shelter or an office."""

    __tablename__ = "centres"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[CentreKind] = mapped_column(value_enum(CentreKind))
    country: Mapped[Country] = mapped_column(value_enum(Country, length=2), index=True)
    region: Mapped[str] = mapped_column(String(100), default="")
    municipality: Mapped[str] = mapped_column(String(100), default="")
    timezone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"<Centre {self.code}>"


class Profile(enum.StrEnum):
    """Whom an office follows: child welfare and adult services are often different offices."""

    CHILD = "child"
    ADULT = "adult"


class OfficeCoverage(Base):
    """One place an office follows people up in, for children or adults: the office of every
    case whose home is there. A place has at most one office per profile."""

    __tablename__ = "office_coverage"
    __table_args__ = (UniqueConstraint("place_code", "profile"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    place_code: Mapped[str] = mapped_column(String(7))
    profile: Mapped[Profile] = mapped_column(value_enum(Profile, length=5))
