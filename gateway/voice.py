"""The voice survey: one call's turns, from the first webhook to the hang-up.

No aiohttp here: handlers parse and verify, this module decides, TwiML
comes from ``gateway.twiml``. Every public method returns TwiML text.

An answered turn costs one SDX request (``submit_response``) and two store
round trips (load + claim the turn, save), three when the survey ends (the
lookup index forgets the number).

Losing the session (Redis flushed or down and back) loses no answer: the
Gather action URL carries the interaction and question ids, signed by
Twilio, so the gateway asks SDX where the survey stands (``start_survey``
resumes) and submits the answer only if SDX is still on that question.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.logging import bind_context, get_logger
from gateway.metrics import survey_event
from gateway.numbers import InvalidNumber, to_e164
from gateway.sdx import SdxClient
from gateway.sdx.errors import SdxConflict, SdxError
from gateway.sdx.models import SurveyTurn
from gateway.state.sessions import CallSession, SessionStore
from gateway.survey.index import InteractionIndex
from gateway.survey.interpret import answer_from_digits, answer_from_speech
from gateway.survey.routing import NumberRouter
from gateway.twiml import (
    Prompt,
    VoiceStyle,
    prompts_from_turn,
    question_prompt,
    render_closing,
    render_message,
    render_question,
)

log = get_logger(__name__)

VOICE_TYPES = ("inbound", "outbound")
# How long a duplicate request waits for the first one's reply.
DUPLICATE_WAIT = 8.0


@dataclass(frozen=True)
class CallTexts:
    no_survey: str
    apology: str
    no_input: str


@dataclass(frozen=True)
class VoiceUrls:
    """Absolute URLs under GATEWAY_PUBLIC_URL, so signatures match behind proxies."""

    base: str

    def _query(self, session: CallSession) -> str:
        question = session.question.id if session.question else 0
        survey = session.survey_id or 0
        return f"turn={session.turn}&i={session.interaction_id}&q={question}&s={survey}"

    def answer(self, session: CallSession) -> str:
        return f"{self.base}/twilio/voice/answer?{self._query(session)}"

    def silence(self, session: CallSession) -> str:
        return f"{self.base}/twilio/voice/silence?{self._query(session)}"


@dataclass(frozen=True)
class TurnRef:
    """What a Gather action or no-input redirect URL says about its turn."""

    call_sid: str
    turn: int
    interaction_id: int
    question_id: int
    survey_id: int | None


class VoiceSurvey:
    def __init__(
        self,
        *,
        sdx: SdxClient,
        sessions: SessionStore,
        index: InteractionIndex,
        router: NumberRouter,
        style: VoiceStyle,
        texts: CallTexts,
        urls: VoiceUrls,
        max_reprompts: int,
        inbound_create: bool,
    ) -> None:
        self._sdx = sdx
        self._sessions = sessions
        self._index = index
        self._router = router
        self._style = style
        self._texts = texts
        self._urls = urls
        self._max_reprompts = max_reprompts
        self._inbound_create = inbound_create

    # --- the first webhook of a call ----------------------------------------

    async def incoming(
        self,
        call_sid: str,
        caller: str,
        called: str,
        interaction_id: int | None,
        *,
        look_again: bool = True,
    ) -> str:
        """An inbound call, or an outbound one answered (``interaction_id`` known)."""
        existing = await self._sessions.load(call_sid)
        if existing is not None:  # Twilio retried the first webhook
            return existing.reply
        if interaction_id is not None:
            session: CallSession | None = CallSession(
                call_sid=call_sid, interaction_id=interaction_id, respondent=called
            )
        else:
            try:
                session = await self._find(call_sid, caller, called)
            except SdxError as exc:
                # Nothing started, nothing to keep: the caller just tries later.
                log.warning("sdx_fault", error=type(exc).__name__, status=exc.status)
                return render_message(self._texts.apology, self._style)
        if session is None:
            return render_message(self._texts.no_survey, self._style)
        bind_context(interaction_id=session.interaction_id)
        try:
            turn = await self._sdx.start_survey(session.interaction_id)
        except SdxError as exc:
            return await self._fault(session, exc)
        if turn.completed and interaction_id is None and look_again:
            # The index was stale: this survey ended elsewhere. Look once more.
            await self._forget(session)
            return await self.incoming(call_sid, caller, called, None, look_again=False)
        if turn.current_question is not None and session.survey_id is None:
            session.survey_id = turn.current_question.survey_id
        log.info("survey_started", survey_id=session.survey_id)
        survey_event("voice", "started")
        return await self._next(session, turn)

    async def _find(self, call_sid: str, caller: str, called: str) -> CallSession | None:
        survey_ids = await self._router.surveys_for(called, "voice")
        if not survey_ids:
            log.info("number_not_routed", to=called)
            return None
        try:
            caller = to_e164(caller)
        except InvalidNumber:
            log.info("caller_number_unreadable")  # withheld or anonymous
            return None
        found = await self._index.find(survey_ids, caller, VOICE_TYPES)
        if found is None and self._inbound_create:
            return await self._create(call_sid, caller, survey_ids)
        if found is None:
            log.info("no_pending_interaction", surveys=list(survey_ids))
            return None
        return CallSession(
            call_sid=call_sid,
            interaction_id=found.id,
            survey_id=found.survey_id,
            respondent=caller,
        )

    async def _create(
        self, call_sid: str, caller: str, survey_ids: Sequence[int]
    ) -> CallSession | None:
        survey_id = survey_ids[0]
        try:
            created = await self._sdx.create_interaction(
                survey_id, survey_type="inbound", phone_number=caller, external_ref=call_sid
            )
        except SdxConflict:
            # A pending one exists that the index did not show (e.g. due later).
            await self._index.rebuild(survey_id)
            found = await self._index.find([survey_id], caller, VOICE_TYPES)
            if found is None:
                return None
            return CallSession(
                call_sid=call_sid, interaction_id=found.id, survey_id=survey_id, respondent=caller
            )
        log.info("interaction_created", survey_id=survey_id, interaction_id=created.id)
        return CallSession(
            call_sid=call_sid, interaction_id=created.id, survey_id=survey_id, respondent=caller
        )

    # --- answers and silence ------------------------------------------------

    async def answer(self, ref: TurnRef, digits: str, speech: str) -> str:
        """The Gather action: submit what the caller keyed or said."""
        session = await self._open_turn(ref)
        if isinstance(session, str):
            return session
        question = session.question
        if digits.strip():
            response = answer_from_digits(question, digits)
        elif speech.strip():
            response = answer_from_speech(question, speech)
        else:
            return await self._reprompt(session)
        try:
            turn = await self._sdx.submit_response(session.interaction_id, response)
        except SdxError as exc:
            return await self._fault(session, exc)
        asked = turn.current_question
        if asked is not None and question is not None and asked.id == question.id:
            return await self._reasked(session, turn)
        session.reprompts = 0
        return await self._next(session, turn)

    async def silence(self, ref: TurnRef) -> str:
        """The Redirect after a Gather that heard nothing."""
        session = await self._open_turn(ref)
        if isinstance(session, str):
            return session
        return await self._reprompt(session)

    async def _open_turn(self, ref: TurnRef) -> CallSession | str:
        """The session to act on for this turn, or the reply when there is nothing to do.

        Claiming the turn makes a duplicate request wait for, or replay, the
        first one's reply instead of submitting again.
        """
        session, claimed = await self._sessions.load_for_turn(ref.call_sid, ref.turn)
        if not claimed:
            return await self._await_reply(ref)
        if session is None:
            return await self._recover(ref)
        if session.turn != ref.turn or session.status != "active":
            return session.reply  # a replay of a turn already answered
        bind_context(interaction_id=session.interaction_id)
        return session

    async def _reprompt(self, session: CallSession) -> str:
        session.reprompts += 1
        if session.reprompts > self._max_reprompts:
            return await self._give_up(session)
        prompts = [Prompt(self._texts.no_input)]
        if session.question is not None:
            prompts.append(question_prompt(session.question))
        return await self._ask(session, prompts)

    async def _reasked(self, session: CallSession, turn: SurveyTurn) -> str:
        """SDX returned the same question: the answer was invalid."""
        session.reprompts += 1
        if session.reprompts > self._max_reprompts:
            return await self._give_up(session)
        session.question = turn.current_question
        return await self._ask(session, prompts_from_turn(turn.prompts, turn.sound_files))

    async def _give_up(self, session: CallSession) -> str:
        log.info("survey_abandoned", reason="max_reprompts", reprompts=session.reprompts)
        try:
            turn = await self._sdx.abandon_survey(session.interaction_id)
        except SdxError as exc:
            # Left "active": the hang-up status callback tries abandon again.
            log.warning("abandon_failed", error=type(exc).__name__)
            session.turn += 1
            session.reply = render_message(self._texts.apology, self._style)
            await self._sessions.save(session)
            return session.reply
        return await self._end(session, turn, "abandoned")

    # --- the hang-up ----------------------------------------------------------

    async def hung_up(self, call_sid: str) -> None:
        """Final status callback: abandon an unfinished survey, exactly once.

        The caller's last answer may still be in flight (Twilio sends the
        Gather action and then, on hang-up, this callback). Claiming the
        current turn makes the two take turns: if the answer holds the
        claim, wait for it to settle, so it is recorded (and may complete
        the survey) before anything is abandoned.
        """
        session = await self._sessions.load(call_sid)
        if session is None:
            return
        bind_context(interaction_id=session.interaction_id)
        if session.status == "active":
            _, claimed = await self._sessions.load_for_turn(call_sid, session.turn)
            if not claimed:
                session = await self._settled(call_sid, session.turn)
        if session is None:
            return
        if session.status == "active" and await self._sessions.once(f"abandon:{call_sid}", 86400):
            try:
                await self._sdx.abandon_survey(session.interaction_id)
                log.info("survey_abandoned", reason="hung_up")
                survey_event("voice", "abandoned")
                await self._forget(session)
            except SdxError as exc:
                # The interaction stays open (and in the index): a call back resumes it.
                log.warning("abandon_failed", error=type(exc).__name__)
        await self._sessions.delete(call_sid)

    async def mark_faulted(self, call_sid: str) -> None:
        """The gateway ended the call early (deadline, Redis): its hang-up is not the caller's."""
        session = await self._sessions.load(call_sid)
        if session is not None and session.status == "active":
            session.status = "faulted"
            session.turn += 1
            session.reply = render_message(self._texts.apology, self._style)
            await self._sessions.save(session)

    # --- shared steps ------------------------------------------------------------

    async def _next(self, session: CallSession, turn: SurveyTurn) -> str:
        if turn.completed:
            log.info("survey_completed")
            return await self._end(session, turn, "completed")
        session.question = turn.current_question
        return await self._ask(session, prompts_from_turn(turn.prompts, turn.sound_files))

    async def _ask(self, session: CallSession, prompts: Sequence[Prompt]) -> str:
        session.turn += 1
        session.reply = render_question(
            prompts,
            session.question,
            action=self._urls.answer(session),
            no_input=self._urls.silence(session),
            style=self._style,
        )
        await self._sessions.save(session)
        return session.reply

    async def _end(self, session: CallSession, turn: SurveyTurn, status: str) -> str:
        session.status = "completed" if status == "completed" else "abandoned"
        survey_event("voice", session.status)
        session.turn += 1
        session.question = None
        session.reply = render_closing(
            prompts_from_turn(turn.prompts, turn.sound_files), self._style
        )
        await self._sessions.save(session)
        await self._forget(session)
        return session.reply

    async def _forget(self, session: CallSession) -> None:
        if session.survey_id is not None and session.respondent:
            await self._index.forget(session.survey_id, session.respondent)

    async def _fault(self, session: CallSession, exc: SdxError) -> str:
        """SDX failed mid-call: apologise and end the call, keeping the survey open.

        The session is marked so the hang-up is not taken for a respondent
        leaving; the interaction stays unfinished and a call back resumes it.
        """
        log.warning("sdx_fault", error=type(exc).__name__, status=exc.status)
        session.status = "faulted"
        session.turn += 1
        session.reply = render_message(self._texts.apology, self._style)
        await self._sessions.save(session)
        return session.reply

    async def _await_reply(self, ref: TurnRef) -> str:
        """A duplicate of a request still in flight: answer what the first one answers."""
        session = await self._settled(ref.call_sid, ref.turn)
        if session is not None and (session.turn > ref.turn or session.status != "active"):
            return session.reply
        log.warning("duplicate_timed_out", turn=ref.turn)
        return render_message(self._texts.apology, self._style)

    async def _settled(self, call_sid: str, turn: int) -> CallSession | None:
        """The session once ``turn`` is over (or the wait ran out)."""
        deadline = asyncio.get_running_loop().time() + DUPLICATE_WAIT
        while True:
            session = await self._sessions.load(call_sid)
            if session is not None and (session.turn > turn or session.status != "active"):
                return session
            if asyncio.get_running_loop().time() >= deadline:
                return session
            await asyncio.sleep(0.1)

    async def _recover(self, ref: TurnRef) -> CallSession | str:
        """No session for a turn (Redis lost it): ask SDX where the survey stands.

        Returns the rebuilt session when this turn's answer is still to be
        submitted (SDX is on the question the caller heard), or the next
        turn's reply when SDX has moved on (the answer was recorded before
        the session was lost, so submitting again would answer the wrong
        question).
        """
        log.warning("session_missing", turn=ref.turn)
        bind_context(interaction_id=ref.interaction_id)
        session = CallSession(
            call_sid=ref.call_sid,
            interaction_id=ref.interaction_id,
            survey_id=ref.survey_id,
            turn=ref.turn,
        )
        try:
            turn = await self._sdx.start_survey(ref.interaction_id)
        except SdxError as exc:
            return await self._fault(session, exc)
        if turn.current_question is not None and turn.current_question.id == ref.question_id:
            session.question = turn.current_question
            return session
        return await self._next(session, turn)
