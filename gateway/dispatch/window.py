"""Calling hours in the respondent's local time.

The time zone comes from the number (``phonenumbers.timezone``). A number
whose region spans several zones (the US, Australia's mobiles) or none is
read in ``GATEWAY_DEFAULT_TIMEZONE``: a guess there could call someone at
midnight, the operator's own zone is at least a known choice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as number_timezones

from gateway.config import CallWindow

_UNKNOWN = "Etc/Unknown"


@lru_cache(maxsize=4096)
def _zone_name(number: str) -> str | None:
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None
    zones = [z for z in number_timezones.time_zones_for_number(parsed) if z != _UNKNOWN]
    return zones[0] if len(zones) == 1 else None


def respondent_zone(number: str, default: ZoneInfo) -> ZoneInfo:
    name = _zone_name(number)
    if name is None:
        return default
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:
        return default


def in_call_window(number: str, now: datetime, window: CallWindow, default: ZoneInfo) -> bool:
    """Whether ``now`` (aware) is inside the window in the respondent's local time."""
    local = now.astimezone(respondent_zone(number, default))
    return window.contains(local.time())


def next_opening(number: str, now: datetime, window: CallWindow, default: ZoneInfo) -> datetime:
    """When the window next opens for the respondent (``now`` is outside it)."""
    local = now.astimezone(respondent_zone(number, default))
    opening = local.replace(
        hour=window.start.hour, minute=window.start.minute, second=0, microsecond=0
    )
    if opening <= local:
        opening += timedelta(days=1)  # wall-clock arithmetic: DST keeps 09:00 at 09:00
    return opening
