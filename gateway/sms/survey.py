"""The SMS survey: one message in, the reply out (no aiohttp here).

Order of business for every message: a repeated MessageSid is answered
from memory; the conversation is locked so messages apply one at a time;
keywords (STOP, START, HELP...) are handled before anything could be
submitted; then the message answers the open question, or starts the
respondent's pending sms interaction.

A conversation is (respondent, our sender): the number they texted, or,
when that number is in one of the Messaging Services the gateway sends
through, the service, since Twilio sends its texts from any number of the
pool (the reply comes back to that one, not to the survey's own number).

No answer is lost or doubled: a message is submitted at most once (its
MessageSid is claimed), and after a submit that SDX may or may not have
applied (timeout, 5xx) the next message first asks SDX where the survey
stands (``gateway.sms.answers``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, replace

from gateway.config.languages import TextName
from gateway.languages import Language, Languages
from gateway.logging import bind_context, get_logger
from gateway.metrics import survey_event
from gateway.numbers import InvalidNumber, to_e164
from gateway.sdx import SdxClient, ambiguous
from gateway.sdx.errors import SdxConflict, SdxError, SdxGone, SdxNotFound
from gateway.sms.answers import ConversationAnswers
from gateway.sms.keywords import folded_body, keyword_of
from gateway.sms.text import (
    Piece,
    clean_body,
    message_pieces,
    note_sent,
    render_messages,
)
from gateway.state.conversations import (
    Conversation,
    ConversationBusy,
    ConversationStore,
    MessageTurn,
    conversation_key,
)
from gateway.survey.duplicates import wait_for_reply
from gateway.survey.outcomes import note_status
from gateway.survey.pending import PendingInteractions, StartFailed
from gateway.twilio.urls import WebhookUrls

log = get_logger(__name__)


@dataclass(frozen=True)
class IncomingSms:
    message_sid: str
    respondent: str
    number: str
    body: str
    # Twilio's Advanced Opt-Out classification (STOP / START / HELP), which
    # also covers keywords the operator added in Twilio (e.g. "ALTO").
    opt_out_type: str = ""
    # The Messaging Service whose pool holds ``number`` (MessagingServiceSid), if any.
    service: str = ""


class SmsSurvey:
    def __init__(
        self,
        *,
        sdx: SdxClient,
        store: ConversationStore,
        pending: PendingInteractions,
        languages: Languages,
        idle_ttl: int,
        region: str,
        max_segments: int,
        urls: WebhookUrls | None = None,
        deadline: float = 9.0,
        services: frozenset[str] = frozenset(),
    ) -> None:
        self._sdx = sdx
        # Replies carry a StatusCallback naming the question they ask, so a
        # reply that never arrives is asked again (``gateway.sms.delivery``).
        self._urls = urls
        # Reads Twilio's From and To. They carry their country code, so any
        # region reads them alike: this one (GATEWAY_DEFAULT_REGION, else US)
        # is known without asking SDX, so a reply never waits on routing.
        self._region = region
        self._store = store
        self._pending = pending
        # The gateway's texts in each respondent's language ("" sends no reply;
        # an empty help text leaves HELP to Twilio's Advanced Opt-Out).
        self._languages = languages
        self._idle_ttl = idle_ttl
        self._max_segments = max_segments  # per reply message: longer replies are split
        # The whole message must be answered within ``deadline``: at most half
        # of it waiting for the conversation, the rest applying the message.
        self._deadline = deadline
        # The Messaging Services the gateway sends through: their
        # conversations are keyed by the service, not by the number.
        self._services = services
        self._answers = ConversationAnswers(
            sdx=sdx, store=store, languages=languages, idle_ttl=idle_ttl
        )

    def _language(self, conversation: Conversation | None) -> Language:
        """The conversation's language; the default's outside one."""
        return self._languages.get(conversation.language if conversation is not None else "")

    def _text(self, name: TextName, conversation: Conversation | None = None) -> str:
        """The gateway's text ``name`` in the conversation's language (else the default's)."""
        return self._language(conversation).texts[name]

    async def receive(self, sms: IncomingSms) -> str:
        """TwiML for one incoming message; whatever fails, the "try later" reply."""
        try:
            return await self._receive(sms)
        except Exception:
            # SDX errors and the deadline are handled inside; this is Redis
            # down, or a bug.
            log.exception("sms_failed")
            return self._reply([self._text("sms_try_later")])

    async def _receive(self, sms: IncomingSms) -> str:
        try:
            respondent, number = (to_e164(n, self._region) for n in (sms.respondent, sms.number))
            sms = replace(sms, respondent=respondent, number=number)
        except InvalidNumber:
            log.info("sms_unreadable_number")
            return render_messages([])
        key = conversation_key(sms.respondent, self._sender_of(sms))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._deadline
        repeat: MessageTurn | None = None
        sent: list[Piece] = []
        survey_id: int | None = None
        try:
            receiving = self._store.receive(
                sms.message_sid, key, self._deadline / 2, self._idle_ttl
            )
            async with receiving as turn:
                if turn.first:
                    conversation = turn.conversation or await self._by_number(sms, key)
                    if conversation is not None:
                        bind_context(interaction_id=conversation.interaction_id)
                    texts, conversation = await self._apply_by(
                        deadline, sms, conversation, turn.opted_out
                    )
                    sent = message_pieces(texts, self._max_segments)
                    survey_id = None if conversation is None else conversation.survey_id
                    reply = render_messages(sent, self._status_url(conversation))
                    turn.conclude(reply, conversation)
                else:
                    repeat = turn
        except ConversationBusy:
            log.warning("sms_conversation_busy")
            sent = message_pieces([self._text("sms_try_later")], self._max_segments)
            reply = render_messages(sent)
            await self._store.finish(sms.message_sid, reply, None, self._idle_ttl)
        except Exception:
            # Redis failing mid-way: if it is back for this write, a repeat of
            # the MessageSid gets the apology instead of waiting for nothing.
            with contextlib.suppress(Exception):
                sorry = self._text("sms_try_later")
                reply = render_messages(message_pieces([sorry], self._max_segments))
                await self._store.finish(sms.message_sid, reply, None, self._idle_ttl)
            raise
        if repeat is not None:
            log.info("sms_duplicate")
            if repeat.stored_reply is not None:
                return repeat.stored_reply
            return await self._await_reply(sms.message_sid)
        # Counted once per MessageSid, when the reply is kept: a repeat is
        # answered from the store and not counted again.
        for piece in sent:
            note_sent("reply", piece, survey_id)
        return reply

    def _reply(self, texts: list[str]) -> str:
        """TwiML sending ``texts``, counted as sent."""
        pieces = message_pieces(texts, self._max_segments)
        for piece in pieces:
            note_sent("reply", piece, None)
        return render_messages(pieces)

    def _sender_of(self, sms: IncomingSms) -> str:
        """The conversation's sender: our Messaging Service, else the number texted."""
        return sms.service if sms.service in self._services else sms.number

    async def _by_number(self, sms: IncomingSms, key: str) -> Conversation | None:
        """A conversation keyed by the number although it is in our service: opened
        before the service was configured, or texted from a bare number of its pool.
        It goes on under its own key (the service's lock orders the messages)."""
        by_number = conversation_key(sms.respondent, sms.number)
        return None if by_number == key else await self._store.load(by_number)

    def _status_url(self, conversation: Conversation | None) -> str | None:
        """The replies' StatusCallback, while the conversation goes on."""
        if self._urls is None or conversation is None or conversation.status != "active":
            return None
        asked = conversation.question
        return self._urls.sms_status(question=asked.id if asked else None)

    async def _apply_by(
        self,
        deadline: float,
        sms: IncomingSms,
        conversation: Conversation | None,
        opted_out: bool,
    ) -> tuple[list[str], Conversation | None]:
        """``_apply`` within the deadline; past it, SDX may or may not have the answer."""
        try:
            async with asyncio.timeout_at(deadline):
                return await self._apply(sms, conversation, opted_out)
        except TimeoutError:
            log.warning("sms_deadline")
            if conversation is not None and conversation.status == "active":
                conversation.verify = True  # _apply changed it in place
            if keyword_of(sms.body, sms.opt_out_type, self._languages.keywords):
                return [], conversation  # the carrier answers keywords itself
            return [self._text("sms_try_later", conversation)], conversation

    async def _apply(
        self, sms: IncomingSms, conversation: Conversation | None, opted_out: bool
    ) -> tuple[list[str], Conversation | None]:
        active = conversation is not None and conversation.status == "active"
        # In a conversation, English and its language's keywords; outside one,
        # any language's, since the respondent's is not known yet.
        language = self._language(conversation)
        tables = language.keywords if active else self._languages.keywords
        keyword = keyword_of(sms.body, sms.opt_out_type, tables)
        if keyword == "STOP":
            return await self._opt_out(sms, conversation)
        if keyword == "START":
            await self._store.set_opt_out(sms.respondent, False)
            log.info("sms_opted_in")
            return [], None  # the carrier confirms
        if keyword == "HELP":
            if not active:  # answered in the language of the word asking
                language = self._languages.of_keyword(folded_body(sms.body))
            return [language.texts["sms_help"]] if language.texts["sms_help"] else [], None
        if conversation is not None and active:
            conversation.first_text = None  # they wrote back: it arrived
            if conversation.resend:
                return await self._answers.resend(conversation)
            if not clean_body(sms.body):
                # A picture or an empty message: nothing to submit.
                return [self._text("sms_text_only", conversation)], conversation
            return await self._answers.answer(clean_body(sms.body), conversation)
        if conversation is not None:
            return [], None  # ended: later messages submit nothing
        if opted_out:
            return [], None
        return await self._start(sms)

    # --- starting -------------------------------------------------------------

    async def _start(self, sms: IncomingSms) -> tuple[list[str], Conversation | None]:
        try:
            started = await self._pending.start(
                sms.number, sms.respondent, "sms", ref=sms.message_sid
            )
        except StartFailed as failed:
            # Whether SDX started it or not, the next message starts it again.
            log.warning("sdx_fault", error=type(failed.error).__name__, status=failed.error.status)
            language = self._languages.matching(failed.interaction.language)
            return [language.texts["sms_try_later"]], None
        except SdxError as exc:
            log.warning("sdx_fault", error=type(exc).__name__, status=exc.status)
            return [self._text("sms_try_later")], None
        if started is None:
            return [self._text("sms_no_survey")], None
        conversation = Conversation(
            language=self._languages.choose(started.interaction.language, "sms").key,
            respondent=sms.respondent,
            number=self._sender_of(sms),
            interaction_id=started.interaction.id,
            survey_id=started.interaction.survey_id,
            updated_at=time.time(),
        )
        log.info("survey_started", survey_id=conversation.survey_id)
        survey_event("sms", "started")
        return await self._answers.after(started.turn, conversation), conversation

    # --- keywords ----------------------------------------------------------------

    async def _opt_out(
        self, sms: IncomingSms, conversation: Conversation | None
    ) -> tuple[list[str], Conversation | None]:
        await self._store.set_opt_out(sms.respondent, True)
        log.info("sms_opted_out")
        if conversation is None or conversation.status != "active":
            return [], None
        survey_event("sms", "abandoned")
        conversation.status = "opted_out"
        conversation.question = None
        conversation.updated_at = time.time()
        # Set first: if the abandon fails or the deadline cuts it short, the
        # expiry sweeper finishes the job.
        conversation.abandon_pending = True
        try:
            await ambiguous.abandon(self._sdx, conversation.interaction_id)
            conversation.abandon_pending = False
        except (SdxConflict, SdxNotFound, SdxGone):
            conversation.abandon_pending = False  # already ended, or gone
        except SdxError as exc:
            log.warning("abandon_failed", error=type(exc).__name__)
        # The same for the note in SDX, for the operator's reports (the
        # opt-out itself is recorded in Redis already).
        conversation.opt_out_note_pending = True
        if await note_status(self._sdx, conversation.interaction_id, "opted_out"):
            conversation.opt_out_note_pending = False
        return [], conversation

    async def _await_reply(self, message_sid: str) -> str:
        stored = await wait_for_reply(
            lambda: self._store.reply_for(message_sid), lambda reply: reply is not None
        )
        return render_messages([]) if stored is None else stored
