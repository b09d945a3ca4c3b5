"""Abandoning idle SMS conversations in SDX, not merely forgetting them.

Every active conversation sits in a due-time index (``gateway.state.conversations``)
scored by when it becomes idle. A background task in each web process takes
what is due, leased so that replicas never take the same conversation twice
and a dead sweeper's work is taken again, and abandons the survey in SDX.
It also finishes what a STOP could not do while SDX failed: the abandon,
and the ``gateway_status=opted_out`` note in the interaction's data.
"""

from __future__ import annotations

import asyncio
import time

from redis.exceptions import RedisError

from gateway.background import cancel_requested
from gateway.logging import bind_context, clear_context, get_logger
from gateway.metrics import survey_event
from gateway.sdx import SdxClient, ambiguous
from gateway.sdx.errors import SdxConflict, SdxError, SdxGone, SdxNotFound
from gateway.state.conversations import Conversation, ConversationBusy, ConversationStore
from gateway.survey.outcomes import note_status

log = get_logger(__name__)

BATCH = 100
# A taken conversation is not offered to another sweeper for this long.
LEASE = 300.0


class SmsExpiry:
    def __init__(
        self,
        *,
        sdx: SdxClient,
        store: ConversationStore,
        idle_ttl: int,
        interval: float | None = None,
    ) -> None:
        self._sdx = sdx
        self._store = store
        self._idle_ttl = idle_ttl
        self._interval = interval or min(60.0, max(1.0, idle_ttl / 10))

    async def run(self) -> None:
        """Sweep forever; cancelled at shutdown."""
        while True:
            try:
                await self.sweep()
            except (RedisError, OSError, TimeoutError, SdxError) as exc:
                # Redis or SDX down or slow: the next round tries again, and
                # /readyz says which. A warning, as for the other loops.
                if cancel_requested():
                    raise asyncio.CancelledError from None  # shutdown, not a failure
                log.warning("sms_sweep_failed", error=type(exc).__name__)
            except Exception:  # a bug: the trace is wanted
                if cancel_requested():
                    raise asyncio.CancelledError from None
                log.exception("sms_sweep_failed")
            await asyncio.sleep(self._interval)

    async def sweep(self, now: float | None = None) -> int:
        """Abandon what is idle; returns how many conversations were ended."""
        ended = 0
        now = time.time() if now is None else now
        while True:
            keys = await self._store.take_due(now, BATCH, LEASE)
            for key in keys:
                ended += await self._expire(key, now)
            if len(keys) < BATCH:
                return ended

    async def _expire(self, key: str, now: float) -> int:
        clear_context()
        try:
            async with self._store.locked(key, wait=1.0):
                conversation = await self._store.load(key)
                if conversation is None or not (
                    conversation.status == "active"
                    or conversation.abandon_pending
                    or conversation.opt_out_note_pending
                ):
                    await self._store.drop_due(key)  # nothing left to end
                    return 0
                idle = conversation.updated_at + self._idle_ttl <= now
                pending = conversation.abandon_pending or conversation.opt_out_note_pending
                if not (idle or pending):
                    return 0  # a message arrived meanwhile; it rescheduled itself
                bind_context(interaction_id=conversation.interaction_id)
                if not await self._end(conversation):
                    return 0  # still leased: tried again after the lease
                # Saved as ended, it also leaves the lookup index.
                await self._store.finish(None, "", conversation, self._idle_ttl)
                return 1
        except ConversationBusy:
            return 0  # a message is being applied: it reschedules the conversation
        finally:
            clear_context()

    async def _end(self, conversation: Conversation) -> bool:
        """Abandon the survey in SDX and note a pending opt-out; False if SDX failed."""
        if conversation.status == "active" or conversation.abandon_pending:
            try:
                await ambiguous.abandon(self._sdx, conversation.interaction_id)
            except (SdxConflict, SdxNotFound, SdxGone):
                pass  # already ended in SDX, or deleted
            except SdxError as exc:
                log.warning("sms_expiry_abandon_failed", error=type(exc).__name__)
                return False
            if conversation.status == "active":
                conversation.status = "abandoned"
                log.info("survey_abandoned", reason="sms_idle")
                survey_event("sms", "abandoned")
            conversation.abandon_pending = False
            conversation.question = None
        if conversation.opt_out_note_pending:
            if not await note_status(self._sdx, conversation.interaction_id, "opted_out"):
                return False
            conversation.opt_out_note_pending = False
        return True
