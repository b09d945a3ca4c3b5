"""A survey's first text: start the survey, open the conversation, send the prompts.

The dialler (``gateway.dispatch.dialer``) claims the job, writes the attempt
down and hands it here. The conversation is opened before the text is
sent, so a quick reply finds it. Each message carries a StatusCallback that
names the interaction and the attempt: a text Twilio took but could not
deliver is dealt with by ``gateway.sms.delivery``. What Twilio refuses at
once is dealt with here, the same way (``gateway.sms.ending``).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

from gateway.config import Settings
from gateway.dispatch.jobs import Job
from gateway.dispatch.store import DispatchStore
from gateway.logging import get_logger
from gateway.metrics import survey_event
from gateway.sdx import SdxClient
from gateway.sdx.errors import SdxError
from gateway.sdx.models import SurveyTurn
from gateway.sms.ending import OPTED_OUT, end_conversation, give_up
from gateway.sms.text import first_text, note_sent
from gateway.state.conversations import Conversation, ConversationStore, conversation_key
from gateway.twilio.rest import (
    INVALID_TO,
    NOT_MOBILE,
    UNSUBSCRIBED,
    TwilioApiError,
    TwilioRest,
)
from gateway.twilio.urls import WebhookUrls

log = get_logger(__name__)

# A resend of a first SMS that Twilio refused for the moment.
SMS_RETRIES = 5
SMS_RETRY_DELAY = 60.0

Pace = Callable[[], Awaitable[None]]


class FirstTexts:
    def __init__(
        self,
        *,
        settings: Settings,
        sdx: SdxClient,
        twilio: TwilioRest,
        conversations: ConversationStore,
        store: DispatchStore,
        pace: Pace,
        settled_ttl: float,
    ) -> None:
        self._settings = settings
        self._sdx = sdx
        self._twilio = twilio
        self._conversations = conversations
        self._store = store
        self._pace = pace
        self._settled_ttl = settled_ttl
        self._urls = WebhookUrls(settings.gateway_public_url)

    async def send(self, job: Job, language: str = "") -> str:
        """Start the survey and text its first prompts; returns the outcome. The
        conversation keeps the respondent's ``language`` key for the gateway's replies."""
        if await self._conversations.is_opted_out(job.to):
            await self._store.settle(job, OPTED_OUT, self._settled_ttl)
            await give_up(self._sdx, job.interaction_id, OPTED_OUT)
            return OPTED_OUT
        try:
            turn = await self._sdx.start_survey(job.interaction_id)
        except SdxError as exc:
            # SDX may have started it, and then no listing offers it again:
            # the entry itself comes back (its marker says to reconcile).
            log.warning("sdx_fault", error=type(exc).__name__, interaction_id=job.interaction_id)
            await self._store.release(job)
            return "deferred"
        survey_event("sms", "started")
        if turn.completed:
            await self._store.settle(job, "completed", self._settled_ttl)
            return "completed"
        conversation = await self.open_conversation(job, turn, language=language)
        callback = self._urls.sms_status(job.interaction_id, job.attempt)
        for number, piece in enumerate(first_text(turn.prompts, self._settings)):
            if number:
                await self._pace()  # the first piece uses the slot the job came with
            try:
                await self._twilio.send_message(
                    to=job.to, from_=job.from_, body=piece.body, status_callback=callback
                )
            except TwilioApiError as exc:
                return await self._refused(job, conversation, exc, sent=number)
            note_sent("first", piece, job.survey_id, job.interaction_id)
        await self._store.settle(job, "sent", self._settled_ttl)
        log.info("sms_sent", interaction_id=job.interaction_id)
        return "sent"

    async def open_conversation(
        self, job: Job, turn: SurveyTurn, *, sending: bool = True, language: str = ""
    ) -> Conversation:
        """Open it before sending, so a quick reply finds it; a resend (the first
        text sent again, its survey already started) keeps a live one, which
        now waits on this attempt's text. ``sending`` False: the text went out
        earlier (a reconciliation), and a live conversation is left as it is."""
        key = conversation_key(job.to, job.from_)
        existing = await self._conversations.load(key)
        if existing is not None and existing.status == "active":
            if existing.interaction_id != job.interaction_id or not sending:
                return existing
            conversation = existing
            conversation.question = turn.current_question
            conversation.resend = False  # the question goes out again now
        else:
            conversation = Conversation(
                respondent=job.to,
                number=job.from_,
                interaction_id=job.interaction_id,
                survey_id=job.survey_id,
                question=turn.current_question,
                language=language,
                updated_at=time.time(),
            )
        conversation.first_text = job.attempt
        await self._conversations.finish(
            None, "", conversation, self._settings.gateway_sms_session_ttl
        )
        return conversation

    async def _refused(
        self, job: Job, conversation: Conversation, exc: TwilioApiError, *, sent: int
    ) -> str:
        log.warning(
            "sms_refused", status=exc.status, code=exc.code, interaction_id=job.interaction_id
        )
        if exc.status is None or (exc.transient and sent):
            # Twilio may have taken it, or part of the text is out already:
            # resending could send it twice. The conversation stays open.
            await self._store.settle(job, "unknown", self._settled_ttl)
            return "unknown"
        if exc.transient:
            retries = (
                int(job.attempt.removeprefix("retry-")) if job.attempt.startswith("retry-") else 0
            )
            if retries < SMS_RETRIES:
                resend = replace(job, attempt=f"retry-{retries + 1}")
                await self._store.retry_later(resend, time.time() + SMS_RETRY_DELAY * 2**retries)
                # The resend is its own job.
                await self._store.settle(job, "retry", self._settled_ttl)
                return "retry"
            status = "send_failed"
        elif exc.code == UNSUBSCRIBED:
            status = OPTED_OUT
        elif exc.code == NOT_MOBILE:
            status = "not_sms_capable"
        elif exc.code == INVALID_TO:
            status = "invalid_number"
        else:
            status = "send_failed"
        await self._store.settle(job, status, self._settled_ttl)
        ttl = self._settings.gateway_sms_session_ttl
        await end_conversation(self._sdx, self._conversations, conversation, status, ttl)
        return status
