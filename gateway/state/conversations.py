"""SMS conversations: state between a respondent's messages, in Redis or memory.

A conversation is keyed by (respondent number, our number). Besides the
conversation itself the store keeps:

* which MessageSids were processed, and the reply each got, so a webhook
  Twilio repeats is never submitted twice;
* a per-conversation first-come-first-served lock, so two messages sent
  together are applied one after the other, in the order they arrived;
* opt-outs (STOP), so the dispatcher never texts that number again;
* a due-time index (a sorted set) of active conversations by the time they
  become idle, swept by ``gateway.sms_expiry``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Literal, Protocol

from pydantic import BaseModel
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import RedisError

from gateway.state.fifo_lock import LUA as FIFO_LUA
from gateway.state.fifo_lock import LockTimeout, MemoryFifoLock, Place, RedisFifoLock
from gateway.state.index import MemoryIndexStore, RedisIndexStore
from gateway.sdx.models import Question

ConversationStatus = Literal["active", "completed", "abandoned", "opted_out"]

# How long a MessageSid (and the reply it got) is remembered.
MESSAGE_TTL = 24 * 3600
# Opt-outs last until START; the TTL only keeps keys from living forever.
OPT_OUT_TTL = 10 * 365 * 24 * 3600
# A conversation outlives its idle time by this much, so the sweeper can
# still read (and abandon) it, and so "already answered" lasts a while.
GRACE = 24 * 3600
# Marks a MessageSid whose reply is not ready yet.
IN_FLIGHT = "\x00in-flight"


class Conversation(BaseModel):
    respondent: str  # E.164, the conversation's key: kept in Redis, never logged
    number: str  # our Twilio number, E.164
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
async def _busy_when_timed_out(
    hold: AbstractAsyncContextManager[None], key: str
) -> AsyncIterator[None]:
    """A FIFO lock's hold, with a timed-out wait reported as ConversationBusy."""
    try:
        async with hold:
            yield
    except LockTimeout:
        raise ConversationBusy(key) from None


def _left_the_index(conversation: Conversation) -> bool:
    """An ended conversation's interaction is no longer a candidate to start."""
    return conversation.status != "active" and conversation.survey_id is not None


def _due_score(conversation: Conversation, idle_ttl: int) -> float | None:
    if conversation.abandon_pending or conversation.opt_out_note_pending:
        return conversation.updated_at  # due at once: the sweeper retries
    if conversation.status == "active":
        return conversation.updated_at + idle_ttl
    return None


# Take the due members and push their score ``lease`` seconds ahead, atomically,
# so that of several sweeping replicas only one gets each conversation, and a
# sweeper that dies mid-way leaves it to be taken again after the lease.
_TAKE_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, member in ipairs(due) do
    redis.call('ZADD', KEYS[1], ARGV[3], member)
end
return due
"""


# Claim the MessageSid; if it is new, join the conversation's lock queue and,
# when the lock is ours at once, return the conversation too: one round trip.
# KEYS: the MessageSid's key, the queue, the conversation, the opt-out.
# ARGV: in-flight mark, message TTL, token, heartbeat prefix, hold ms, expire ms.
# Returns {0, stored reply} for a repeat, {1, 0} to wait for the lock, and
# {1, 1, opted out (0 or 1), conversation or false} when it is held.
_RECEIVE = (
    FIFO_LUA
    + """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
    return {0, redis.call('GET', KEYS[1])}
end
fifo_join(KEYS[2], ARGV[4], ARGV[3], ARGV[5], ARGV[6])
if not fifo_turn(KEYS[2], ARGV[4], ARGV[3]) then
    return {1, 0}
