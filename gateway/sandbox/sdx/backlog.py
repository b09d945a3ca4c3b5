"""Many not-started interactions made at once: seeding the scale bench's backlog.

A million of them must take seconds, not minutes, so this avoids what makes
``create_interaction`` cost microseconds apiece when repeated a million
times: a UUID object per interaction, a new timestamp per interaction, and
the garbage collector walking every new record again and again.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from gateway.sandbox.sdx.errors import BadRequest
from gateway.sandbox.sdx.models import Interaction, SurveyType
from gateway.sandbox.sdx.timefmt import parse_schedule

if TYPE_CHECKING:  # the store imports this module to make its records
    from gateway.sandbox.sdx.store import SdxStore

# The channels a gateway works a backlog of; more would only be seeding.
BACKLOG_TYPES: tuple[SurveyType, ...] = ("outbound", "sms", "inbound")
MAX_BACKLOG = 5_000_000
_ORDER_FIELDS = frozenset({"survey_id", "survey_type", "count", "first_number", "scheduled_at"})


def random_uuids(count: int) -> list[str]:
    """``count`` random UUIDs as ``str(uuid.uuid4())`` writes them.

    One read of random bytes and string slicing: about four times faster
    than calling uuid4 for each.
    """
    raw = os.urandom(16 * count).hex()
    made = []
    for start in range(0, 32 * count, 32):
        h = raw[start : start + 32]
        # The version nibble is 4; the variant's top two bits are 10 (8, 9, a or b).
        variant = "89ab"[int(h[16], 16) & 3]
        made.append(f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}")
    return made


def make_backlog(
    ids: Sequence[int],
    survey_id: int,
    survey_type: SurveyType,
    phone_numbers: Sequence[str],
    scheduled_at: datetime,
    now: datetime,
) -> list[Interaction]:
    """One interaction per (id, number); the timestamps are shared, not copied."""
    # A million new objects would set off full collections that find no
    # garbage: a third of the time, without this.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return [
            Interaction(
                id=interaction_id,
                uuid=uuid_text,
                survey_id=survey_id,
                scheduled_at=scheduled_at,
                created_at=now,
                updated_at=now,
                phone_number=number,
                survey_type=survey_type,
            )
            for interaction_id, number, uuid_text in zip(
                ids, phone_numbers, random_uuids(len(ids)), strict=True
            )
        ]
    finally:
        if collecting:
            gc.enable()


@dataclass(frozen=True)
class BacklogOrder:
    """The body of ``POST /_sandbox/interactions/bulk``, checked.

    ``{"survey_id": 53, "survey_type": "outbound", "count": 1000000,
    "first_number": "+61410000000", "scheduled_at": "2031-01-01 09:00:00"}``:
    ``count`` not-started interactions whose numbers count up from
    ``first_number``; ``scheduled_at`` (UTC, or ``Now + 30 Days``) is
    optional, default now.
    """

    survey_id: int
    survey_type: SurveyType
    count: int
    first_number: str
    scheduled_at: str | None = None

    @classmethod
    def from_json(cls, body: Any) -> BacklogOrder:
        if not isinstance(body, dict):
            raise BadRequest("the body must be a JSON object")
        unknown = set(body) - _ORDER_FIELDS
        if unknown:
            raise BadRequest(f"unknown fields: {', '.join(sorted(unknown))}")
        survey_id, count = _integer(body, "survey_id"), _integer(body, "count")
        if not 1 <= count <= MAX_BACKLOG:
            raise BadRequest(f"count must be between 1 and {MAX_BACKLOG}")
        survey_type = body.get("survey_type")
        if survey_type not in BACKLOG_TYPES:
            raise BadRequest(f"survey_type must be one of {', '.join(BACKLOG_TYPES)}")
        first, scheduled = body.get("first_number"), body.get("scheduled_at")
        if not isinstance(first, str):
            raise BadRequest("first_number must be a string (E.164)")
        if scheduled is not None and not isinstance(scheduled, str):
            raise BadRequest("scheduled_at must be a string")
        return cls(survey_id, survey_type, count, first, scheduled)

    def phone_numbers(self) -> list[str]:
        """``first_number`` and the next ``count - 1``, as long as it is."""
        digits = self.first_number.removeprefix("+")
        if not self.first_number.startswith("+") or not digits.isdigit():
            raise BadRequest("first_number must be in international (E.164) format")
        start, width = int(digits), len(digits)
        if len(str(start + self.count - 1)) > width:
            raise BadRequest("the numbers would outgrow first_number's length")
        return [f"+{n:0{width}d}" for n in range(start, start + self.count)]

    def create_in(self, store: SdxStore) -> list[Interaction]:
        now = store.clock()
        scheduled = None if self.scheduled_at is None else parse_schedule(self.scheduled_at, now)
        return store.create_many(self.survey_id, self.survey_type, self.phone_numbers(), scheduled)


def _integer(body: dict[str, Any], name: str) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"{name} must be an integer")
    return value
