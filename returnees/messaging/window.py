"""When a person may be written to: the sending window of their country (SENDING_WINDOW, local
hours from and to), in its own time. A check-in waits for it when it is queued and again when
its message is sent, should a retry or a stopped worker carry it past the evening."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _

from returnees.centres.models import COUNTRY_TIMEZONES, Country


def local_zone(nationality: Country) -> ZoneInfo:
    return ZoneInfo(COUNTRY_TIMEZONES[nationality])


def window_opens(now: datetime, nationality: Country) -> datetime | None:
    """None while the window is open; otherwise when it next opens, in UTC."""
    start, end = current_app.config["SENDING_WINDOW"][nationality.value]
    local = now.astimezone(local_zone(nationality))
    if start <= local.hour < end:
        return None
    day = local.date() if local.hour < start else local.date() + timedelta(days=1)
    return datetime.combine(day, time(start), local.tzinfo).astimezone(UTC)


def sending_time(due: datetime, now: datetime, nationality: Country) -> datetime:
    """When a message due at `due` goes out: then (now, if that is past), or when the window
    next opens, as dispatch decides."""
    at = max(due, now)
    return window_opens(at, nationality) or at


def next_days_window(now: datetime, nationality: Country) -> datetime:
    """When the window opens tomorrow (the person's local day), in UTC."""
    start, _end = current_app.config["SENDING_WINDOW"][nationality.value]
    zone = local_zone(nationality)
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(start), zone).astimezone(UTC)


def start_of_day(now: datetime, zone: ZoneInfo, days_later: int = 0) -> datetime:
    """Midnight of the local day `now` falls on in `zone` (or as many days later), in UTC."""
    day = now.astimezone(zone).date() + timedelta(days=days_later)
    return datetime.combine(day, time(), zone).astimezone(UTC)


def sending_hold(now: datetime, nationality: Country) -> str | None:
    """Why routine messages to a person of this country wait now, and when they go, in the
    person's time ("outside the sending hours: goes out tomorrow at 08:00"); None while the
    window is open. Replies and urgent alerts go at any hour. The window opens again the same
    morning or the next one."""
    opens = window_opens(now, nationality)
    if opens is None:
        return None
    zone = local_zone(nationality)
    local = opens.astimezone(zone)
    clock = local.strftime("%H:%M")
    if local.date() == now.astimezone(zone).date():
        when = _("today at %(time)s", time=clock)
    else:
        when = _("tomorrow at %(time)s", time=clock)
    return _("Outside the sending hours: goes out %(when)s.", when=when)
