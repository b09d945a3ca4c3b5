"""SMS conversations in Redis: every replica sees the same ones (see ``conversations``)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway.state.batch import Batch, BatchRunner
from gateway.state.conversations import (
    GRACE,
    IN_FLIGHT,
    MESSAGE_TTL,
    OPT_OUT_TTL,
    Conversation,
    ConversationBusy,
    MessageTurn,
    busy_when_timed_out,
    due_score,
    left_the_index,
    respondent_of,
)
from gateway.state.fifo_lock import LUA as FIFO_LUA
from gateway.state.fifo_lock import LockTimeout, Place, RedisFifoLock
from gateway.state.index import RedisIndexStore

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
# when the lock is ours at once, mark the conversation to verify (see
# ``ConversationStore.receive``) and return it: one round trip.
# KEYS: the MessageSid's key, the queue, the conversation, the opt-out, the
# verify mark. ARGV: in-flight mark, message TTL, token, heartbeat prefix,
# hold ms, expire ms, the mark's TTL.
# Returns {0, stored reply} for a repeat, {1, 0} to wait for the lock, and
# {1, 1, opted out (0 or 1), marked before (0 or 1), conversation or false}
# when it is held (last, as a false ends the reply's array).
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
local marked = redis.call('EXISTS', KEYS[5])
redis.call('SET', KEYS[5], '1', 'EX', ARGV[7])
return {1, 1, redis.call('EXISTS', KEYS[4]), marked, redis.call('GET', KEYS[3])}
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
        self._batches = BatchRunner(redis)

    def _conv(self, key: str) -> str:
        return f"{self._p}sms:conv:{key}"

    def _opt_out(self, respondent: str) -> str:
        return f"{self._p}sms:optout:{respondent}"

    def _msg(self, message_sid: str) -> str:
        return f"{self._p}sms:msg:{message_sid}"

    def _verify(self, key: str) -> str:
        return f"{self._p}sms:verify:{key}"

    @asynccontextmanager
    async def receive(
        self, message_sid: str, key: str, wait: float, idle_ttl: int
    ) -> AsyncIterator[MessageTurn]:
        place = self._lock.place(key)
        hold_ms, expire_ms = self._lock.join_args(wait)
        respondent = respondent_of(key)
        verify, mark_ttl = self._verify(key), idle_ttl + GRACE
        result = await self._receive(
            keys=[
                self._msg(message_sid),
                place.queue,
                self._conv(key),
                self._opt_out(respondent),
                verify,
            ],
            args=[IN_FLIGHT, MESSAGE_TTL, place.token, place.beats, hold_ms, expire_ms, mark_ttl],
        )
        if not result[0]:
            stored = _text(result[1])
            yield MessageTurn(False, None if stored == IN_FLIGHT else stored, None)
            return
        turn = MessageTurn(True, None, None)
        try:
            if result[1]:
                opted_out, marked = result[2], result[3]
                raw = result[4] if len(result) > 4 else None
            else:  # another message of the conversation is being applied
                try:
                    await self._lock.wait_turn(place, wait)
                except LockTimeout:
                    raise ConversationBusy(key) from None
                async with self._redis.pipeline(transaction=False) as pipe:
                    pipe.exists(self._opt_out(respondent))
                    pipe.exists(verify)
                    pipe.set(verify, b"1", ex=mark_ttl)
                    pipe.get(self._conv(key))
                    opted_out, marked, _, raw = await pipe.execute()
            turn.opted_out = bool(opted_out)
            turn.conversation = Conversation.model_validate_json(raw) if raw else None
            if marked and turn.conversation is not None:
                turn.conversation.verify = True  # an earlier hold ended unconcluded
            yield turn
        finally:
            await self._end(place, key, message_sid, turn.outcome, idle_ttl)

    async def _end(
        self,
        place: Place,
        key: str,
        message_sid: str,
        outcome: tuple[str, Conversation | None] | None,
        idle_ttl: int,
    ) -> None:
        """Write the outcome and release the lock, atomically, in one round trip.

        With no outcome, the verify mark stays for the next message."""
        ending = Batch()
        if outcome is not None:
            self._queue_finish(ending, message_sid, *outcome, idle_ttl)
            ending.delete(self._verify(key))
        self._lock.leave(ending, place)
        try:
            await self._batches.run(ending)
        except RedisError:
            # Redis stalled or failed: try the release alone once more, so the
            # respondent's next message is not kept waiting for the lock's
            # heartbeat to expire. The failure itself still reaches the caller.
            with contextlib.suppress(RedisError):
                leaving = Batch()
                self._lock.leave(leaving, place)
                await self._batches.run(leaving)
            raise

    async def reply_for(self, message_sid: str) -> str | None:
        reply = _text(await self._redis.get(self._msg(message_sid)))
        return None if reply in (None, IN_FLIGHT) else reply

    def locked(self, key: str, wait: float) -> AbstractAsyncContextManager[None]:
        return busy_when_timed_out(self._lock.hold(key, wait), key)

    async def load(self, key: str) -> Conversation | None:
        raw = await self._redis.get(self._conv(key))
        return Conversation.model_validate_json(raw) if raw else None

    async def finish(
        self, message_sid: str | None, reply: str, conversation: Conversation | None, idle_ttl: int
    ) -> None:
        finishing = Batch()
        self._queue_finish(finishing, message_sid, reply, conversation, idle_ttl)
        await self._batches.run(finishing)

    def _queue_finish(
        self,
        batch: Batch,
        message_sid: str | None,
        reply: str,
        conversation: Conversation | None,
        idle_ttl: int,
    ) -> None:
        if message_sid is not None:
            batch.set(self._msg(message_sid), reply, ex=MESSAGE_TTL)
        if conversation is not None:
            batch.set(
                self._conv(conversation.key), conversation.model_dump_json(), ex=idle_ttl + GRACE
            )
            score = due_score(conversation, idle_ttl)
            if score is None:
                batch.zrem(self._due, conversation.key)
            else:
                batch.zadd(self._due, conversation.key, score)
                batch.expire(self._due, idle_ttl + GRACE)
            if self._index is not None and left_the_index(conversation):
                assert conversation.survey_id is not None
                self._index.queue_forget(batch, conversation.survey_id, conversation.respondent)

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
