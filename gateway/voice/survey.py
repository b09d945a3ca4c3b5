"""The voice survey: one call's turns, from the first webhook to the last answer.

No aiohttp here: handlers parse and verify, this module decides, TwiML
comes from ``gateway.voice.twiml``. Every public method returns TwiML text,
within the webhook deadline: whatever fails, the caller hears the apology
and the survey stays open for a call back.

An answered turn costs one SDX request (``submit_response``) and two store
round trips (load + claim the turn, save), three when the survey ends (the
lookup index forgets the number).

Losing the session (Redis flushed or down and back) loses no answer: the
Gather action URL carries the interaction and question ids, signed by
Twilio, so the gateway asks SDX where the survey stands (``start_survey``
resumes) and submits the answer only if SDX is still on that question.
"""

from __future__ import annotations

from collections.abc import Sequence

from gateway.config.languages import TextName
from gateway.logging import bind_context, get_logger
from gateway.metrics import survey_event
from gateway.sdx import SdxClient, ambiguous
from gateway.sdx.errors import SdxError
from gateway.sdx.models import SurveyTurn
from gateway.state.index import Candidate
from gateway.state.sessions import CallSession, SessionStore, SessionTaken
from gateway.survey.duplicates import wait_for_reply
from gateway.survey.index import InteractionIndex
from gateway.survey.interpret import answer_from_digits, answer_from_speech, holds_answer
from gateway.survey.outcomes import CallOutcomes
from gateway.survey.pending import PendingInteractions, StartFailed
from gateway.twilio.urls import WebhookUrls
from gateway.voice.ending import CallEnding, turn_settled
from gateway.voice.machine import MACHINE, LiveCalls, MachineAnswers
from gateway.voice.speaking import CallSpeech
from gateway.voice.turns import TurnRef, first_session, remember_asked, turn_query
from gateway.voice.twiml import Prompt, question_prompt, render_question

log = get_logger(__name__)


