"""Dispatcher state shared by every replica: lease, work stream, claims, pacing.

* **Lease**: one replica at a time lists SDX (``SET NX PX``, renewed by its
  holder, expiring if the holder dies).
* **Stream**: due work goes into a Redis Stream read by a consumer group, so
  dialling spreads over every replica; entries a crashed consumer read but
  never acknowledged are taken over with ``XAUTOCLAIM``. An entry that is
  not a job goes to the dead-letter stream instead of failing every read.
* **Claims**: ``SET NX`` per (interaction, attempt), so an entry delivered
  twice (taken over, or enqueued twice) is dialled once.
* **Pacing**: one slot every ``1/GATEWAY_CALLS_PER_SECOND`` seconds for all
  replicas together (a Lua script on Redis' clock), so the limit holds in
  every one-second window.
* **Retries**: SMS resends wait in a zset until due, then move into the
  stream in one script.

``MemoryDispatchStore`` (``store_memory``) keeps the same rules in one process.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any, Literal, Protocol

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from gateway.dispatch import store_lua
from gateway.dispatch.jobs import JOB_FIELDS, InvalidJob, Job
from gateway.logging import get_logger
from gateway.metrics import DEAD_LETTERS

log = get_logger(__name__)

ClaimState = Literal["won", "busy", "done"]
GROUP = "dialers"
STREAM_MAXLEN = 100_000
# Dead letters are for a person to look at; a bound keeps a flood of them
# (a bad deploy writing entries) from filling Redis.
DEAD_MAXLEN = 10_000


def pacing_interval(rate: float) -> float:
    """Seconds between two slots, so that no one-second window holds more than ``rate``.

    Slots are spaced evenly rather than granted in bursts: a burst granted at
    once reaches Twilio spread by network jitter and can overflow the next
    window. Spacing by ``1/rate`` plus 5 % leaves room for that jitter.
    Below one per second, one slot per ``1/rate`` seconds.
    """
    events = max(1, int(rate))
    window = max(1.0, events / rate)
    return window / events * 1.05


class DispatchStore(Protocol):
    """Shared dispatcher state (see the module docstring)."""

    async def lead(self, owner: str, ttl: float) -> bool: ...

    async def resign(self, owner: str) -> None:
        """Give the lease up (shutdown) if ``owner`` holds it."""
        ...

    async def enqueue(self, jobs: Sequence[Job], ttl: float) -> int: ...

    async def read(
        self, consumer: str, count: int, block: float, idle: float
    ) -> list[tuple[str, Job]]: ...

    async def ack(self, entry_id: str) -> None: ...

    async def claim(self, job: Job, owner: str, ttl: float) -> ClaimState: ...

    async def renew(self, job: Job, owner: str, ttl: float) -> bool:
        """Extend ``owner``'s claim to ``ttl`` from now; False if it no longer holds it."""
        ...

    async def settle(self, job: Job, result: str, ttl: float) -> None: ...

    async def release(self, job: Job) -> None: ...

    async def pace(self, rate: float) -> float:
        """0 when a slot was taken now, else seconds to wait before asking again."""
        ...

    async def retry_later(self, job: Job, at: float) -> None: ...

    async def requeue_retries(self, now: float, limit: int, ttl: float) -> int:
        """Move retries due by ``now`` into the stream in one step, as ``enqueue``
        would (``ttl`` for the queued mark); returns how many were newly queued."""
        ...

    async def prune_consumers(self, idle: float, names: Sequence[str] | None = None) -> list[str]:
        """Delete consumers with nothing pending, idle at least ``idle`` seconds
        (only those in ``names``, if given); returns the names deleted."""
        ...


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _parse(fields: dict[Any, Any]) -> Job | str:
    """The entry's job, or why it is not one (never quoting a value)."""
    try:
        return Job.from_fields({_text(k): _text(v) for k, v in fields.items()})
    except UnicodeDecodeError:
        return "not UTF-8"
    except InvalidJob as exc:
        return str(exc)


