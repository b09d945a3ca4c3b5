"""A first-come-first-served lock in Redis (and its in-memory twin).

Two messages a respondent sends together must be applied in the order they
arrived. A plain Redis lock is taken by whichever waiter polls first, so it
serialises but does not order. Here each request joins a queue (a Redis
list) when it arrives and holds the lock when it is at the head.

A holder that dies leaves its token at the head; every token has a
heartbeat key with a TTL, and a waiter that finds the head's heartbeat gone
removes it. A waiter that gives up removes its own token.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from redis.asyncio import Redis

from gateway.state.batch import Batch, BatchRunner

# Lua functions shared by every script that joins or checks a queue, so a
# caller can join the queue in the same round trip as other work (see
# gateway.state.conversations). ``beats`` is the heartbeat keys' prefix.
LUA = """
local function fifo_join(queue, beats, token, hold_ms, expire_ms)
    redis.call('SET', beats .. token, '1', 'PX', hold_ms)
    redis.call('RPUSH', queue, token)
    redis.call('PEXPIRE', queue, expire_ms)
end
-- true: the lock is ours. The head is dropped when its holder is gone.
local function fifo_turn(queue, beats, token)
    local head = redis.call('LINDEX', queue, 0)
    if head and head ~= token and redis.call('EXISTS', beats .. head) == 0 then
        redis.call('LREM', queue, 1, head)
        head = redis.call('LINDEX', queue, 0)
    end
    return head == token
end
"""

_TURN = LUA + "return fifo_turn(KEYS[1], ARGV[2], ARGV[1]) and 1 or 0"


class LockTimeout(Exception):
    """The lock was not ours within the wait."""


@dataclass(frozen=True)
class Place:
    """One request's place in a lock's queue."""

    queue: str
    beats: str  # the heartbeat keys' prefix
    token: str


class RedisFifoLock:
    def __init__(
        self, redis: Redis, *, prefix: str, hold: float = 30.0, poll: float = 0.01
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._hold = hold  # a holder that dies frees the lock after this
        self._poll = poll
        self._turn = redis.register_script(_TURN)
        self._batches = BatchRunner(redis)

    def place(self, name: str) -> Place:
        """A new place for ``name``'s queue (not joined yet)."""
        return Place(f"{self._prefix}q:{name}", f"{self._prefix}t:", secrets.token_hex(8))

    def join_args(self, wait: float) -> tuple[int, int]:
        """``fifo_join``'s hold_ms and expire_ms for a waiter of ``wait`` seconds."""
        return int(self._hold * 1000), int((self._hold + wait) * 2000)

    @asynccontextmanager
    async def hold(self, name: str, wait: float) -> AsyncIterator[None]:
        place = self.place(name)
        hold_ms, expire_ms = self.join_args(wait)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(place.beats + place.token, b"1", px=hold_ms)
            pipe.rpush(place.queue, place.token)
            pipe.pexpire(place.queue, expire_ms)
            await pipe.execute()
        try:
            await self.wait_turn(place, wait)
            yield
        finally:
            leaving = Batch()
            self.leave(leaving, place)
            await self._batches.run(leaving)

    async def wait_turn(self, place: Place, wait: float) -> None:
        """Poll until the lock is ours; LockTimeout after ``wait`` seconds."""
        deadline = time.monotonic() + wait
        while not await self._turn(keys=[place.queue], args=[place.token, place.beats]):
            if time.monotonic() >= deadline:
                raise LockTimeout(place.queue)
            await asyncio.sleep(self._poll)

    @staticmethod
    def leave(batch: Batch, place: Place) -> None:
        """Add the writes that give the place up (held or waiting) to ``batch``."""
        batch.lrem(place.queue, 1, place.token)
        batch.delete(place.beats + place.token)


class MemoryFifoLock:
    """asyncio.Lock wakes waiters in arrival order; this adds a per-name registry."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, name: str, wait: float) -> AsyncIterator[None]:
        lock, users = self._locks.get(name, (asyncio.Lock(), 0))
        self._locks[name] = (lock, users + 1)
        try:
            try:
                await asyncio.wait_for(lock.acquire(), wait)
            except TimeoutError:
                raise LockTimeout(name) from None
            try:
                yield
            finally:
                lock.release()
        finally:
            # Forget the lock only when nobody holds or waits for it.
            lock, users = self._locks[name]
            if users <= 1:
                del self._locks[name]
            else:
                self._locks[name] = (lock, users - 1)
