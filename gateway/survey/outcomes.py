"""Outcomes the gateway records in SDX, where they survive Redis: the interaction data.

Three keys of an interaction's data are the gateway's:

* ``gateway_attempts``: how many times it was dialled;
* ``gateway_status``: why it is never dialled or texted again (unreachable,
  opted out, an invalid number, a text the carrier filtered...), for the
  dispatcher and the operator's reports;
* ``gateway_redial``: the time (whole seconds) to which an interaction whose
  survey had already started was moved, because its call reached a machine
  or its first text never arrived. A started interaction is otherwise never
  dialled or texted first again; this one is, once, at that time.

(A third, ``gateway_placing``, is the dispatcher's own: see
``gateway.dispatch.placing``.)

Every dial is counted in SDX interaction data (``gateway_attempts``, so it
survives Redis) and in Redis (``gateway.state.attempts``, so an SDX that
appends, ignores or loses data writes cannot keep it low) by the dialler,
before the call is placed. Busy, no answer, failed, canceled or an
answering machine then reschedule the interaction ``GATEWAY_RETRY_DELAY``
later (a PUT of ``scheduled_at``), until the larger of the two counts
reaches ``GATEWAY_MAX_ATTEMPTS``: then it is marked
``gateway_status=unreachable`` and never dialled again.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime

from gateway.logging import get_logger
from gateway.sdx import SdxClient, ambiguous
from gateway.sdx.errors import SdxError, SdxGone, SdxNotFound
from gateway.sdx.models import Interaction, InteractionData
from gateway.state.attempts import AttemptStore
from gateway.state.sessions import SessionStore

log = get_logger(__name__)

ATTEMPTS = "gateway_attempts"
STATUS = "gateway_status"
REDIAL = "gateway_redial"
# gateway_status values after which an interaction is never dialled again.
# ("filtered": the carrier filtered its first text, 30007; texting it again
# would only be filtered again, until the operator fixes the cause.)
FINAL_STATUSES = frozenset(
    {
        "unreachable",
        "invalid_number",
        "not_sms_capable",
        "opted_out",
        "filtered",
        "send_failed",
        "dial_failed",
    }
)
# Twilio CallStatus values of an outbound call that reached nobody.
NOT_REACHED = frozenset({"busy", "no-answer", "failed", "canceled"})


def data_values(data: Iterable[InteractionData]) -> dict[str, str]:
    """Key -> value; where SDX kept several records of a key, the newest (highest id)."""
    return {d.custom_key: d.custom_value or "" for d in sorted(data, key=lambda d: d.id)}


def data_of(item: Interaction) -> dict[str, str]:
    """An interaction's data (listed with ``include_data``) as key -> value."""
    return data_values(item.interaction_data or [])


def attempts_in(data: dict[str, str]) -> int:
    return int(data.get(ATTEMPTS) or 0)


def attempt_of(item: Interaction) -> str:
    """The dial attempt an interaction stands for: its scheduled time, in whole seconds."""
    return str(int(item.scheduled_at.timestamp()) if item.scheduled_at else 0)


def redial_due(item: Interaction) -> bool:
    """Was this (started) interaction moved to its current time to be reached again?"""
    return data_of(item).get(REDIAL) == attempt_of(item)


async def note_status(sdx: SdxClient, interaction_id: int, status: str) -> bool:
    """Record ``gateway_status`` in SDX; False if SDX failed (a deleted interaction
    needs no note, and counts as done)."""
    try:
        await ambiguous.write_data(sdx, interaction_id, STATUS, status)
    except (SdxNotFound, SdxGone):
        return True
    except SdxError as exc:
        log.warning("interaction_data_failed", error=type(exc).__name__)
        return False
    return True


class CallOutcomes:
    def __init__(
        self,
        sdx: SdxClient,
        sessions: SessionStore,
        attempts: AttemptStore,
        *,
        max_attempts: int,
        retry_delay: int,
        rescheduled: Callable[[Interaction], Awaitable[None]] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._sdx = sdx
        # Told of each reschedule (the dispatcher's agenda follows it).
        self._rescheduled = rescheduled
        self._sessions = sessions
        self._attempts = attempts
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay
        self._clock = clock

    async def not_reached(
        self, call_sid: str, interaction_id: int, reason: str, *, started: bool = False
    ) -> None:
        """Count the attempt once per call (Twilio may repeat the callback).

        ``started``: the call had started the survey (a machine found out
        only after the greeting began): the retry is written down as a redial.
        """
        if not await self._sessions.once(f"outcome:{call_sid}", 2 * 86400):
            return
        try:
            await self._count(interaction_id, reason, started)
        except SdxError as exc:
            # Not rescheduled: the interaction keeps its time and is dialled
            # again once the attempt's claim expires (GATEWAY_RETRY_DELAY);
            # that dial is counted, so the limit still holds.
            log.warning("attempt_not_recorded", error=type(exc).__name__, reason=reason)

    async def _count(self, interaction_id: int, reason: str, started: bool) -> None:
        # The dialler counted the attempt before dialling; here it is only
        # decided whether there will be another.
        data = await self._sdx.all_interaction_data(interaction_id)
        own = (await self._attempts.dials([interaction_id]))[interaction_id]
        attempts = max(attempts_in(data_values(data)), len(own))
        if attempts >= self._max_attempts:
            await ambiguous.write_data(self._sdx, interaction_id, STATUS, "unreachable")
            log.info("outbound_unreachable", attempts=attempts, reason=reason)
            return
        await self.retry_later(interaction_id, redial=started)
        log.info("outbound_rescheduled", attempts=attempts, reason=reason)

    async def retry_later(self, interaction_id: int, *, redial: bool) -> None:
        """Move the interaction ``GATEWAY_RETRY_DELAY`` on (SDX errors raise).

        ``redial``: its survey has started, so only the ``gateway_redial``
        marker, written first, keeps it on the agenda: a marker whose move
        then failed names a time the interaction does not have, and is inert.
        """
        at = int(self._clock() + self._retry_delay)
        if redial:
            await ambiguous.write_data(self._sdx, interaction_id, REDIAL, str(at))
        interaction = await self._sdx.get_interaction(interaction_id)
        later = datetime.fromtimestamp(at, UTC)
        updated = await self._sdx.update_interaction(interaction, scheduled_at=later)
        if self._rescheduled is not None:
            try:
                await self._rescheduled(updated)
            except Exception as exc:  # Redis: the next full pass plans it instead
                log.warning("agenda_not_updated", error=type(exc).__name__)
