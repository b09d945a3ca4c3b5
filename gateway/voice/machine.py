"""Answering machines found by asynchronous detection, while the survey already runs.

With ``AsyncAmd`` Twilio answers the call's Url the moment someone picks
up, so a person hears the greeting with no silence first, and reports who
answered on a callback of its own, some seconds later: before the first
webhook, during the first question or after it. A person changes nothing.
A machine (or a fax) ends the survey's part of the call, wherever it
stood:

* the live call is redirected (a REST update) to leave
  ``GATEWAY_MACHINE_MESSAGE`` (detection then waits for the beep) or to
  hang up;
* the session is marked, so a webhook still on its way gets the same
  TwiML and the hang-up that follows is not taken for a respondent leaving
  (its abandon is claimed here, and never made);
* the attempt is counted and the interaction rescheduled, as for a machine
  found synchronously, with ``gateway_redial``: its survey may have
  started, and only that marker keeps a started one on the agenda.

A callback about a survey that has finished (completed, abandoned, or a
call already over before the first webhook) is ignored, and so is a
repeated one: the session says the machine was handled already.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

from gateway.logging import bind_context, clip, get_logger
from gateway.metrics import survey_event
from gateway.state.sessions import CallSession, SessionStore
from gateway.survey.outcomes import CallOutcomes
from gateway.twilio.rest import TwilioApiError

log = get_logger(__name__)

# Twilio's AnsweredBy values (answering machine detection) that are not a person.
MACHINE = frozenset(
    {"machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other", "fax"}
)
# The claim a hang-up takes before it abandons (``CallEnding.hung_up``).
ABANDON_CLAIM = "abandon:{call_sid}"
ABANDON_CLAIM_TTL = 86400


class LiveCalls(Protocol):
    """Twilio's REST API, as far as a call in progress is concerned."""

    async def redirect_call(self, sid: str, twiml: str) -> bool:
        """Make the call follow ``twiml`` now; False if it is already over."""
        ...


class MachineAnswers:
    def __init__(
        self,
        *,
        sessions: SessionStore,
        outcomes: CallOutcomes,
        calls: LiveCalls | None,
        message: Callable[[str], str],
        deadline: float,
    ) -> None:
        self._sessions = sessions
        self._outcomes = outcomes
        self._calls = calls  # None: nothing to redirect with (the call goes on)
        # Language key -> rendered TwiML: the message, then <Hangup/>.
        self._message = message
        self._deadline = deadline

    async def detected(
        self, call_sid: str, interaction_id: int | None, answered_by: str, language: str = ""
    ) -> None:
        """The asynchronous detection's callback, within the webhook deadline; the
        message is left in the call's ``language`` (its callback URL's).
        Failures are logged: Twilio gets an empty answer whatever happens."""
        try:
            async with asyncio.timeout(self._deadline):
                await self._detected(call_sid, interaction_id, answered_by, language)
        except Exception:
            log.exception("machine_callback_failed")

    async def _detected(
        self, call_sid: str, interaction_id: int | None, answered_by: str, language: str
    ) -> None:
        log.info("machine_detection", answered_by=clip(answered_by))
        if answered_by not in MACHINE or interaction_id is None:
            return  # a person (or unknown): the survey goes on
        bind_context(interaction_id=interaction_id)
        session = await self._sessions.load(call_sid)
        if session is not None and session.status != "active":
            # Finished (or faulted) before detection decided, or a repeat.
            log.info("machine_after_survey", status=session.status)
            return
        if session is None:
            # Before the first webhook, or after a call whose session went
            # with its final status: only Twilio knows which.
            if not await self._redirect(call_sid, language):
                return
            session = CallSession(
                call_sid=call_sid, interaction_id=interaction_id, language=language
            )
            await self._marked(session)
        else:
            await self._marked(session)
            await self._redirect(call_sid, session.language)
            survey_event("voice", "machine")  # it was under way
        await self._sessions.once(ABANDON_CLAIM.format(call_sid=call_sid), ABANDON_CLAIM_TTL)
        await self._outcomes.not_reached(call_sid, interaction_id, "machine", started=True)

    async def _marked(self, session: CallSession) -> None:
        session.status = "machine"
        session.turn += 1
        session.question = None
        session.reply = self._message(session.language)
        await self._sessions.save(session)

    async def _redirect(self, call_sid: str, language: str) -> bool:
        """Leave the message (or hang up) now; False if the call is already over.

        When Twilio cannot be asked, the marked session still ends the call
        at its next webhook (a Gather's action or its no-input redirect).
        """
        if self._calls is None:
            log.warning("machine_not_redirected", reason="no Twilio client")
            return True
        try:
            return await self._calls.redirect_call(call_sid, self._message(language))
        except TwilioApiError as exc:
            log.warning("machine_not_redirected", status=exc.status, code=exc.code)
            return True
