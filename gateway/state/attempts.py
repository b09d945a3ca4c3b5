"""The gateway's own count of the calls it placed to each interaction.

SDX's ``gateway_attempts`` survives Redis, but SDX documents a data write
only as *adding* a pair: an SDX that appends (and lists the oldest record),
or that loses or ignores a write, would keep that count low, and a
respondent who never answers would be dialled without end. So the dialler
also writes each dial here, where the gateway controls the semantics, and
the limit is checked against the larger of the two counts: SDX's stays the
floor when Redis is lost.

One Redis hash per interaction, ``dispatch:attempts:{interaction_id}``: a
field per dial, ``{attempt}@{began}`` (the job's attempt, the epoch second
the dial began), written with ``HSETNX``. A dial retried after a
reconciliation keeps its ``began``, so it is the same field and counts once;
the same attempt dialled again after its settled window (its outcome was
lost) begins anew and counts again, as it does in SDX.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis

from gateway.state.ttl_cache import TtlCache

# Kept at least this long after the last dial. The count must outlive the
# interaction's whole retry life (GATEWAY_RETRY_DELAY apart, plus waits for
# the call window); past it, SDX's count is still the floor. Bounded so
# that Redis does not keep every interaction ever dialled (a key is about
# a hundred bytes).
MIN_KEEP = 90 * 86400
# Interactions the in-memory store counts at most (a few hundred bytes each:
# about 20 MB). Forgetting one is safe, SDX's count is the floor, but only
# as safe as SDX, so the bound is generous.
MAX_COUNTED = 50_000
# Interactions read per round trip when the poller checks a listing's due work.
CHUNK = 500


def keep_for(max_attempts: int, retry_delay: int) -> int:
    """Seconds to keep a count: 90 days, or longer if the retries span longer."""
    return max(MIN_KEEP, 2 * max_attempts * retry_delay)


@dataclass(frozen=True)
class Dial:
    attempt: str  # the job's attempt: the interaction's scheduled_at, epoch seconds
    began: int  # epoch seconds, as in the dial's ``gateway_placing`` marker

    @property
    def field(self) -> str:
        return f"{self.attempt}@{self.began}"

    @classmethod
    def parse(cls, field: str) -> Dial | None:
        attempt, _, began = field.rpartition("@")
        if not attempt or not began.isdigit():
            return None  # not ours: never counted, never fatal
        return cls(attempt, int(began))


class AttemptStore(Protocol):
    async def dials(self, interaction_ids: Sequence[int]) -> dict[int, list[Dial]]:
        """Each interaction's recorded dials (an empty list for none)."""
        ...

    async def record(self, interaction_id: int, dial: Dial) -> None:
        """Count ``dial`` (once, however often it is recorded) and keep the count."""
        ...


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _parsed(fields: Sequence[bytes | str]) -> list[Dial]:
    dials = (Dial.parse(_text(field)) for field in fields)
    return sorted((d for d in dials if d is not None), key=lambda d: d.began)


class RedisAttemptStore:
    def __init__(self, redis: Redis, *, prefix: str, ttl: int) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl = ttl

    def _key(self, interaction_id: int) -> str:
        return f"{self._prefix}dispatch:attempts:{interaction_id}"

    async def dials(self, interaction_ids: Sequence[int]) -> dict[int, list[Dial]]:
        found: dict[int, list[Dial]] = {}
        for start in range(0, len(interaction_ids), CHUNK):
            chunk = interaction_ids[start : start + CHUNK]
            async with self._redis.pipeline(transaction=False) as pipe:
                for interaction_id in chunk:
                    pipe.hkeys(self._key(interaction_id))
                replies = await pipe.execute()
            for interaction_id, fields in zip(chunk, replies, strict=True):
                found[interaction_id] = _parsed(fields)
        return found

    async def record(self, interaction_id: int, dial: Dial) -> None:
        key = self._key(interaction_id)
        # One transaction: a count written without its expiry would stay forever.
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hsetnx(key, dial.field, str(int(time.time())))
            pipe.expire(key, self._ttl)
            await pipe.execute()


class MemoryAttemptStore:
    """The same rules in one process (``gateway demo``), with the Redis TTL and
    at most ``MAX_COUNTED`` interactions: past that, the interaction dialled
    longest ago is forgotten first, and SDX's count is still its floor."""

    def __init__(self, *, ttl: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._kept: TtlCache[int, frozenset[str]] = TtlCache(MAX_COUNTED, clock=clock)

    def _fields(self, interaction_id: int) -> frozenset[str]:
        return self._kept.get(interaction_id) or frozenset()

    async def dials(self, interaction_ids: Sequence[int]) -> dict[int, list[Dial]]:
        return {i: _parsed(sorted(self._fields(i))) for i in interaction_ids}

    async def record(self, interaction_id: int, dial: Dial) -> None:
        self._kept.set(interaction_id, self._fields(interaction_id) | {dial.field}, self._ttl)
