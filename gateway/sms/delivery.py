"""A text that never arrived: what Twilio's status callback says, acted on once.

Every text the gateway sends carries a StatusCallback (``/twilio/sms/status``):
the survey's first text names its interaction and the dispatch attempt it
was; a reply in a conversation names the question it asked. Only ``failed``
and ``undelivered`` act, by ErrorCode:

* 30005 (unknown number), 30006 (landline), 21614 (not a mobile), 21610
  (opted out) and 30007 (carrier filtering) are final: the survey is
  abandoned in SDX with ``gateway_status`` saying why, the conversation
  ends, and the number is never texted for it again. A filtered message is
  an ERROR: the content or the sender's A2P registration needs fixing, and
  retrying would only be filtered again.
* Anything else (30003 unreachable, 30008 unknown error, codes not listed)
  on a *first* text: the interaction is moved ``GATEWAY_RETRY_DELAY`` on
  with the ``gateway_redial`` marker, and the dispatcher texts it again
  then; each failed first text counts in ``gateway_attempts`` (and the
  gateway's own count in Redis, as calls do), and at
  ``GATEWAY_MAX_ATTEMPTS`` it is ``unreachable``. On a *later* prompt the
  conversation is marked ``resend``: the respondent's next message gets the
  question again instead of answering one they never saw.

Twilio may repeat a callback, and a long text is several messages: each
MessageSid acts once, and each first text once. A callback that comes after
the conversation moved on (the respondent wrote back, so the text evidently
arrived, or the survey ended) changes nothing.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from gateway.logging import bind_context, get_logger
from gateway.metrics import sms_delivery_failure
from gateway.numbers import InvalidNumber, to_e164
from gateway.sdx import SdxClient, ambiguous
from gateway.sdx.errors import SdxError
from gateway.sms.ending import OPTED_OUT, end_conversation
from gateway.state.attempts import AttemptStore, Dial
from gateway.state.conversations import (
    Conversation,
    ConversationBusy,
    ConversationStore,
    conversation_key,
)
from gateway.state.sessions import SessionStore
from gateway.survey.outcomes import ATTEMPTS, CallOutcomes, attempts_in, data_values
from gateway.twilio.rest import FILTERED, LANDLINE, NOT_MOBILE, UNKNOWN_NUMBER, UNSUBSCRIBED

log = get_logger(__name__)

# MessageStatus values that mean the text will never arrive.
UNDELIVERED = frozenset({"failed", "undelivered"})
# ErrorCode -> gateway_status, for failures no retry can mend.
FINAL = {
    UNKNOWN_NUMBER: "invalid_number",
    LANDLINE: "not_sms_capable",
    NOT_MOBILE: "not_sms_capable",
    UNSUBSCRIBED: OPTED_OUT,
    FILTERED: "filtered",
}
# Twilio repeats a callback within minutes; a MessageSid is remembered longer.
ONCE_TTL = 2 * 24 * 3600


@dataclass(frozen=True)
class DeliveryReport:
    """One status callback, as read from Twilio's form and the URL's query."""

    message_sid: str
    status: str  # MessageStatus
    error_code: int | None
    respondent: str  # To
    number: str  # From: our number
    service: str = ""  # MessagingServiceSid, when sent through one
    interaction_id: int | None = None  # a first text's
    attempt: str | None = None  # the dispatch attempt a first text was
    question: int | None = None  # the question a reply asked


class SmsDelivery:
    def __init__(
        self,
        *,
        sdx: SdxClient,
        store: ConversationStore,
        sessions: SessionStore,
        attempts: AttemptStore,
        outcomes: CallOutcomes,
        max_attempts: int,
        idle_ttl: int,
        region: str,
        deadline: float = 9.0,
        services: frozenset[str] = frozenset(),
    ) -> None:
        self._sdx = sdx
        # Texts sent through one of these have their conversation keyed by
        # the service, not by the pool number Twilio chose (``SmsSurvey``).
        self._services = services
        self._store = store
        self._sessions = sessions  # once-markers
        self._attempts = attempts
        self._outcomes = outcomes
        self._max_attempts = max_attempts
        self._idle_ttl = idle_ttl
        self._region = region  # reads To and From (they carry their country code)
        self._deadline = deadline

    async def report(self, report: DeliveryReport) -> None:
        """Act on one status callback. Never raises: Twilio has nothing to do
        with the gateway's failures, and would not resend a callback anyway."""
        if report.status not in UNDELIVERED:
            return
        try:
            async with asyncio.timeout(self._deadline):
                await self._report(report)
        except ConversationBusy:
            log.warning("sms_status_busy", error_code=report.error_code)
        except Exception:
            log.exception("sms_status_failed", error_code=report.error_code)

    async def _report(self, report: DeliveryReport) -> None:
        try:
            sender = (
                report.service
                if report.service in self._services
                else to_e164(report.number, self._region)
            )
            key = conversation_key(to_e164(report.respondent, self._region), sender)
        except InvalidNumber:
            log.info("sms_unreadable_number")
            return
        if not await self._sessions.once(f"sms-status:{report.message_sid}", ONCE_TTL):
            log.info("sms_status_duplicate")
            return
        # Under the conversation's lock: a reply being applied meanwhile, or
        # the expiry sweeper, sees the conversation before or after, not mid-way.
        async with self._store.locked(key, self._deadline / 2):
            conversation = await self._store.load(key)
            if conversation is not None:
                bind_context(interaction_id=conversation.interaction_id)
            if not self._waiting(report, conversation):
                log.info("sms_status_moved_on", error_code=report.error_code)
                sms_delivery_failure("moved_on")
                return
            assert conversation is not None
            await self._act(report, conversation)

    @staticmethod
    def _waiting(report: DeliveryReport, conversation: Conversation | None) -> bool:
        """Does the conversation still wait on the text this callback is about?"""
        if conversation is None or conversation.status != "active":
            return False
        if report.interaction_id is not None:  # a first text
            return (
                conversation.interaction_id == report.interaction_id
                and conversation.first_text is not None
                and conversation.first_text == report.attempt
            )
        asked = conversation.question.id if conversation.question else None
        return report.question is None or report.question == asked

    async def _act(self, report: DeliveryReport, conversation: Conversation) -> None:
        first = report.interaction_id is not None
        if first and not await self._sessions.once(
            f"sms-first:{report.interaction_id}:{report.attempt}", ONCE_TTL
        ):
            return  # another piece of the same text failed too
        status = FINAL.get(report.error_code or 0)
        if status is not None:
            await self._end(conversation, status, report.error_code)
        elif first:
            await self._retry(conversation, report)
        else:
            conversation.resend = True
            await self._store.finish(None, "", conversation, self._idle_ttl)
            log.info("sms_prompt_undelivered", error_code=report.error_code)
            sms_delivery_failure("resend")

    async def _end(self, conversation: Conversation, status: str, code: int | None) -> None:
        if status == "filtered":
            # Loud: every text of this survey may be filtered alike. Not
            # retried (it would be filtered again): see README, SMS.
            log.error(
                "sms_filtered_by_carrier",
                survey_id=conversation.survey_id,
                interaction_id=conversation.interaction_id,
                error_code=code,
            )
        else:
            log.info("sms_undeliverable", status=status, error_code=code)
        await end_conversation(self._sdx, self._store, conversation, status, self._idle_ttl)
        sms_delivery_failure(status)

    async def _retry(self, conversation: Conversation, report: DeliveryReport) -> None:
        """Text it again later, unless its failed first texts reached the limit."""
        interaction_id = conversation.interaction_id
        # Counted where calls are: in Redis (an SDX that loses data writes
        # cannot keep the count low) and in SDX (which survives Redis).
        await self._attempts.record(interaction_id, Dial(report.attempt or "", int(time.time())))
        own = (await self._attempts.dials([interaction_id]))[interaction_id]
        try:
            data = data_values(await self._sdx.all_interaction_data(interaction_id))
            count = max(attempts_in(data) + 1, len(own))
            await ambiguous.write_data(self._sdx, interaction_id, ATTEMPTS, str(count))
            if count >= self._max_attempts:
                await self._end(conversation, "unreachable", report.error_code)
                return
            # Until the text arrives, a message from the respondent gets the
            # question rather than answering it.
            conversation.resend = True
            conversation.first_text = None
            await self._store.finish(None, "", conversation, self._idle_ttl)
            await self._outcomes.retry_later(interaction_id, redial=True)
        except SdxError as exc:
            # Not moved: the idle expiry abandons it in the end.
            log.warning("sms_retry_not_scheduled", error=type(exc).__name__)
            return
        log.info("sms_first_text_retry", attempts=count, error_code=report.error_code)
        sms_delivery_failure("retry")
