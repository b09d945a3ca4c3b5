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

from redis.asyncio import Redis

# 1: the lock is ours. 0: wait. The head is dropped when its holder is gone.
_TURN = """
local head = redis.call('LINDEX', KEYS[1], 0)
if head and head ~= ARGV[1] and redis.call('EXISTS', ARGV[2] .. head) == 0 then
    redis.call('LREM', KEYS[1], 1, head)
    head = redis.call('LINDEX', KEYS[1], 0)
end
if head == ARGV[1] then return 1 end
return 0
"""


class LockTimeout(Exception):
    """The lock was not ours within the wait."""


class RedisFifoLock:
    def __init__(
        self, redis: Redis, *, prefix: str, hold: float = 30.0, poll: float = 0.01
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._hold = hold  # a holder that dies frees the lock after this
        self._poll = poll
        self._turn = redis.register_script(_TURN)

    @asynccontextmanager
    async def hold(self, name: str, wait: float) -> AsyncIterator[None]:
        queue = f"{self._prefix}q:{name}"
        beats = f"{self._prefix}t:"
        token = secrets.token_hex(8)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(beats + token, b"1", px=int(self._hold * 1000))
            pipe.rpush(queue, token)
            pipe.pexpire(queue, int((self._hold + wait) * 2000))
            await pipe.execute()
        try:
            await self._wait_turn(queue, beats, token, wait)
            yield
        finally:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.lrem(queue, 1, token)
                pipe.delete(beats + token)
                await pipe.execute()

    async def _wait_turn(self, queue: str, beats: str, token: str, wait: float) -> None:
        deadline = time.monotonic() + wait
        while not await self._turn(keys=[queue], args=[token, beats]):
            if time.monotonic() >= deadline:
                raise LockTimeout(queue)
            await asyncio.sleep(self._poll)


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
