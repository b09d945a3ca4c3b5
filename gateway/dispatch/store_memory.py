"""The dispatcher's state in one process (``gateway demo``): the rules of ``store``
without Redis.

One process means one consumer of its own queue: no lease to contend for,
no consumers to forget, and no step of a method can be interrupted by
another replica (nothing here awaits between a check and its change).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from gateway.dispatch.jobs import Job
from gateway.dispatch.store import ClaimState, pacing_interval
from gateway.state.ttl_cache import TtlCache

# Queued and claim marks (two a job), expiring with Redis' TTLs; held to a
# bound so a long demo does not grow (~0.2 KB each: 10 MB). 25,000 jobs
# inside one settled window is far beyond a demo; a settled claim pushed out
# early is still covered by the attempt's ``gateway_placing`` note in SDX.
MAX_MARKS = 50_000


class MemoryDispatchStore:
    def __init__(self) -> None:
        self._queue: asyncio.Queue[tuple[str, Job]] = asyncio.Queue()
        self._marks: TtlCache[str, str] = TtlCache(MAX_MARKS)
        self._last_slot = float("-inf")
        self._retries: dict[Job, float] = {}
        self._ids = 0

    def _get(self, key: str) -> str | None:
        return self._marks.get(key)

    def _set(self, key: str, value: str, ttl: float) -> None:
        self._marks.set(key, value, ttl)

    async def lead(self, owner: str, ttl: float) -> bool:
        return True  # one process

    async def resign(self, owner: str) -> None:
        return None

    async def enqueue(self, jobs: Sequence[Job], ttl: float) -> int:
        return self._enqueue(jobs, ttl)

    def _enqueue(self, jobs: Sequence[Job], ttl: float) -> int:
        added = 0
        for job in jobs:
            if self._get(f"queued:{job.key}") is None:
                self._set(f"queued:{job.key}", "1", ttl)
                self._ids += 1
                self._queue.put_nowait((str(self._ids), job))
                added += 1
        return added

    async def read(
        self, consumer: str, count: int, block: float, idle: float
    ) -> list[tuple[str, Job]]:
        try:
            first = await asyncio.wait_for(self._queue.get(), block)
        except TimeoutError:
            return []
        entries = [first]
        while len(entries) < count and not self._queue.empty():
            entries.append(self._queue.get_nowait())
        return entries

    async def ack(self, entry_id: str) -> None:
        return None

    async def claim(self, job: Job, owner: str, ttl: float) -> ClaimState:
        held = self._get(f"claim:{job.key}")
        if held is None:
            self._set(f"claim:{job.key}", f"dialing:{owner}", ttl)
            return "won"
        return "done" if held.startswith("done") else "busy"

    async def renew(self, job: Job, owner: str, ttl: float) -> bool:
        held = self._get(f"claim:{job.key}")
        if held != f"dialing:{owner}":
            return False  # expired, someone else's, or settled
        self._set(f"claim:{job.key}", held, ttl)
        return True

    async def settle(self, job: Job, result: str, ttl: float) -> None:
        self._set(f"claim:{job.key}", f"done:{result}", ttl)

    async def release(self, job: Job) -> None:
        self._marks.pop(f"claim:{job.key}")
        self._marks.pop(f"queued:{job.key}")

    async def pace(self, rate: float) -> float:
        now = time.monotonic()
        wait = self._last_slot + pacing_interval(rate) - now
        if wait <= 0:
            self._last_slot = now
            return 0.0
        return wait

    async def retry_later(self, job: Job, at: float) -> None:
        self._retries[job] = at

    async def requeue_retries(self, now: float, limit: int, ttl: float) -> int:
        due = sorted((at, n, job) for n, (job, at) in enumerate(self._retries.items()) if at <= now)
        taken = [job for _, _, job in due[:limit]]
        for job in taken:
            del self._retries[job]
        # Queued without an await in between, so nothing can come between
        # taking a retry and queueing it (the point of Redis' script).
        return self._enqueue(taken, ttl)

    async def prune_consumers(self, idle: float, names: Sequence[str] | None = None) -> list[str]:
        return []  # no consumer group: the queue is read by this process only
