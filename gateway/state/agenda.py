"""The dispatcher's agenda: not-started outbound and sms interactions by when to look at them.

Filled by ``gateway.survey.feed`` from the listings that cost what is new;
read by the dispatcher's poll, which takes only what is due. So a poll costs
Redis work proportional to the due work, and no SDX request at all.

Redis layout (prefix first):
- ``agenda:plans``: hash, interaction id -> ``survey,type,scheduled,phone``
  (the number in E.164, ``scheduled`` in epoch seconds);
- ``agenda:due``: sorted set, interaction id scored by when to look at it
  next: its scheduled time, moved on each time a poll takes it (so a queued
  job is not taken again while it waits to be dialled) or when the call
  window is closed for the respondent.

An entry leaves when the interaction is seen completed, started, deleted or
rescheduled (replaced); a stale one costs at most one ``GET`` when due.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis

from gateway.state.batch import Batch, BatchRunner

AGENDA_TYPES = ("outbound", "sms")


@dataclass(frozen=True)
class Plan:
    id: int
    survey_id: int
    survey_type: str  # outbound | sms
    scheduled_at: float  # epoch seconds (0: as soon as possible)
    phone: str  # E.164

    def encode(self) -> str:
        return f"{self.survey_id},{self.survey_type},{self.scheduled_at!r},{self.phone}"

    @classmethod
    def decode(cls, interaction_id: int, text: str) -> Plan:
        survey_id, survey_type, at, phone = text.split(",", 3)
        return cls(interaction_id, int(survey_id), survey_type, float(at), phone)


class Agenda(Protocol):
    async def plan(self, plans: Sequence[Plan]) -> int:
        """Add or replace entries; an unchanged one keeps its place. Returns how many changed."""
        ...

    async def drop(self, interaction_ids: Iterable[int]) -> None: ...

    async def take(self, now: float, limit: int, later: float) -> list[Plan]:
        """Up to ``limit`` entries due by ``now``, earliest first, each moved to ``later``."""
        ...

    async def defer(self, interaction_id: int, at: float) -> None:
        """Look at an entry again at ``at`` (the call window is closed until then)."""
        ...

    async def hold(self, plan: Plan, until: float) -> None:
        """Look at the entry again at ``until``, unless it changed meanwhile (a
        dialled call's outcome rescheduled it: that time stands)."""
        ...

    async def drop_unmoved(self, interaction_id: int, before: float) -> None:
        """Drop the entry unless it was moved to after ``before`` meanwhile (a
        first text's delivery report rescheduled it: that time stands)."""
        ...

    async def size(self) -> int: ...


# Add or replace: an entry whose text is unchanged keeps its score (it may
# have been taken and moved on; a full listing must not make it due again).
_PLAN = """
local changed = 0
for i = 1, #ARGV, 3 do
  local id, text, score = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if redis.call('HGET', KEYS[1], id) ~= text then
    redis.call('HSET', KEYS[1], id, text)
    redis.call('ZADD', KEYS[2], score, id)
    changed = changed + 1
  end
end
return changed
"""

# Take what is due and move it on in one step: two pollers overlapping (a
# lease changing hands) do not both take it.
_TAKE = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
local out = {}
for _, id in ipairs(ids) do
  local text = redis.call('HGET', KEYS[1], id)
  if text then
    redis.call('ZADD', KEYS[2], ARGV[3], id)
    out[#out + 1] = id
    out[#out + 1] = text
  else
    redis.call('ZREM', KEYS[2], id)
  end
end
return out
"""

_HOLD = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('ZADD', KEYS[2], 'XX', ARGV[3], ARGV[1])
end
return 1
"""

# The scheduled time is a plan's third field (``Plan.encode``).
_DROP_UNMOVED = """
local text = redis.call('HGET', KEYS[1], ARGV[1])
if text then
  local at = tonumber(string.match(text, '^[^,]*,[^,]*,([^,]*),'))
  if at and at > tonumber(ARGV[2]) then
    return 0
  end
end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
"""

# Plans written per round trip (a full listing's page at most).
CHUNK = 1000


class RedisAgenda:
    def __init__(self, redis: Redis, *, prefix: str) -> None:
        self._redis = redis
        self._keys = [f"{prefix}agenda:plans", f"{prefix}agenda:due"]
        self._plan = redis.register_script(_PLAN)
        self._take = redis.register_script(_TAKE)
        self._hold = redis.register_script(_HOLD)
        self._drop_unmoved = redis.register_script(_DROP_UNMOVED)
        self._batches = BatchRunner(redis)

    async def plan(self, plans: Sequence[Plan]) -> int:
        changed = 0
        for start in range(0, len(plans), CHUNK):
            args: list[str | int | float] = []
            for p in plans[start : start + CHUNK]:
                args += [p.id, p.encode(), p.scheduled_at]
            changed += int(await self._plan(keys=self._keys, args=args))
        return changed

    async def drop(self, interaction_ids: Iterable[int]) -> None:
        ids = list(interaction_ids)
        if not ids:
            return
        dropping = Batch()
        dropping.hdel(self._keys[0], *ids)
        dropping.zrem(self._keys[1], *ids)
        await self._batches.run(dropping)

    async def take(self, now: float, limit: int, later: float) -> list[Plan]:
        flat = await self._take(keys=self._keys, args=[now, limit, later])
        return [Plan.decode(int(flat[i]), _text(flat[i + 1])) for i in range(0, len(flat), 2)]

    async def defer(self, interaction_id: int, at: float) -> None:
        await self._redis.zadd(self._keys[1], {str(interaction_id): at}, xx=True)

    async def hold(self, plan: Plan, until: float) -> None:
        await self._hold(keys=self._keys, args=[plan.id, plan.encode(), until])

    async def drop_unmoved(self, interaction_id: int, before: float) -> None:
        await self._drop_unmoved(keys=self._keys, args=[interaction_id, before])

    async def size(self) -> int:
        return int(await self._redis.zcard(self._keys[1]))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class MemoryAgenda:
    """One process's agenda: a heap of (score, id) with stale heap items skipped."""

    def __init__(self) -> None:
        self._plans: dict[int, tuple[Plan, float]] = {}
        self._heap: list[tuple[float, int]] = []

    def _score(self, interaction_id: int, score: float) -> None:
        plan, _ = self._plans[interaction_id]
        self._plans[interaction_id] = (plan, score)
        heapq.heappush(self._heap, (score, interaction_id))
        if len(self._heap) > 2 * len(self._plans) + 1024:
            # Moved and dropped entries leave heap items behind: rebuild.
            self._heap = [(s, i) for i, (_, s) in self._plans.items()]
            heapq.heapify(self._heap)

    async def plan(self, plans: Sequence[Plan]) -> int:
        changed = 0
        for p in plans:
            held = self._plans.get(p.id)
            if held is not None and held[0] == p:
                continue
            self._plans[p.id] = (p, p.scheduled_at)
            self._score(p.id, p.scheduled_at)
            changed += 1
        return changed

    async def drop(self, interaction_ids: Iterable[int]) -> None:
        for interaction_id in interaction_ids:
            self._plans.pop(interaction_id, None)

    async def take(self, now: float, limit: int, later: float) -> list[Plan]:
        taken: list[Plan] = []
        while self._heap and self._heap[0][0] <= now and len(taken) < limit:
            score, interaction_id = heapq.heappop(self._heap)
            held = self._plans.get(interaction_id)
            if held is None or held[1] != score:
                continue  # dropped, or moved since this heap item was pushed
            taken.append(held[0])
        for p in taken:
            self._score(p.id, later)
        return taken

    async def defer(self, interaction_id: int, at: float) -> None:
        if interaction_id in self._plans:
            self._score(interaction_id, at)

    async def hold(self, plan: Plan, until: float) -> None:
        held = self._plans.get(plan.id)
        if held is not None and held[0] == plan:
            self._score(plan.id, until)

    async def drop_unmoved(self, interaction_id: int, before: float) -> None:
        held = self._plans.get(interaction_id)
        if held is None or held[0].scheduled_at <= before:
            self._plans.pop(interaction_id, None)

    async def size(self) -> int:
        return len(self._plans)
