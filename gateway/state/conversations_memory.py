"""SMS conversations in one process's memory (demo), with the Redis store's behaviour.

Every key expires with the Redis store's TTL, and each kind is bounded
(``TtlCache``: the least recently written goes first), so a long demo's
memory stays flat and a message costs the same at any size. The bounds are
far beyond a demo and hold each kind to about 20 MB at the sizes measured
(a conversation with its question ~2 KB, a MessageSid and its reply ~0.5 KB,
an opt-out ~0.2 KB). What a bound pushes out costs what losing Redis costs:
a conversation, a re-asked question; a MessageSid, that a replay arriving
after 50,000 newer messages is applied again (Twilio's own retries come
within minutes). Opt-outs get the most room, as forgetting one would text a
person who said STOP; they never outlive the process anyway, and Twilio
itself refuses to text such a number (error 21610, which the dispatcher
turns back into an opt-out).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from gateway.state.conversations import (
    GRACE,
    IN_FLIGHT,
    MESSAGE_TTL,
    OPT_OUT_TTL,
    Conversation,
    MessageTurn,
    busy_when_timed_out,
    due_score,
    left_the_index,
    respondent_of,
)
from gateway.state.fifo_lock import MemoryFifoLock
from gateway.state.index import MemoryIndexStore
from gateway.state.ttl_cache import Clock, TtlCache

MAX_CONVERSATIONS = 10_000
MAX_MESSAGES = 50_000
MAX_OPT_OUTS = 100_000


class MemoryConversationStore:
    """The same behaviour in one process (demo)."""

    def __init__(
        self, index: MemoryIndexStore | None = None, *, clock: Clock = time.monotonic
    ) -> None:
        self._index = index
        self._messages: TtlCache[str, str] = TtlCache(MAX_MESSAGES, clock=clock)
        self._conversations: TtlCache[str, Conversation] = TtlCache(MAX_CONVERSATIONS, clock=clock)
        self._lock = MemoryFifoLock()
        self._opted_out: TtlCache[str, bool] = TtlCache(MAX_OPT_OUTS, clock=clock)
        # Wall-clock due times (``Conversation.updated_at``), read by the
        # periodic sweeper only; entries of conversations gone from memory
        # are dropped there.
        self._due: dict[str, float] = {}

    @asynccontextmanager
    async def receive(
        self, message_sid: str, key: str, wait: float, idle_ttl: int
    ) -> AsyncIterator[MessageTurn]:
        seen = self._messages.get(message_sid)
        if seen is not None:
            yield MessageTurn(False, None if seen == IN_FLIGHT else seen, None)
            return
        self._messages.set(message_sid, IN_FLIGHT, MESSAGE_TTL)
        async with self.locked(key, wait):
            turn = MessageTurn(True, None, await self.load(key))
            turn.opted_out = await self.is_opted_out(respondent_of(key))
            try:
                yield turn
            finally:
                if turn.outcome is not None:
                    await self.finish(message_sid, *turn.outcome, idle_ttl)
                elif (stored := self._conversations.get(key)) is not None:
                    stored.verify = True  # ended unconcluded (see ConversationStore.receive)

    async def reply_for(self, message_sid: str) -> str | None:
        seen = self._messages.get(message_sid)
        return None if seen == IN_FLIGHT else seen

    def locked(self, key: str, wait: float) -> AbstractAsyncContextManager[None]:
        return busy_when_timed_out(self._lock.hold(key, wait), key)

    async def load(self, key: str) -> Conversation | None:
        found = self._conversations.get(key)
        return found.model_copy(deep=True) if found else None

    async def finish(
        self, message_sid: str | None, reply: str, conversation: Conversation | None, idle_ttl: int
    ) -> None:
        if message_sid is not None:
            self._messages.set(message_sid, reply, MESSAGE_TTL)
        if conversation is not None:
            saved = conversation.model_copy(deep=True)
            self._conversations.set(conversation.key, saved, idle_ttl + GRACE)
            score = due_score(conversation, idle_ttl)
            if score is None:
                self._due.pop(conversation.key, None)
            else:
                self._due[conversation.key] = score
            if self._index is not None and left_the_index(conversation):
                assert conversation.survey_id is not None
                await self._index.forget(conversation.survey_id, conversation.respondent)

    async def set_opt_out(self, respondent: str, opted_out: bool) -> None:
        if opted_out:
            self._opted_out.set(respondent, True, OPT_OUT_TTL)
        else:
            self._opted_out.pop(respondent)

    async def is_opted_out(self, respondent: str) -> bool:
        return self._opted_out.get(respondent) is not None

    async def take_due(self, now: float, limit: int, lease: float) -> list[str]:
        # The sweeper would load nothing for these and drop them; dropped here,
        # the due index stays as bounded as the conversations.
        for gone in [key for key in self._due if self._conversations.get(key) is None]:
            del self._due[gone]
        due = sorted((score, key) for key, score in self._due.items() if score <= now)[:limit]
        for _, key in due:
            self._due[key] = now + lease
        return [key for _, key in due]

    async def drop_due(self, key: str) -> None:
        self._due.pop(key, None)
