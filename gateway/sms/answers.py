"""Answers in a running SMS conversation: submitted once, and where SDX stands after.

An answer is written down as "to verify" before it is submitted: if
anything fails after SDX took it (Redis, a crash, a timeout), the next
message first asks SDX where the survey stands (``start_survey`` resumes),
so a respondent repeating their answer does not answer the next question
with it. A question whose text never arrived (its delivery failed, see
``gateway.sms.delivery``) is asked again instead of taking the message as
its answer.
"""

from __future__ import annotations

import time

from gateway.languages import Languages
from gateway.logging import get_logger
from gateway.metrics import survey_event
from gateway.sdx import SdxClient, ambiguous
from gateway.sdx.errors import SdxConflict, SdxError, SdxGone, SdxNotFound
from gateway.sdx.models import SurveyTurn
from gateway.sms.text import join_prompts
from gateway.state.conversations import Conversation, ConversationStore
from gateway.survey.interpret import answer_from_speech

log = get_logger(__name__)


class ConversationAnswers:
    """The SDX steps of an active conversation; each returns the texts to reply."""

    def __init__(
        self, *, sdx: SdxClient, store: ConversationStore, languages: Languages, idle_ttl: int
    ) -> None:
        self._sdx = sdx
        self._store = store
        self._languages = languages  # each conversation's: how answers read, "try later"
        self._idle_ttl = idle_ttl

    def _try_later(self, conversation: Conversation) -> str:
        return self._languages.get(conversation.language).texts["sms_try_later"]

    async def answer(
        self, body: str, conversation: Conversation
    ) -> tuple[list[str], Conversation | None]:
        """Submit ``body`` (cleaned) as the answer to the open question."""
        conversation.updated_at = time.time()
        try:
            if conversation.verify:
                moved_on = await self._check_progress(conversation)
                if moved_on is not None:
                    return moved_on, conversation
            words = self._languages.get(conversation.language).words
            answer = answer_from_speech(conversation.question, body, words)
            # Unknown until SDX answers. Should this turn end without
            # concluding (Redis failing, a crash after SDX took the answer),
            # the store has marked the conversation when the message claimed
            # it (ConversationStore.receive): the next message asks SDX first
            # instead of answering the next question with a repeated answer.
            conversation.verify = True
            asked = conversation.question
            turn = await ambiguous.submit_answer(
                self._sdx, conversation.interaction_id, asked.id if asked else None, answer
            )
        except (SdxConflict, SdxNotFound, SdxGone):
            # SDX no longer takes answers for it (ended elsewhere).
            conversation.status = "abandoned"  # and it leaves the index as it is saved
            return [], conversation
        except SdxError as exc:
            log.warning("sdx_fault", error=type(exc).__name__, status=exc.status)
            conversation.verify = True
            return [self._try_later(conversation)], conversation
        conversation.verify = False
        return await self.after(turn, conversation), conversation

    async def resend(self, conversation: Conversation) -> tuple[list[str], Conversation | None]:
        """The text asking the question never arrived: this message cannot be
        its answer. Ask again, where SDX stands (start_survey resumes)."""
        conversation.updated_at = time.time()
        try:
            turn = await self._sdx.start_survey(conversation.interaction_id)
        except (SdxConflict, SdxNotFound, SdxGone):
            conversation.status = "abandoned"  # ended elsewhere
            return [], conversation
        except SdxError as exc:
            log.warning("sdx_fault", error=type(exc).__name__, status=exc.status)
            return [self._try_later(conversation)], conversation
        conversation.resend = False
        conversation.verify = False  # SDX just said where it stands
        log.info("sms_question_resent")
        return await self.after(turn, conversation), conversation

    async def _check_progress(self, conversation: Conversation) -> list[str] | None:
        """After an uncertain submit: None if SDX still waits for this question,
        else the prompts where SDX has got to (the earlier answer was recorded)."""
        turn = await self._sdx.start_survey(conversation.interaction_id)
        current = turn.current_question
        asked = conversation.question
        conversation.verify = False
        if current is not None and asked is not None and current.id == asked.id:
            return None
        log.info("sms_previous_answer_was_recorded")
        return await self.after(turn, conversation)

    async def after(self, turn: SurveyTurn, conversation: Conversation) -> list[str]:
        text = join_prompts(turn.prompts)
        if turn.completed:
            conversation.status = "completed"
            conversation.question = None
            log.info("survey_completed")
            survey_event("sms", "completed")
        else:
            conversation.question = turn.current_question
        return [text] if text else []
