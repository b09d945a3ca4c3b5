"""SMS conversations: state between a respondent's messages, in Redis or memory.

A conversation is keyed by (respondent number, our sender): the number, or
the Messaging Service our texts go through (``gateway.sms.survey``). Besides the
conversation itself the store keeps:

* which MessageSids were processed, and the reply each got, so a webhook
  Twilio repeats is never submitted twice;
* a per-conversation first-come-first-served lock, so two messages sent
  together are applied one after the other, in the order they arrived;
* opt-outs (STOP), so the dispatcher never texts that number again;
* a due-time index (a sorted set) of active conversations by the time they
  become idle, swept by ``gateway.sms.expiry``.

This module holds the model and the rules both stores share;
``conversations_redis`` and ``conversations_memory`` are the stores.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Literal, Protocol

from pydantic import BaseModel

from gateway.sdx.models import Question
from gateway.state.fifo_lock import LockTimeout

ConversationStatus = Literal["active", "completed", "abandoned", "opted_out"]

# How long a MessageSid (and the reply it got) is remembered: a week, so a
# webhook replayed days later (Twilio's retries, a proxy's, an operator's
# replay from the console) is answered from memory, never applied again. A
# reply is a few hundred bytes: 100,000 messages a day keep ~0.5 GB.
MESSAGE_TTL = 7 * 24 * 3600
# Opt-outs last until START; the TTL only keeps keys from living forever.
OPT_OUT_TTL = 10 * 365 * 24 * 3600
# A conversation outlives its idle time by this much, so the sweeper can
# still read (and abandon) it, and so "already answered" lasts a while.
GRACE = 24 * 3600
# Marks a MessageSid whose reply is not ready yet.
IN_FLIGHT = "\x00in-flight"


class Conversation(BaseModel):
    respondent: str  # E.164, the conversation's key: kept in Redis, never logged
    number: str  # our Twilio number (E.164), or the Messaging Service SID texts go through
    interaction_id: int
    survey_id: int | None = None
    question: Question | None = None
    status: ConversationStatus = "active"
    # The last submit failed in a way SDX may still have applied: ask SDX
    # where the survey stands before submitting the next message.
    verify: bool = False
    # Opted out while the survey was open, and abandoning it failed: the
    # sweeper tries again.
    abandon_pending: bool = False
    # Opted out, and noting it in SDX (interaction data gateway_status) failed:
    # the sweeper tries again.
    opt_out_note_pending: bool = False
    # The text that asked the current question never arrived (its status
    # callback said so): the respondent's next message gets the question
    # again and is not submitted as an answer to a question never seen.
    resend: bool = False
    # The dispatch attempt of the survey's first text, until the respondent
    # writes: a failure of that text reported later is acted on only while
    # the conversation still waits for it (else the text evidently arrived).
    first_text: str | None = None
    # The respondent's language, by its GATEWAY_LANGUAGES key ("": the default).
    language: str = ""
    updated_at: float = 0.0

    @property
    def key(self) -> str:
        return conversation_key(self.respondent, self.number)


def conversation_key(respondent: str, number: str) -> str:
    return f"{respondent}|{number}"


def respondent_of(key: str) -> str:
    return key.partition("|")[0]


class ConversationBusy(Exception):
    """Another message of the conversation is being applied for too long."""


@dataclass
class MessageTurn:
    """One incoming message's hold on its conversation (see ``ConversationStore.receive``)."""

    first: bool  # the MessageSid was not seen before: this delivery applies it
    stored_reply: str | None  # a repeat: the reply the first delivery got, once ready
    conversation: Conversation | None
    opted_out: bool = False  # the respondent texted STOP (and not START since)
    outcome: tuple[str, Conversation | None] | None = None

    def conclude(self, reply: str, conversation: Conversation | None) -> None:
        """What to write as the hold ends: the reply for the MessageSid, and the
        conversation (None: unchanged)."""
        self.outcome = (reply, conversation)


class ConversationStore(Protocol):
    def receive(
        self, message_sid: str, key: str, wait: float, idle_ttl: int
    ) -> AbstractAsyncContextManager[MessageTurn]:
        """Claim the MessageSid and, if it is new, hold the conversation's lock
        (ConversationBusy after ``wait`` s) with the conversation and the
        respondent's opt-out loaded.

        The hot path of an SMS turn, so it costs two round trips when nobody
        waits: claim + join the queue + load together, then the concluded
        writes together with the lock's release. A repeat of the MessageSid
        holds nothing.

        A hold that ends without a conclusion (an error, Redis failing, the
        process dying after SDX took an answer) leaves the conversation
        marked: the next message's turn finds ``verify`` set and asks SDX
        where the survey stands before submitting anything. The Redis store
        writes the mark with the claim, in the same round trip, so it is in
        place before anything reaches SDX, and removes it with a conclusion.
        """
        ...

    async def reply_for(self, message_sid: str) -> str | None:
        """The reply a processed MessageSid got (None: unknown or still in flight)."""
        ...

    def locked(self, key: str, wait: float) -> AbstractAsyncContextManager[None]:
        """Hold the conversation's lock; ConversationBusy after ``wait`` seconds."""
        ...

    async def load(self, key: str) -> Conversation | None: ...

    async def finish(
        self, message_sid: str | None, reply: str, conversation: Conversation | None, idle_ttl: int
    ) -> None:
        """Remember the reply for the MessageSid and save the conversation (one round trip)."""
        ...

    async def set_opt_out(self, respondent: str, opted_out: bool) -> None: ...

    async def is_opted_out(self, respondent: str) -> bool: ...

    async def take_due(self, now: float, limit: int, lease: float) -> list[str]:
        """Conversation keys idle since before ``now``; each is leased to one caller."""
        ...

    async def drop_due(self, key: str) -> None: ...


@asynccontextmanager
async def busy_when_timed_out(
    hold: AbstractAsyncContextManager[None], key: str
) -> AsyncIterator[None]:
    """A FIFO lock's hold, with a timed-out wait reported as ConversationBusy."""
    try:
        async with hold:
            yield
    except LockTimeout:
        raise ConversationBusy(key) from None


def left_the_index(conversation: Conversation) -> bool:
    """An ended conversation's interaction is no longer a candidate to start."""
    return conversation.status != "active" and conversation.survey_id is not None


def due_score(conversation: Conversation, idle_ttl: int) -> float | None:
    if conversation.abandon_pending or conversation.opt_out_note_pending:
        return conversation.updated_at  # due at once: the sweeper retries
    if conversation.status == "active":
        return conversation.updated_at + idle_ttl
    return None
