"""What listed rows say: the index entries, agenda plans and removals they make.

Shared by every listing of ``gateway.survey.feed`` and by the single reads
the dialler and a call's outcome make (``InteractionFeed.saw``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.numbers import InvalidNumber, to_e164
from gateway.sdx.models import Interaction
from gateway.state.agenda import AGENDA_TYPES, Plan
from gateway.state.index import Candidate
from gateway.survey.outcomes import FINAL_STATUSES, STATUS, data_of, redial_due

PHONE_TYPES = ("inbound", "outbound", "sms")


@dataclass
class Seen:
    """What some listed rows say: index and agenda changes, the highest id."""

    add: list[tuple[str, Candidate]] = field(default_factory=list)
    drop: list[tuple[str, int]] = field(default_factory=list)
    plans: list[Plan] = field(default_factory=list)
    unplan: list[int] = field(default_factory=list)
    top: int | None = None
    rows: int = 0


def _e164(item: Interaction, region: str) -> str | None:
    if item.survey_type not in PHONE_TYPES or not item.phone_number:
        return None
    try:
        return to_e164(item.phone_number, region)
    except InvalidNumber:
        return None


def note(seen: Seen, item: Interaction, region: str, *, started: bool | None) -> None:
    """Add one row to ``seen``. ``started``: what the listing's filter says
    (None: not known, as for a single ``GET``)."""
    seen.rows += 1
    seen.top = item.id if seen.top is None else max(seen.top, item.id)
    phone = _e164(item, region)
    if phone is None:
        return
    if item.completed_at is not None:
        seen.drop.append((phone, item.id))
        seen.unplan.append(item.id)
        return
    at = item.scheduled_at.timestamp() if item.scheduled_at else None
    candidate = Candidate(item.id, item.survey_id, str(item.survey_type), at, item.language())
    seen.add.append((phone, candidate))
    if (started and not redial_due(item)) or data_of(item).get(STATUS) in FINAL_STATUSES:
        # Begun (only its own conversation goes on), or given up on: never
        # dialled or texted first again, though a call back still takes it.
        # A begun one the gateway moved to reach again (its call found a
        # machine, its first text never arrived) is the exception.
        seen.unplan.append(item.id)
    elif item.survey_type in AGENDA_TYPES:
        # In whole seconds, as the dial's attempt is: the dialler rebuilds the
        # plan from its job, and the agenda compares the two (``hold``).
        plan = Plan(item.id, item.survey_id, item.survey_type, float(int(at or 0)), phone)
        seen.plans.append(plan)
