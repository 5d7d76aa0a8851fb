"""Identity documents that pass the desk's checks, for tests that need one."""

from __future__ import annotations

from returnees.people.identity import cui_check_digit


def cui(serial: str = "23456789", place: str = "0101") -> str:
    """A Guatemalan DPI/CUI: eight digits, their check digit, a department and municipality."""
    check = cui_check_digit(serial)
    assert check is not None, f"no CUI begins with {serial}: choose other digits"
    return f"{serial}{check}{place}"


def dni(place: str = "0801", year: int = 1990, serial: str = "12345") -> str:
    """A Honduran DNI: department and municipality, year of birth, five digits."""
    return f"{place}{year}{serial}"
