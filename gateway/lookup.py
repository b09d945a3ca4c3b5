"""Finding a respondent's pending interaction, without re-listing SDX on every call.

SDX cannot filter interactions by phone number, so the gateway lists a
survey's not-completed interactions and matches numbers itself. The result
is an *index* (survey -> E.164 number -> candidates) kept in Redis (or
memory) for ``GATEWAY_INDEX_TTL`` seconds and shared by every replica.

A number missing from a fresh index is not proof of absence: the
interaction may have been created since. So a miss re-lists the survey,
but only if the index is older than ``GATEWAY_INDEX_MIN_AGE`` seconds, which
bounds SDX listing to one per survey per that interval however many unknown
callers ring.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from gateway.logging import get_logger
from gateway.numbers import InvalidNumber, to_e164
from gateway.sdx import SdxClient
from gateway.sdx.models import Interaction

log = get_logger(__name__)

PHONE_TYPES = ("inbound", "outbound", "sms")
_BUILT = "__built__"
# Interactions grouped between two turns of the event loop while listing.
YIELD_EVERY = 50


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


def _add_candidate(entries: dict[str, list[Candidate]], survey_id: int, item: Interaction) -> None:
    if item.survey_type not in PHONE_TYPES or not item.phone_number:
        return
    try:
        phone = to_e164(item.phone_number)
    except InvalidNumber:
        return
    at = item.scheduled_at.timestamp() if item.scheduled_at else None
    entries.setdefault(phone, []).append(Candidate(item.id, survey_id, item.survey_type, at))


def group_by_number(
    survey_id: int, interactions: Iterable[Interaction]
) -> dict[str, list[Candidate]]:
    entries: dict[str, list[Candidate]] = {}
    for item in interactions:
        _add_candidate(entries, survey_id, item)
    return entries


def choose(candidates: Iterable[Candidate], types: Sequence[str], now: float) -> Candidate | None:
    """The interaction to take: preferred type first, then the earliest due.

    One scheduled in the future is not started early.
    """
    due = [c for c in candidates if c.survey_type in types and (c.scheduled_at or 0) <= now]
    if not due:
        return None
    return min(due, key=lambda c: (types.index(c.survey_type), c.scheduled_at or 0, c.id))


class InteractionFinder:
    def __init__(
        self,
        sdx: SdxClient,
        index: IndexStore,
        *,
        min_age: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._sdx = sdx
        self._index = index
        self._min_age = min_age
        self._clock = clock
        self._rebuilding: dict[int, asyncio.Task[dict[str, list[Candidate]]]] = {}

    async def find(
        self, survey_ids: Sequence[int], phone: str, types: Sequence[str]
    ) -> Candidate | None:
        """The respondent's pending interaction on the first survey that has one.

        ``types`` in order of preference, e.g. ("inbound", "outbound").
        Raises SdxError when SDX must be listed and cannot be.
        """
        try:
            phone = to_e164(phone)
        except InvalidNumber:
            return None
        now = self._clock()
        reads = await self._index.read(survey_ids, phone)
        for read in reads:
            found = choose(read.candidates, types, now) if read.built_at else None
            if found:
                return found
        for read in reads:
            if read.built_at is not None and now - read.built_at < self._min_age:
                continue  # listed moments ago: the miss is real
            entries = await self.rebuild(read.survey_id)
            found = choose(entries.get(phone, []), types, now)
            if found:
                return found
        return None

    async def rebuild(self, survey_id: int) -> dict[str, list[Candidate]]:
        """List the survey's not-completed interactions into the index.

        One listing per survey at a time in this process: concurrent callers
        share it. It is shielded, so a caller cut off by its webhook
        deadline does not waste a long listing that the next caller needs.
        """
        task = self._rebuilding.get(survey_id)
        if task is None:
            task = asyncio.create_task(self._rebuild(survey_id), name=f"index-{survey_id}")
            self._rebuilding[survey_id] = task
            task.add_done_callback(lambda done: self._rebuild_done(survey_id, done))
        return await asyncio.shield(task)

    def _rebuild_done(self, survey_id: int, task: asyncio.Task[dict[str, list[Candidate]]]) -> None:
        self._rebuilding.pop(survey_id, None)
        if not task.cancelled() and task.exception() is not None:
            # Retrieved here so a listing nobody waits for any more is not
            # reported as an unhandled error; its callers got it already.
            log.warning("index_rebuild_failed", survey_id=survey_id)

    async def _rebuild(self, survey_id: int) -> dict[str, list[Candidate]]:
        started = self._clock()
        entries: dict[str, list[Candidate]] = {}
        listed = 0
        # Grouped page by page: a big survey is never held as a list of models.
        async for item in self._sdx.iter_interactions(survey_id, completed=False):
            _add_candidate(entries, survey_id, item)
            listed += 1
            if listed % YIELD_EVERY == 0:
                # Reading a number costs ~100 µs (phonenumbers): a 1000-item
                # page would hold every webhook up for 0.1 s without this.
                await asyncio.sleep(0)
        await self._index.replace(survey_id, entries, started)
        log.info("index_rebuilt", survey_id=survey_id, interactions=listed)
        return entries

    async def close(self) -> None:
        """Cancel listings still running (shutdown)."""
        tasks = list(self._rebuilding.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def forget(self, survey_id: int, phone: str) -> None:
        """Drop a number's entries (its interaction ended); the next miss re-lists."""
        try:
            await self._index.forget(survey_id, to_e164(phone))
        except InvalidNumber:
            return
