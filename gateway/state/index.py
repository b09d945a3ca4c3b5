"""The lookup index's storage: survey -> E.164 number -> pending interactions.

One Redis hash per survey (or a dict in memory), shared by every replica and
trusted for ``GATEWAY_INDEX_TTL`` seconds. What goes in it, and when it is
re-listed, is ``gateway.survey.index``'s business; this module only keeps it.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

_BUILT = "__built__"


@dataclass(frozen=True)
class Candidate:
    id: int
    survey_id: int
    survey_type: str
    scheduled_at: float | None  # epoch seconds, None: due now

    def encode(self) -> str:
        """``id,type,at``: a big survey's index is written in one go, and this is
        about ten times cheaper than JSON (the type is a word, ``at`` a float)."""
        at = "" if self.scheduled_at is None else repr(self.scheduled_at)
        return f"{self.id},{self.survey_type},{at}"

    @classmethod
    def decode(cls, survey_id: int, text: str) -> Candidate:
        id_, survey_type, at = text.split(",")
        return cls(int(id_), survey_id, survey_type, float(at) if at else None)


@dataclass(frozen=True)
class IndexRead:
    survey_id: int
    built_at: float | None  # None: no index for this survey (never built or expired)
    candidates: list[Candidate]


class IndexStore(Protocol):
    async def read(self, survey_ids: Sequence[int], phone: str) -> list[IndexRead]: ...

    async def replace(
        self, survey_id: int, entries: Mapping[str, list[Candidate]], built_at: float
    ) -> None: ...

    async def forget(self, survey_id: int, phone: str) -> None: ...


def _decode(survey_id: int, raw: bytes | str | None) -> list[Candidate]:
    if not raw:
        return []
    text = raw.decode() if isinstance(raw, bytes) else raw
    return [Candidate.decode(survey_id, item) for item in text.split(";")]


def _encode(candidates: Iterable[Candidate]) -> str:
    return ";".join(c.encode() for c in candidates)


# Index entries written per round trip when a survey is (re)built: each
# chunk is a few milliseconds of work, and webhooks are served in between.
CHUNK = 1000


class RedisIndexStore:
    """One hash per survey: number -> JSON candidates, plus its build time."""

    def __init__(self, redis: Redis, *, prefix: str, ttl: int) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl = ttl

    def _key(self, survey_id: int) -> str:
        return f"{self._prefix}idx:{survey_id}"

    async def read(self, survey_ids: Sequence[int], phone: str) -> list[IndexRead]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for survey_id in survey_ids:
                pipe.hmget(self._key(survey_id), [_BUILT, phone])
            rows = await pipe.execute()
        return [
            IndexRead(sid, float(built) if built else None, _decode(sid, raw))
            for sid, (built, raw) in zip(survey_ids, rows, strict=True)
        ]

    async def replace(
        self, survey_id: int, entries: Mapping[str, list[Candidate]], built_at: float
    ) -> None:
        # Built aside and swapped in, so readers never see a half-written
        # index; the scratch key is this build's own (replicas may build the
        # same survey at once) and expires if the builder dies.
        key = self._key(survey_id)
        scratch = f"{key}:building:{secrets.token_hex(4)}"
        flat: list[str] = [_BUILT, repr(built_at)]
        for phone, found in entries.items():
            flat += [phone, _encode(found)]
            if len(flat) >= 2 * CHUNK:
                await self._write_chunk(scratch, flat)
                flat = []
        async with self._redis.pipeline(transaction=True) as pipe:
            if flat:  # empty when the last chunk took everything
                pipe.hset(scratch, items=flat)
            pipe.expire(scratch, self._ttl)
            pipe.rename(scratch, key)
            await pipe.execute()

    async def _write_chunk(self, scratch: str, flat: list[str]) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hset(scratch, items=flat)
            pipe.expire(scratch, self._ttl)
            await pipe.execute()

    async def forget(self, survey_id: int, phone: str) -> None:
        await self._redis.hdel(self._key(survey_id), phone)

    def queue_forget(self, pipe: Pipeline, survey_id: int, phone: str) -> None:
        """``forget`` as part of another transaction (an SMS turn's last write)."""
        pipe.hdel(self._key(survey_id), phone)


class MemoryIndexStore:
    def __init__(self, *, ttl: int) -> None:
        self._ttl = ttl
        self._surveys: dict[int, tuple[float, dict[str, list[Candidate]]]] = {}

    async def read(self, survey_ids: Sequence[int], phone: str) -> list[IndexRead]:
        reads = []
        for survey_id in survey_ids:
            built_at, entries = self._surveys.get(survey_id, (None, {}))
            if built_at is not None and time.time() - built_at >= self._ttl:
                built_at, entries = None, {}
            reads.append(IndexRead(survey_id, built_at, list(entries.get(phone, []))))
        return reads

    async def replace(
        self, survey_id: int, entries: Mapping[str, list[Candidate]], built_at: float
    ) -> None:
        self._surveys[survey_id] = (built_at, {k: list(v) for k, v in entries.items()})

    async def forget(self, survey_id: int, phone: str) -> None:
        if survey_id in self._surveys:
            self._surveys[survey_id][1].pop(phone, None)
