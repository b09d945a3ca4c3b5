"""Where each survey's listing stands: the watermark and the full passes.

``gateway.survey.feed`` lists only what is new since the highest interaction
id it has seen (the *top*), and re-lists a survey in full on a slow cadence.
This keeps, per survey, shared by every replica:
- ``top``: the highest interaction id seen (raised, never lowered);
- ``looked``: when new interactions were last looked for;
- ``passed``: when the last full pass finished, and its ``pages``;
and a lease so that one replica at a time makes a full pass.

Redis: one hash per survey, ``feed:{survey_id}``, and the lease
``feed:{survey_id}:pass`` (a token, with an expiry its holder renews).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, replace
from typing import Protocol

from redis.asyncio import Redis


@dataclass(frozen=True)
class Marks:
    top: int | None = None  # None: the survey was never listed (or Redis lost it)
    looked: float | None = None
    passed: float | None = None
    pages: int = 0


class FeedMarks(Protocol):
    async def read(self, survey_id: int) -> Marks: ...

    async def looked(self, survey_id: int, top: int | None, at: float) -> None:
        """New interactions were looked for at ``at``; ``top`` the highest id seen."""
        ...

    async def passed(self, survey_id: int, top: int | None, at: float, pages: int) -> None: ...

    async def lease(self, survey_id: int, token: str, ttl: float) -> bool:
        """Take (or keep, for its holder) the right to make the survey's full pass."""
        ...

    async def release(self, survey_id: int, token: str) -> None: ...


def new_token() -> str:
    return secrets.token_hex(8)


# Raise ``top`` only: two replicas writing at once must not move it back.
_RAISE = """
local top = tonumber(redis.call('HGET', KEYS[1], 'top') or '-1')
if ARGV[1] ~= '' and tonumber(ARGV[1]) > top then
  redis.call('HSET', KEYS[1], 'top', ARGV[1])
end
for i = 2, #ARGV - 1, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('EXPIRE', KEYS[1], ARGV[#ARGV])
return 1
"""

_LEASE = """
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
"""


def _number(raw: bytes | str | None) -> float | None:
    return float(raw) if raw else None


class RedisFeedMarks:
    def __init__(self, redis: Redis, *, prefix: str, keep: int) -> None:
        self._redis = redis
        self._prefix = prefix
        self._keep = keep  # marks of a survey nobody lists any more expire
        self._raise = redis.register_script(_RAISE)
        self._lease = redis.register_script(_LEASE)
        self._release = redis.register_script(_RELEASE)

    def _key(self, survey_id: int) -> str:
        return f"{self._prefix}feed:{survey_id}"

    async def read(self, survey_id: int) -> Marks:
        top, looked, passed, pages = await self._redis.hmget(
            self._key(survey_id), ["top", "looked", "passed", "pages"]
        )
        return Marks(int(top) if top else None, _number(looked), _number(passed), int(pages or 0))

    async def looked(self, survey_id: int, top: int | None, at: float) -> None:
        args = ["" if top is None else top, "looked", repr(at), self._keep]
        await self._raise(keys=[self._key(survey_id)], args=args)

    async def passed(self, survey_id: int, top: int | None, at: float, pages: int) -> None:
        args = ["" if top is None else top, "passed", repr(at), "pages", pages, self._keep]
        await self._raise(keys=[self._key(survey_id)], args=args)

    async def lease(self, survey_id: int, token: str, ttl: float) -> bool:
        key = f"{self._key(survey_id)}:pass"
        return bool(await self._lease(keys=[key], args=[token, int(ttl * 1000)]))

    async def release(self, survey_id: int, token: str) -> None:
        await self._release(keys=[f"{self._key(survey_id)}:pass"], args=[token])


class MemoryFeedMarks:
    def __init__(self) -> None:
        self._marks: dict[int, Marks] = {}
        self._leases: dict[int, tuple[str, float]] = {}

    async def read(self, survey_id: int) -> Marks:
        return self._marks.get(survey_id, Marks())

    def _raised(self, survey_id: int, top: int | None) -> Marks:
        marks = self._marks.get(survey_id, Marks())
        if top is not None and (marks.top is None or top > marks.top):
            marks = replace(marks, top=top)
        return marks

    async def looked(self, survey_id: int, top: int | None, at: float) -> None:
        self._marks[survey_id] = replace(self._raised(survey_id, top), looked=at)

    async def passed(self, survey_id: int, top: int | None, at: float, pages: int) -> None:
        self._marks[survey_id] = replace(self._raised(survey_id, top), passed=at, pages=pages)

    async def lease(self, survey_id: int, token: str, ttl: float) -> bool:
        holder = self._leases.get(survey_id)
        if holder and holder[0] != token and holder[1] > time.monotonic():
            return False
        self._leases[survey_id] = (token, time.monotonic() + ttl)
        return True

    async def release(self, survey_id: int, token: str) -> None:
        if self._leases.get(survey_id, ("", 0.0))[0] == token:
            del self._leases[survey_id]
