"""Twilio's date filters on lists, and the order lists come in.

Each date filter comes three ways, after a resource field: ``StartTime``
(calls that started on that UTC day), ``StartTime<`` and ``StartTime>``. The
name keeps the comparison because on the wire the pair reads
``StartTime>=2024-05-01``: Twilio's docs call it "on or after midnight of
this date" (and ``<`` "on or before midnight"), so both bounds are inclusive
and a bare ``YYYY-MM-DD`` stands for its midnight, UTC. (Newer Messages docs
say "on and before a specific date", which would take in the whole day; the
midnight reading is the one the Calls and Messages docs share.)

The twilio library sends a ``datetime`` (or ``date``) as
``YYYY-MM-DDTHH:MM:SSZ`` (``twilio.base.serialize.iso8601_datetime``), never
as the bare date its docs ask for; that instant is then the bound, which is
what a caller passing a ``datetime`` means. ``StartTime=`` with an instant
still names a whole day: the instant's UTC day.

A record without the field (a call still queued has no ``start_time``, a
message not yet sent no ``date_sent``) matches no date filter, as on Twilio.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol, TypeVar

from gateway.sandbox.twilio.errors import TwilioError

# Twilio's generic "invalid parameter" code: its docs name no code for a bad date.
INVALID_PARAMETER = 20001


class Dated(Protocol):
    @property
    def date_created(self) -> datetime: ...


D = TypeVar("D", bound=Dated)


def newest_first(records: Iterable[D]) -> list[D]:
    """By ``date_created``, newest first (Twilio's list order).

    ``records`` come oldest first; reversing before a stable sort puts the
    later of two records created in the same second first, as Twilio does.
    """
    return sorted(reversed(list(records)), key=lambda record: record.date_created, reverse=True)


def _instant(name: str, text: str) -> datetime:
    """``text`` as a UTC instant: a date is its midnight, a naive time is UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise TwilioError(
            400, INVALID_PARAMETER, f"{name} must be a date as YYYY-MM-DD: {text}"
        ) from None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parameters(field: str) -> tuple[str, str, str]:
    """``StartTime`` -> its day, ``<`` and ``>`` parameters."""
    return field, f"{field}<", f"{field}>"


@dataclass(frozen=True)
class DateFilter:
    """What a query asks of one timestamp field: its day, and inclusive bounds."""

    field: str
    on: date | None = None
    after: datetime | None = None
    before: datetime | None = None

    @property
    def names(self) -> tuple[str, str, str]:
        """The query parameters of this field (those a page's URIs keep)."""
        return parameters(self.field)

    @classmethod
    def read(cls, query: Mapping[str, str], field: str) -> DateFilter:
        """The filter on ``field`` in ``query``; an unreadable date is Twilio's 400."""
        exact, before, after = (query.get(name) or None for name in parameters(field))
        return cls(
            field,
            on=_instant(field, exact).date() if exact else None,
            after=_instant(f"{field}>", after) if after else None,
            before=_instant(f"{field}<", before) if before else None,
        )

    def match(self, value: datetime | None) -> bool:
        if self.on is None and self.after is None and self.before is None:
            return True
        if value is None:
            return False
        value = value.astimezone(UTC)
        return (
            (self.on is None or value.date() == self.on)
            and (self.after is None or value >= self.after)
            and (self.before is None or value <= self.before)
        )
