"""SDX timestamps: ``YYYY-MM-DD HH:MM:SS`` in UTC, and ``Now + X Units``."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from gateway.sandbox.sdx.errors import BadRequest

SDX_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

# What real SDX (PHP over MySQL's zero date) prints for a time never set.
NEVER = "-0001-11-30 00:00:00"

# The "+" may arrive as a space: SDX's own curl example sends
# ``-d "scheduled_at=Now + 5 minutes"`` unencoded, and form decoding turns
# that "+" into a space. So "Now 5 minutes" is accepted too.
_RELATIVE = re.compile(r"now(?:\s*[+\s]\s*(\d{1,6})\s*(minute|hour|day)s?)?", re.IGNORECASE)
_UNITS = {"minute": "minutes", "hour": "hours", "day": "days"}


def utc_now() -> datetime:
    # SDX keeps whole seconds; keeping them here too makes round trips exact.
    return datetime.now(UTC).replace(microsecond=0)


def format_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime(SDX_TIME_FORMAT)


def parse_time(text: str) -> datetime:
    """Read ``YYYY-MM-DD HH:MM:SS`` (UTC); ValueError otherwise."""
    return datetime.strptime(text.strip(), SDX_TIME_FORMAT).replace(tzinfo=UTC)


def parse_schedule(text: str, now: datetime) -> datetime:
    """Read a ``scheduled_at`` parameter: a timestamp, ``Now`` or ``Now + X Units``.

    Units are minutes, hours or days, any case, singular or plural. Anything
    else is a 400, as SDX would not know when to run the interaction.
    Timestamps are taken as they are, in the past too (as SDX does: an
    interaction scheduled in the past is simply due).
    """
    match = _RELATIVE.fullmatch(text.strip())
    if match is not None:
        amount, unit = match.groups()
        if amount is None:
            return now
        return now + timedelta(**{_UNITS[unit.lower()]: int(amount)})
    try:
        return parse_time(text)
    except ValueError:
        raise BadRequest(
            "scheduled_at must be 'YYYY-MM-DD HH:MM:SS' or 'Now + X Minutes/Hours/Days'"
        ) from None