end
return {1, 1, redis.call('EXISTS', KEYS[4]), redis.call('GET', KEYS[3])}
"""
)


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


class RedisConversationStore:
    def __init__(self, redis: Redis, *, prefix: str, index: RedisIndexStore | None = None) -> None:
        self._redis = redis
        self._p = prefix
        # A conversation that ends leaves the lookup index in the same
        # transaction (without an index, e.g. in the dispatcher, it is left).
        self._index = index
        self._due = f"{prefix}sms:due"
        self._take_due = redis.register_script(_TAKE_DUE)
        self._receive = redis.register_script(_RECEIVE)
        self._lock = RedisFifoLock(redis, prefix=f"{prefix}sms:lock:")

    def _conv(self, key: str) -> str:
        return f"{self._p}sms:conv:{key}"

    def _opt_out(self, respondent: str) -> str:
        return f"{self._p}sms:optout:{respondent}"

    def _msg(self, message_sid: str) -> str:
        return f"{self._p}sms:msg:{message_sid}"

    @asynccontextmanager
    async def receive(
        self, message_sid: str, key: str, wait: float, idle_ttl: int
    ) -> AsyncIterator[MessageTurn]:
        place = self._lock.place(key)
        hold_ms, expire_ms = self._lock.join_args(wait)
        respondent = respondent_of(key)
        result = await self._receive(
            keys=[self._msg(message_sid), place.queue, self._conv(key), self._opt_out(respondent)],
            args=[IN_FLIGHT, MESSAGE_TTL, place.token, place.beats, hold_ms, expire_ms],
        )
        if not result[0]:
            stored = _text(result[1])
            yield MessageTurn(False, None if stored == IN_FLIGHT else stored, None)
            return
        turn = MessageTurn(True, None, None)
        try:
            if result[1]:
                opted_out, raw = result[2], result[3] if len(result) > 3 else None
            else:  # another message of the conversation is being applied
                try:
                    await self._lock.wait_turn(place, wait)
                except LockTimeout:
                    raise ConversationBusy(key) from None
                async with self._redis.pipeline(transaction=False) as pipe:
                    pipe.exists(self._opt_out(respondent))
                    pipe.get(self._conv(key))
                    opted_out, raw = await pipe.execute()
            turn.opted_out = bool(opted_out)
            turn.conversation = Conversation.model_validate_json(raw) if raw else None
            yield turn
        finally:
            await self._end(place, message_sid, turn.outcome, idle_ttl)

    async def _end(
        self,
        place: Place,
        message_sid: str,
        outcome: tuple[str, Conversation | None] | None,
        idle_ttl: int,
    ) -> None:
        """Write the outcome and release the lock, in one transaction."""
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                if outcome is not None:
                    self._queue_finish(pipe, message_sid, *outcome, idle_ttl)
                self._lock.leave(pipe, place)
                await pipe.execute()
        except RedisError:
            # Redis stalled or failed: try the release alone once more, so the
            # respondent's next message is not kept waiting for the lock's
            # heartbeat to expire. The failure itself still reaches the caller.
            with contextlib.suppress(RedisError):
                async with self._redis.pipeline(transaction=True) as pipe:
                    self._lock.leave(pipe, place)
                    await pipe.execute()
            raise

    async def reply_for(self, message_sid: str) -> str | None:
        reply = _text(await self._redis.get(self._msg(message_sid)))
        return None if reply in (None, IN_FLIGHT) else reply

    def locked(self, key: str, wait: float) -> AbstractAsyncContextManager[None]:
        return _busy_when_timed_out(self._lock.hold(key, wait), key)

    async def load(self, key: str) -> Conversation | None:
        raw = await self._redis.get(self._conv(key))
        return Conversation.model_validate_json(raw) if raw else None

    async def finish(
        self, message_sid: str | None, reply: str, conversation: Conversation | None, idle_ttl: int
    ) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            self._queue_finish(pipe, message_sid, reply, conversation, idle_ttl)
            await pipe.execute()

    def _queue_finish(
        self,
        pipe: Pipeline,
        message_sid: str | None,
        reply: str,
        conversation: Conversation | None,
        idle_ttl: int,
    ) -> None:
        if message_sid is not None:
            pipe.set(self._msg(message_sid), reply, ex=MESSAGE_TTL)
        if conversation is not None:
            pipe.set(
                self._conv(conversation.key), conversation.model_dump_json(), ex=idle_ttl + GRACE
            )
            score = _due_score(conversation, idle_ttl)
            if score is None:
                pipe.zrem(self._due, conversation.key)
            else:
                pipe.zadd(self._due, {conversation.key: score})
                pipe.expire(self._due, idle_ttl + GRACE)
            if self._index is not None and _left_the_index(conversation):
                assert conversation.survey_id is not None
                self._index.queue_forget(pipe, conversation.survey_id, conversation.respondent)

    async def set_opt_out(self, respondent: str, opted_out: bool) -> None:
        key = self._opt_out(respondent)
        if opted_out:
            await self._redis.set(key, b"1", ex=OPT_OUT_TTL)
        else:
            await self._redis.delete(key)

    async def is_opted_out(self, respondent: str) -> bool:
        return bool(await self._redis.exists(self._opt_out(respondent)))

    async def take_due(self, now: float, limit: int, lease: float) -> list[str]:
        members = await self._take_due(keys=[self._due], args=[now, limit, now + lease])
        return [m.decode() if isinstance(m, bytes) else str(m) for m in members]

    async def drop_due(self, key: str) -> None:
        await self._redis.zrem(self._due, key)


class MemoryConversationStore:
    """The same behaviour in one process (demo)."""

    def __init__(self, index: MemoryIndexStore | None = None) -> None:
        self._index = index
        self._messages: dict[str, tuple[float, str]] = {}
        self._conversations: dict[str, Conversation] = {}
        self._lock = MemoryFifoLock()
        self._opted_out: set[str] = set()
        self._due: dict[str, float] = {}

    @asynccontextmanager
    async def receive(
        self, message_sid: str, key: str, wait: float, idle_ttl: int
    ) -> AsyncIterator[MessageTurn]:
        now = time.monotonic()
        if len(self._messages) > 10_000:  # forget old ones, as Redis would
            self._messages = {k: v for k, v in self._messages.items() if v[0] > now}
        seen = self._messages.get(message_sid)
        if seen is not None and seen[0] > now:
            yield MessageTurn(False, None if seen[1] == IN_FLIGHT else seen[1], None)
            return
        self._messages[message_sid] = (now + MESSAGE_TTL, IN_FLIGHT)
        async with self.locked(key, wait):
            turn = MessageTurn(True, None, await self.load(key))
            turn.opted_out = respondent_of(key) in self._opted_out
            try:
                yield turn
            finally:
                if turn.outcome is not None:
                    await self.finish(message_sid, *turn.outcome, idle_ttl)

    async def reply_for(self, message_sid: str) -> str | None:
        seen = self._messages.get(message_sid)
        return None if seen is None or seen[1] == IN_FLIGHT else seen[1]

    def locked(self, key: str, wait: float) -> AbstractAsyncContextManager[None]:
        return _busy_when_timed_out(self._lock.hold(key, wait), key)

    async def load(self, key: str) -> Conversation | None:
        found = self._conversations.get(key)
        return found.model_copy(deep=True) if found else None

    async def finish(
        self, message_sid: str | None, reply: str, conversation: Conversation | None, idle_ttl: int
    ) -> None:
        if message_sid is not None:
            self._messages[message_sid] = (time.monotonic() + MESSAGE_TTL, reply)
        if conversation is not None:
            self._conversations[conversation.key] = conversation.model_copy(deep=True)
            score = _due_score(conversation, idle_ttl)
            if score is None:
                self._due.pop(conversation.key, None)
            else:
                self._due[conversation.key] = score
            if self._index is not None and _left_the_index(conversation):
                assert conversation.survey_id is not None
                await self._index.forget(conversation.survey_id, conversation.respondent)

    async def set_opt_out(self, respondent: str, opted_out: bool) -> None:
        if opted_out:
            self._opted_out.add(respondent)
        else:
            self._opted_out.discard(respondent)

    async def is_opted_out(self, respondent: str) -> bool:
        return respondent in self._opted_out

    async def take_due(self, now: float, limit: int, lease: float) -> list[str]:
        due = sorted((score, key) for key, score in self._due.items() if score <= now)[:limit]
        for _, key in due:
            self._due[key] = now + lease
        return [key for _, key in due]

    async def drop_due(self, key: str) -> None:
        self._due.pop(key, None)