class RedisDispatchStore:
    def __init__(self, redis: Redis, *, prefix: str) -> None:
        self._redis = redis
        self._p = f"{prefix}dispatch:"
        self._stream = f"{self._p}stream"
        self._dead = f"{self._p}dead"
        self._lead = redis.register_script(store_lua.LEAD)
        self._resign = redis.register_script(store_lua.RESIGN)
        self._renew = redis.register_script(store_lua.RENEW)
        self._pace = redis.register_script(store_lua.PACE)
        self._move_retries = redis.register_script(store_lua.MOVE_RETRIES)
        self._prune = redis.register_script(store_lua.PRUNE_CONSUMERS)
        self._group_ready = False
        self._next_autoclaim = 0.0

    async def lead(self, owner: str, ttl: float) -> bool:
        return bool(await self._lead(keys=[f"{self._p}lease"], args=[owner, int(ttl * 1000)]))

    async def resign(self, owner: str) -> None:
        await self._resign(keys=[f"{self._p}lease"], args=[owner])

    async def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            await self._redis.xgroup_create(self._stream, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    async def enqueue(self, jobs: Sequence[Job], ttl: float) -> int:
        """Add jobs not already queued for the same attempt; returns how many."""
        await self._ensure_group()
        async with self._redis.pipeline(transaction=False) as pipe:
            for job in jobs:
                pipe.set(f"{self._p}queued:{job.key}", b"1", nx=True, ex=int(ttl))
            fresh = await pipe.execute()
        new = [job for job, added in zip(jobs, fresh, strict=True) if added]
        if new:
            async with self._redis.pipeline(transaction=False) as pipe:
                for job in new:
                    fields: dict[Any, Any] = job.to_fields()
                    pipe.xadd(self._stream, fields, maxlen=STREAM_MAXLEN, approximate=True)
                await pipe.execute()
        return len(new)

    async def read(
        self, consumer: str, count: int, block: float, idle: float
    ) -> list[tuple[str, Job]]:
        """Entries abandoned by a dead consumer first (looked for every ``idle``/2
        seconds, not on every read), then new ones."""
        try:
            return await self._read(consumer, count, block, idle)
        except ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            # Redis lost the stream (restart, flush): make the group again.
            self._group_ready = False
            return await self._read(consumer, count, block, idle)

    async def _read(
        self, consumer: str, count: int, block: float, idle: float
    ) -> list[tuple[str, Job]]:
        await self._ensure_group()
        entries: list[Any] = []
        if time.monotonic() >= self._next_autoclaim:
            self._next_autoclaim = time.monotonic() + idle / 2
            # A dead consumer may have left several: take a handful at once.
            claimed: Any = await self._redis.xautoclaim(
                self._stream, GROUP, consumer, min_idle_time=int(idle * 1000), count=max(count, 10)
            )
            entries = list(claimed[1])
        if not entries:
            reply: Any = await self._redis.xreadgroup(
                GROUP, consumer, {self._stream: ">"}, count=count, block=int(block * 1000)
            )
            entries = [entry for _, stream_entries in reply or [] for entry in stream_entries]
        jobs: list[tuple[str, Job]] = []
        poison: list[tuple[Any, dict[Any, Any], str]] = []
        for entry_id, fields in entries:
            if not fields:
                continue  # an entry trimmed away meanwhile comes back empty
            parsed = _parse(fields)
            if isinstance(parsed, Job):
                jobs.append((_text(entry_id), parsed))
            else:
                poison.append((entry_id, fields, parsed))
        if poison:
            await self._dead_letter(poison)
        return jobs

    async def _dead_letter(self, poison: Sequence[tuple[Any, dict[Any, Any], str]]) -> None:
        """Set entries that are not jobs aside, so they stop failing every read.

        Each is copied to the dead-letter stream with its original fields, its
        entry id and the reason, then acknowledged and deleted, all in one
        MULTI: a crash leaves it either still in the work stream (set aside
        on its next delivery) or set aside, never lost.
        """
        async with self._redis.pipeline(transaction=True) as pipe:
            for entry_id, fields, reason in poison:
                dead: dict[Any, Any] = {**fields, "dead_entry_id": entry_id, "dead_reason": reason}
                pipe.xadd(self._dead, dead, maxlen=DEAD_MAXLEN, approximate=True)
                pipe.xack(self._stream, GROUP, entry_id)
                pipe.xdel(self._stream, entry_id)
            await pipe.execute()
        for entry_id, _, reason in poison:
            # The id and the reason only: the fields may hold phone numbers.
            log.warning("dispatch_poison_entry", entry_id=_text(entry_id), reason=reason)
            DEAD_LETTERS.labels("stream").inc()

    async def ack(self, entry_id: str) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.xack(self._stream, GROUP, entry_id)
            pipe.xdel(self._stream, entry_id)
            await pipe.execute()

    async def claim(self, job: Job, owner: str, ttl: float) -> ClaimState:
        key = f"{self._p}claim:{job.key}"
        if await self._redis.set(key, f"dialing:{owner}", nx=True, px=max(1, int(ttl * 1000))):
            return "won"
        held = await self._redis.get(key)
        return "done" if held is not None and _text(held).startswith("done") else "busy"

    async def renew(self, job: Job, owner: str, ttl: float) -> bool:
        renewed = await self._renew(
            keys=[f"{self._p}claim:{job.key}"], args=[f"dialing:{owner}", max(1, int(ttl * 1000))]
        )
        return bool(renewed)

    async def settle(self, job: Job, result: str, ttl: float) -> None:
        await self._redis.set(f"{self._p}claim:{job.key}", f"done:{result}", px=int(ttl * 1000))

    async def release(self, job: Job) -> None:
        await self._redis.delete(f"{self._p}claim:{job.key}", f"{self._p}queued:{job.key}")

    async def pace(self, rate: float) -> float:
        interval_ms = max(1, round(pacing_interval(rate) * 1000))
        wait_ms = await self._pace(keys=[f"{self._p}pace"], args=[interval_ms])
        return max(0.0, int(wait_ms) / 1000)

    async def retry_later(self, job: Job, at: float) -> None:
        # One member per attempt: its values joined in JOB_FIELDS order, which
        # MOVE_RETRIES splits back into the stream entry's fields.
        await self._redis.zadd(f"{self._p}retry", {"|".join(job.to_fields().values()): at})

    async def requeue_retries(self, now: float, limit: int, ttl: float) -> int:
        await self._ensure_group()
        queued, dead = await self._move_retries(
            keys=[f"{self._p}retry", self._stream, self._dead],
            args=[
                now,
                limit,
                f"{self._p}queued:",
                max(1, int(ttl)),
                STREAM_MAXLEN,
                DEAD_MAXLEN,
                *JOB_FIELDS,
            ],
        )
        if dead:
            log.warning("dispatch_poison_retry", count=int(dead))
            DEAD_LETTERS.labels("retry").inc(int(dead))
        return int(queued)

    async def prune_consumers(self, idle: float, names: Sequence[str] | None = None) -> list[str]:
        """Checked and deleted in one script (see ``store_lua.PRUNE_CONSUMERS``)."""
        selection = ["all"] if names is None else ["only", *names]
        try:
            deleted = await self._prune(
                keys=[self._stream], args=[GROUP, max(0, int(idle * 1000)), *selection]
            )
        except ResponseError as exc:
            if "NOGROUP" in str(exc) or "no such key" in str(exc):
                return []  # no stream or no group (Redis lost them): no consumers
            raise
        return [_text(name) for name in deleted]


class Pacer:
    """Waits for a slot of the calls-per-second limit shared by all replicas."""

    def __init__(self, store: DispatchStore, rate: float) -> None:
        self._store = store
        self._rate = rate

    async def wait(self) -> None:
        # Polling is the point here: the slot is granted by Redis' clock, and
        # the reply says how long until the oldest slot in the window frees.
        while (delay := await self._store.pace(self._rate)) > 0:  # noqa: ASYNC110
            await asyncio.sleep(delay)
