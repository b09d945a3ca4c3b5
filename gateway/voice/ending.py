"""How a call ends: the caller hanging up, answering machines, the gateway's own fault.

Twilio's final status means different things for the survey: an outbound
call that reached nobody (busy, no answer, failed, a machine) is an attempt
to count and reschedule, never an abandon; a caller who hangs up mid-survey
abandons it, exactly once, and only after their last answer is recorded.
When the gateway itself ends the call (SDX or Redis failing, the webhook
deadline), the caller hears the apology and the survey is left open, so
that a call back resumes it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from gateway.logging import bind_context, clip, get_logger
from gateway.metrics import survey_event
from gateway.sdx import SdxClient, ambiguous
from gateway.sdx.errors import SdxError
from gateway.sdx.models import SurveyTurn
from gateway.state.sessions import CallSession, SessionStore
from gateway.survey.duplicates import wait_for_reply
from gateway.survey.index import InteractionIndex
from gateway.survey.outcomes import NOT_REACHED, CallOutcomes
from gateway.voice.machine import ABANDON_CLAIM, ABANDON_CLAIM_TTL, MACHINE
from gateway.voice.twiml import VoiceStyle, render_closing, turn_prompts

log = get_logger(__name__)

# Statuses after which the call is over (Twilio's CallStatus values).
FINAL_STATUSES = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
# Twilio waits for the TwiML while a machine's outcome is recorded: bounded.
MACHINE_RECORD_WAIT = 3.0
# Marking a call faulted is best effort within this: the caller is waiting.
MARK_FAULTED_WAIT = 0.5
# Twilio posts a Gather's action before the call's final status, but the two
# can cross on the way: a hang-up waits this long (at most a tenth of the
# webhook deadline) for a last answer to arrive before it claims the turn.
HANG_UP_GRACE = 1.0


def turn_settled(turn: int) -> Callable[[CallSession | None], bool]:
    """A test of a loaded session: is ``turn`` over (answered, or the call ended)?"""

    def settled(session: CallSession | None) -> bool:
        return session is not None and (session.turn > turn or session.status != "active")

    return settled


async def leave_index(index: InteractionIndex, session: CallSession) -> None:
    """The survey ended: the caller's number no longer finds its interaction."""
    if session.survey_id is not None and session.respondent:
        await index.forget(session.survey_id, session.respondent)


