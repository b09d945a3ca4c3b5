"""Turning one claimed job into a Twilio call or the survey's first text messages.

Exactly once per attempt: see ``gateway.dispatch.placing`` for the marker
written before Twilio is asked, and the reconciliation with Twilio's log
when a job finds its attempt begun by a dial that never settled.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime

from gateway.config import Settings
from gateway.dispatch.calls import place_call
from gateway.dispatch.jobs import Job
from gateway.dispatch.placing import (
    CLOCK_SLACK,
    claim_kept,
    dialling,
    settle_on_stop,
    settled_window,
    write_down,
)
from gateway.dispatch.poller import DuePoller, SurveyNumbers
from gateway.dispatch.store import DispatchStore
from gateway.dispatch.texts import FirstTexts, Pace
from gateway.languages import Languages
from gateway.logging import get_logger
from gateway.sdx import SdxClient
from gateway.sdx.errors import SdxError
from gateway.sdx.models import Interaction
from gateway.state.agenda import Plan
from gateway.state.attempts import AttemptStore, Dial
from gateway.state.conversations import ConversationStore
from gateway.survey.outcomes import data_of, note_status
from gateway.twilio.rest import INVALID_TO, TwilioApiError, TwilioRest

log = get_logger(__name__)


class Dialer:
    def __init__(
        self,
        *,
        settings: Settings,
        sdx: SdxClient,
        twilio: TwilioRest,
        conversations: ConversationStore,
        store: DispatchStore,
        attempts: AttemptStore,
        pace: Pace,
        poller: DuePoller,
        languages: Languages,
        claim_ttl: float = 30.0,
    ) -> None:
        self._settings = settings
        self._languages = languages
        self._sdx = sdx
        self._twilio = twilio
        self._conversations = conversations
        self._store = store
        self._attempts = attempts
        self._poller = poller
        # A claim outlives the call: if its outcome never gets recorded, the
        # interaction (same scheduled time) is dialled again after this.
        self._settled_ttl = settled_window(settings.gateway_retry_delay)
        self._claim_ttl = claim_ttl
        self._texts = FirstTexts(
            settings=settings,
            sdx=sdx,
            twilio=twilio,
            conversations=conversations,
            store=store,
            pace=pace,
            settled_ttl=self._settled_ttl,
        )

    async def dial(self, job: Job, owner: str) -> str:
        """Place the call or send the texts; returns the outcome (for logs and metrics).

        The caller holds the job's claim (as ``owner``) and a pacing slot.
        The interaction is read again first: a queued entry may be minutes
        old, and meanwhile the survey may have been completed, rescheduled or
        given up on. "deferred" means: leave the entry to come back later.
        """
        try:
            current = await self._sdx.get_interaction(job.interaction_id, include_data=True)
            region = await self._poller.region()  # SDX's survey list, if not read yet
        except SdxError as exc:
            log.warning("sdx_fault", error=type(exc).__name__, interaction_id=job.interaction_id)
            return await self._not_now(job)
        dials = (await self._attempts.dials([job.interaction_id]))[job.interaction_id]
        # One moment for both questions: a recent dial of this attempt that the
        # limit check excused is then resumed, never counted as a new one.
        now = time.time()
        if not self._still_due(job, current, dials, now, region):
            await self._store.settle(job, "stale", self._settled_ttl)
            await self._poller.follow(current, now)  # the agenda follows what was read
            return "stale"
        language = self._languages.choose(current.language(), job.channel).key
        async with claim_kept(self._store, job, owner, self._claim_ttl):
            outcome = await self._place(job, data_of(current), dials, now, owner, language)
        await self._follow(job, outcome, now)
        return outcome

    async def _follow(self, job: Job, outcome: str, now: float) -> None:
        """The agenda after a dial: a call comes back when its settled window
        ends (unless its outcome reschedules it first), or at the next poll if
        Twilio refused it for now; a text that went out leaves it, unless its
        delivery report moved it on meanwhile (a callback can beat this)."""
        agenda, interaction_id = self._poller.agenda, job.interaction_id
        if job.channel == "voice" and outcome == "retry":
            await agenda.defer(interaction_id, now)
        elif job.channel == "voice":
            at = float(job.attempt) if job.attempt.isdigit() else 0.0
            plan = Plan(interaction_id, job.survey_id, "outbound", at, job.to)
            await agenda.hold(plan, now + self._settled_ttl)
        elif outcome not in ("deferred", "retry"):  # those come back through the stream
            await agenda.drop_unmoved(interaction_id, now)

    async def _not_now(self, job: Job) -> str:
        """Give the job up for now. A call's interaction is listed again at the
        next poll (the agenda offers it again); a first text's may have started
        (or be a resend), and then no listing offers it again: its entry itself
        must come back."""
        await self._store.release(job)
        if job.channel == "sms":
            return "deferred"
        await self._poller.agenda.defer(job.interaction_id, time.time())  # the next poll
        return "retry"

    async def _still_held(self, job: Job, owner: str) -> bool:
        """Is the claim still ours? (A stall past its TTL lets another replica dial.)"""
        if await self._store.renew(job, owner, self._claim_ttl):
            return True
        log.warning("dispatch_claim_lost_before_dialling", interaction_id=job.interaction_id)
        return False

    async def _place(
        self,
        job: Job,
        data: dict[str, str],
        dials: list[Dial],
        now: float,
        owner: str,
        language: str,
    ) -> str:
        moment = datetime.fromtimestamp(now, UTC)
        dial = dialling(job, data, dials, moment, self._settled_ttl)
        if dial.resumed:
            reconciled = await self._reconcile(job, dial.placing.began - CLOCK_SLACK, language)
            if reconciled is not None:
                return reconciled
        if not await write_down(self._sdx, self._attempts, job, data, dial):
            return await self._not_now(job)
        if not await self._still_held(job, owner):
            return "deferred"  # the holder now settles it; the entry is acknowledged then
        if job.channel == "voice":
            return await self._call(job, language)
        return await self._texts.send(job, language)

    async def _reconcile(self, job: Job, began: datetime, language: str) -> str | None:
        """An earlier dial of this attempt never settled: did Twilio take it?

        Returns the outcome when it did (or when Twilio cannot say), None
        when nothing went out and the attempt is still to be placed.
        """
        log.info("dispatch_reconciling", interaction_id=job.interaction_id)
        try:
            if job.channel == "voice":
                sids = await self._twilio.calls_since(to=job.to, from_=job.from_, since=began)
            else:
                sids = await self._twilio.messages_since(to=job.to, from_=job.from_, since=began)
        except TwilioApiError as exc:
            log.warning("twilio_log_unavailable", status=exc.status, code=exc.code)
            await self._store.release(job)  # the claim only: the entry comes back
            return "deferred"
        if not sids:
            return None
        log.info("dispatch_reconciled", sid=sids[0], found=len(sids))
        if job.channel == "sms":
            # The first text went out; the conversation it opened may be gone
            # with Redis: open it again where SDX stands (start_survey resumes).
            with contextlib.suppress(SdxError):
                turn = await self._sdx.start_survey(job.interaction_id)
                if not turn.completed:
                    await self._texts.open_conversation(job, turn, sending=False, language=language)
        await self._store.settle(job, sids[0], self._settled_ttl)
        return "reconciled"

    def _still_due(
        self, job: Job, current: Interaction, dials: list[Dial], now: float, region: str
    ) -> bool:
        if current.completed_at is not None:
            return False
        numbers = SurveyNumbers(
            job.survey_id,
            job.from_ if job.channel == "voice" else None,
            job.from_ if job.channel == "sms" else None,
            region,
        )
        fresh = self._poller.job_for(current, numbers, now)
        if fresh is None or not self._poller.under_limit(job, dials, now):
            return False
        return job.attempt.startswith("retry-") or fresh.attempt == job.attempt

    # --- calls --------------------------------------------------------------

    async def _call(self, job: Job, language: str) -> str:
        creating = asyncio.ensure_future(place_call(self._twilio, self._settings, job, language))
        try:
            # Shielded: a shutdown must not leave "was the call placed?" open.
            placed = await asyncio.shield(creating)
        except TwilioApiError as exc:
            return await self._call_refused(job, exc)
        except asyncio.CancelledError:
            await settle_on_stop(self._store, job, creating, self._settled_ttl)
            raise
        await self._store.settle(job, placed.sid, self._settled_ttl)
        log.info("call_placed", call_sid=placed.sid)
        return "dialled"

    async def _call_refused(self, job: Job, exc: TwilioApiError) -> str:
        log.warning(
            "call_refused", status=exc.status, code=exc.code, interaction_id=job.interaction_id
        )
        if exc.status is None:
            # No answer from Twilio: the call may have been placed. Never
            # dial twice; if it was not, the claim expires and it is retried.
            await self._store.settle(job, "unknown", self._settled_ttl)
            return "unknown"
        if exc.transient:
            await self._store.release(job)  # the next poll offers it again
            return "retry"
        await self._store.settle(job, f"error-{exc.code}", self._settled_ttl)
        status = "invalid_number" if exc.code == INVALID_TO else "dial_failed"
        await note_status(self._sdx, job.interaction_id, status)
        return status
