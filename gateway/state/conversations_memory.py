"""SMS conversations in one process's memory (demo), with the Redis store's behaviour."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from gateway.state.conversations import (
    IN_FLIGHT,
    MESSAGE_TTL,
    Conversation,
    MessageTurn,
    busy_when_timed_out,
    due_score,
    left_the_index,
    respondent_of,
)
from gateway.state.fifo_lock import MemoryFifoLock
from gateway.state.index import MemoryIndexStore


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
        return busy_when_timed_out(self._lock.hold(key, wait), key)

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