class CallEnding:
    def __init__(
        self,
        *,
        sdx: SdxClient,
        sessions: SessionStore,
        index: InteractionIndex,
        outcomes: CallOutcomes,
        apology: Callable[[str], str],
        deadline: float,
    ) -> None:
        self._sdx = sdx
        self._sessions = sessions
        self._index = index
        self._outcomes = outcomes
        self._apology = apology  # language key -> rendered TwiML
        self._deadline = deadline
        self._hang_up_grace = min(HANG_UP_GRACE, deadline / 10)

    async def guarded(
        self, call_sid: str, step: Callable[[], Awaitable[str]], language: str = ""
    ) -> str:
        """Run a survey step within the webhook deadline; past it, or on any failure,
        the apology in ``language`` (SDX errors are handled in the steps: this is
        Redis down, or a bug)."""
        try:
            async with asyncio.timeout(self._deadline):
                return await step()
        except TimeoutError:
            log.warning("voice_turn_deadline", seconds=self._deadline)
        except Exception:
            log.exception("voice_turn_failed")
        try:
            async with asyncio.timeout(MARK_FAULTED_WAIT):
                await self.mark_faulted(call_sid)
        except Exception:
            log.warning("mark_faulted_failed")
        return self._apology(language)

    async def mark_faulted(self, call_sid: str) -> None:
        """The gateway ends the call early: its hang-up is not the caller's."""
        session = await self._sessions.load(call_sid)
        if session is not None and session.status == "active":
            await self.faulted(session)

    async def faulted(self, session: CallSession) -> str:
        """End the call with the apology, leaving the survey open; returns the reply."""
        session.status = "faulted"
        session.turn += 1
        session.reply = self._apology(session.language)
        await self._sessions.save(session)
        return session.reply

    async def give_up(self, session: CallSession, style: VoiceStyle) -> str:
        """Too many reprompts: abandon the survey and say its closing."""
        log.info("survey_abandoned", reason="max_reprompts", reprompts=session.reprompts)
        try:
            turn = await ambiguous.abandon(self._sdx, session.interaction_id)
        except SdxError as exc:
            # Left "active": the hang-up status callback tries abandon again.
            log.warning("abandon_failed", error=type(exc).__name__)
            session.turn += 1
            session.reply = self._apology(session.language)
            await self._sessions.save(session)
            return session.reply
        return await self.ended(session, turn, style, "abandoned")

    async def ended(
        self, session: CallSession, turn: SurveyTurn, style: VoiceStyle, status: str = "completed"
    ) -> str:
        """The survey is over (``status``): its closing prompts, then the hang-up."""
        session.status = "completed" if status == "completed" else "abandoned"
        survey_event("voice", session.status)
        session.turn += 1
        session.question = None
        session.reply = render_closing(turn_prompts(turn), style)
        await self._sessions.save(session)
        await leave_index(self._index, session)
        return session.reply

    async def answered_by_machine(
        self, call_sid: str, interaction_id: int | None, answered_by: str
    ) -> None:
        """Nobody to survey: the interaction stays untouched and is dialled again.

        Recorded here too, not only at the final status: the status callback
        may not say who answered.
        """
        log.info("answered_by_machine", answered_by=clip(answered_by))
        if interaction_id is None:
            return
        with contextlib.suppress(Exception):
            async with asyncio.timeout(MACHINE_RECORD_WAIT):
                await self._outcomes.not_reached(call_sid, interaction_id, "machine")

    async def status(
        self, call_sid: str, call_status: str, answered_by: str, interaction_id: int | None
    ) -> None:
        """A status callback: a final status ends the session or counts the attempt.

        An outbound call (``interaction_id`` known) that reached nobody is
        counted; any other end of a call is a hang-up. Failures are logged:
        Twilio gets an empty answer whatever happens.
        """
        if call_status not in FINAL_STATUSES:
            return
        machine = answered_by in MACHINE
        try:
            if interaction_id is not None and (call_status in NOT_REACHED or machine):
                reason = "machine" if machine else call_status
                await self._outcomes.not_reached(call_sid, interaction_id, reason)
            else:
                await self.hung_up(call_sid)
        except Exception:
            log.exception("status_callback_failed", call_status=call_status)

    async def hung_up(self, call_sid: str) -> None:
        """Abandon an unfinished survey, exactly once.

        The caller's last answer may still be in flight (Twilio sends the
        Gather action and then, on hang-up, this callback), or even behind
        this callback on the way: it gets a short grace to arrive first.
        Claiming the current turn then makes the two take turns: if the
        answer holds the claim, wait for it to settle, so it is recorded
        (and may complete the survey) before anything is abandoned.
        """
        session = await self._sessions.load(call_sid)
        if session is None:
            return
        bind_context(interaction_id=session.interaction_id)
        if session.status == "active":
            # The last answer may have been overtaken by this callback.
            await asyncio.sleep(self._hang_up_grace)
            session = await self._sessions.load(call_sid) or session
        if session.status == "active":
            _, claimed = await self._sessions.load_for_turn(call_sid, session.turn)
            if not claimed:
                settled = turn_settled(session.turn)
                # As long as that answer may take: its deadline, and its apology.
                session = await wait_for_reply(
                    lambda: self._sessions.load(call_sid),
                    settled,
                    wait=self._deadline + MARK_FAULTED_WAIT,
                )
                if session is not None and not settled(session):
                    # The last answer never settled: SDX may have taken it and
                    # then Redis failed, or the process died. Whether the
                    # survey moved on is unknown, so it stays open for a call
                    # back to resume, rather than being abandoned.
                    log.warning("hang_up_turn_unsettled", turn=session.turn)
                    return
        if session is None:
            return
        claim = ABANDON_CLAIM.format(call_sid=call_sid)
        if session.status == "active" and await self._sessions.once(claim, ABANDON_CLAIM_TTL):
            try:
                await ambiguous.abandon(self._sdx, session.interaction_id)
                log.info("survey_abandoned", reason="hung_up")
                survey_event("voice", "abandoned")
                await leave_index(self._index, session)
            except SdxError as exc:
                # The interaction stays open (and in the index): a call back resumes it.
                log.warning("abandon_failed", error=type(exc).__name__)
        await self._sessions.delete(call_sid)