class VoiceSurvey:
    def __init__(
        self,
        *,
        sdx: SdxClient,
        sessions: SessionStore,
        index: InteractionIndex,
        pending: PendingInteractions,
        outcomes: CallOutcomes,
        speech: CallSpeech,
        urls: WebhookUrls,
        max_reprompts: int,
        deadline: float = 9.0,
        calls: LiveCalls | None = None,
    ) -> None:
        self._sdx = sdx
        self._sessions = sessions
        self._pending = pending
        self._speech = speech
        self._urls = urls
        self._max_reprompts = max_reprompts
        self.ending = CallEnding(
            sdx=sdx,
            sessions=sessions,
            index=index,
            outcomes=outcomes,
            apology=lambda language: speech.message(language, "apology"),
            deadline=deadline,
        )
        # Asynchronous answering machine detection's callbacks.
        self.machines = MachineAnswers(
            sessions=sessions,
            outcomes=outcomes,
            calls=calls,
            message=lambda language: speech.message(language, "machine"),
            deadline=deadline,
        )

    # --- the webhooks -----------------------------------------------------------

    async def incoming(
        self,
        call_sid: str,
        caller: str,
        called: str,
        interaction_id: int | None,
        answered_by: str = "",
        language: str = "",
    ) -> str:
        """An inbound call, or an outbound one answered (``interaction_id`` known,
        and the ``language`` key the dialler chose for it)."""
        if answered_by in MACHINE:
            # Nobody to survey: hang up before starting anything.
            await self.ending.answered_by_machine(call_sid, interaction_id, answered_by)
            return self._speech.message(language, "machine")
        return await self.ending.guarded(
            call_sid,
            lambda: self._incoming(call_sid, caller, called, interaction_id, language),
            language,
        )

    async def answer(self, ref: TurnRef, digits: str, speech: str) -> str:
        """The Gather action: submit what the caller keyed or said."""
        return await self.ending.guarded(
            ref.call_sid, lambda: self._answer(ref, digits, speech), ref.language
        )

    async def silence(self, ref: TurnRef) -> str:
        """The Redirect after a Gather that heard nothing."""
        return await self.ending.guarded(ref.call_sid, lambda: self._silence(ref), ref.language)

    async def status(
        self, call_sid: str, call_status: str, answered_by: str, interaction_id: int | None
    ) -> None:
        """The status callback (see ``gateway.voice.ending``)."""
        await self.ending.status(call_sid, call_status, answered_by, interaction_id)

    async def machine(
        self, call_sid: str, interaction_id: int | None, answered_by: str, language: str = ""
    ) -> None:
        """Asynchronous detection's callback (see ``gateway.voice.machine``)."""
        await self.machines.detected(call_sid, interaction_id, answered_by, language)

    # --- the first webhook of a call ----------------------------------------

    async def _incoming(
        self, call_sid: str, caller: str, called: str, interaction_id: int | None, language: str
    ) -> str:
        if interaction_id is not None:
            # An outbound call: asynchronous machine detection may have
            # decided before this webhook, and then the survey never starts.
            existing = await self._sessions.load(call_sid)
            if existing is not None:  # or Twilio retried the first webhook
                return existing.reply
        # The call's session is made ``first``: saved only if it has none (an
        # inbound call's retried first webhook just asks SDX once more).
        try:
            if interaction_id is None:
                return await self._call_in(call_sid, caller, called)
            return await self._call_out(call_sid, called, interaction_id, language)
        except SessionTaken as taken:
            return taken.stored.reply

    async def _call_out(
        self, call_sid: str, called: str, interaction_id: int, language: str
    ) -> str:
        """An outbound call answered: its interaction (and language) is known."""
        session = CallSession(
            call_sid=call_sid,
            interaction_id=interaction_id,
            respondent=called,
            language=self._speech.languages.get(language).key,
            first=True,
        )
        bind_context(interaction_id=interaction_id)
        try:
            turn = await self._sdx.start_survey(interaction_id)
        except SdxError as exc:
            return await self._fault(session, exc)
        if turn.current_question is not None:
            session.survey_id = turn.current_question.survey_id
        return await self._started(session, turn)

    async def _call_in(self, call_sid: str, caller: str, called: str) -> str:
        try:
            started = await self._pending.start(called, caller, "voice", ref=call_sid)
        except StartFailed as failed:
            language = self._speech.languages.matching(failed.interaction.language).key
            session = first_session(call_sid, failed.interaction, caller, language)
            return await self._fault(session, failed.error)
        except SdxError as exc:
            # Nothing started, nothing to keep: the caller just tries later.
            log.warning("sdx_fault", error=type(exc).__name__, status=exc.status)
            return self._speech.message("", "apology")
        if started is None:
            return self._speech.message("", "no_survey")
        language = self._chosen(started.interaction)
        return await self._started(
            first_session(call_sid, started.interaction, caller, language), started.turn
        )

    def _chosen(self, interaction: Candidate) -> str:
        """The language key for a caller's survey (``gateway.languages``)."""
        return self._speech.languages.choose(interaction.language, "voice").key

    async def _started(self, session: CallSession, turn: SurveyTurn) -> str:
        log.info("survey_started", survey_id=session.survey_id)
        survey_event("voice", "started")
        return await self._next(session, turn)

    # --- answers and silence ------------------------------------------------

    async def _answer(self, ref: TurnRef, digits: str, speech: str) -> str:
        session = await self._open_turn(ref)
        if isinstance(session, str):
            return session
        question = session.question
        if digits.strip() and not holds_answer(digits):
            return await self._reprompt(session, "invalid_keys")  # only * or #
        if digits.strip():
            response = answer_from_digits(question, digits)
        elif speech.strip():
            words = self._speech.style(session.language).words
            response = answer_from_speech(question, speech, words)
        else:
            return await self._reprompt(session)
        try:
            asked_id = question.id if question is not None else None
            turn = await ambiguous.submit_answer(
                self._sdx, session.interaction_id, asked_id, response
            )
        except SdxError as exc:
            return await self._fault(session, exc)
        asked = turn.current_question
        if asked is not None and question is not None and asked.id == question.id:
            return await self._reasked(session, turn)
        session.reprompts = 0
        return await self._next(session, turn)

    async def _silence(self, ref: TurnRef) -> str:
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

    async def _reprompt(self, session: CallSession, why: TextName = "no_input") -> str:
        """Silence, or keys holding no answer: say so, and the question again."""
        prompts = [self._speech.sentence(session.language, why)]
        if session.asked_text or session.asked_sound:
            prompts.append(Prompt(session.asked_text, session.asked_sound))
        elif session.question is not None:  # a session saved before prompts were kept
            prompts.append(question_prompt(session.question))
        return await self._again(session, prompts)

    async def _reasked(self, session: CallSession, turn: SurveyTurn) -> str:
        """SDX returned the same question: the answer was invalid."""
        session.question = turn.current_question
        return await self._again(session, remember_asked(session, turn))

    async def _again(self, session: CallSession, prompts: Sequence[Prompt]) -> str:
        """Ask again; after too many times, abandon the survey."""
        session.reprompts += 1
        if session.reprompts > self._max_reprompts:
            return await self.ending.give_up(session, self._speech.style(session.language))
        return await self._ask(session, prompts)

    # --- shared steps ------------------------------------------------------------

    async def _next(self, session: CallSession, turn: SurveyTurn) -> str:
        if turn.completed:
            log.info("survey_completed")
            return await self.ending.ended(session, turn, self._speech.style(session.language))
        return await self._ask_turn(session, turn)

    async def _ask_turn(self, session: CallSession, turn: SurveyTurn) -> str:
        session.question = turn.current_question
        return await self._ask(session, remember_asked(session, turn))

    async def _ask(self, session: CallSession, prompts: Sequence[Prompt]) -> str:
        session.turn += 1
        query = turn_query(session)
        session.reply = render_question(
            prompts,
            session.question,
            action=self._urls.voice_answer(query),
            no_input=self._urls.voice_silence(query),
            style=self._speech.style(session.language),
        )
        await self._sessions.save(session)
        return session.reply

    async def _fault(self, session: CallSession, exc: SdxError) -> str:
        """SDX failed mid-call: apologise and end the call, keeping the survey open.

        The session is marked so the hang-up is not taken for a respondent
        leaving; the interaction stays unfinished and a call back resumes it.
        """
        log.warning("sdx_fault", error=type(exc).__name__, status=exc.status)
        return await self.ending.faulted(session)

    async def _await_reply(self, ref: TurnRef) -> str:
        """A duplicate of a request still in flight: answer what the first one answers."""
        settled = turn_settled(ref.turn)
        session = await wait_for_reply(lambda: self._sessions.load(ref.call_sid), settled)
        if session is not None and settled(session):
            return session.reply
        log.warning("duplicate_timed_out", turn=ref.turn)
        return self._speech.message(ref.language, "apology")

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
            language=ref.language,
        )
        try:
            turn = await self._sdx.start_survey(ref.interaction_id)
        except SdxError as exc:
            return await self._fault(session, exc)
        if turn.current_question is not None and turn.current_question.id == ref.question_id:
            session.question = turn.current_question
            remember_asked(session, turn)
            return session
        return await self._next(session, turn)
