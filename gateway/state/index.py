"""The lookup index's storage: survey -> E.164 number -> pending interactions.

One Redis hash per survey (or a dict in memory), shared by every replica.
What goes in it, and when SDX is listed, is ``gateway.survey.feed``'s
business; this module only keeps it: candidates are merged in as new
interactions are seen, and a full pass builds the index aside and swaps it in.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis

from gateway.state.batch import Batch

_BUILT = "__built__"


@dataclass(frozen=True)
class Candidate:
    id: int
    survey_id: int
    survey_type: str
    scheduled_at: float | None  # epoch seconds, None: due now
    # The respondent's language code as SDX gives it ("" for none): a code
    # holds only letters, digits, "-" and "_" (``Interaction.language``).
    language: str = ""

    def encode(self) -> str:
        """``id,type,at[,language]``: a big survey's index is written in one go, and
        this is about ten times cheaper than JSON (the type is a word, ``at`` a float).

        The language is written only when there is one: an entry without it
        is what replicas from before languages read, so during a rolling
        upgrade they keep finding every respondent who has none.
        """
        at = "" if self.scheduled_at is None else repr(self.scheduled_at)
        entry = f"{self.id},{self.survey_type},{at}"
        return f"{entry},{self.language}" if self.language else entry

    @classmethod
    def decode(cls, survey_id: int, text: str) -> Candidate:
        # Entries written before languages were kept have three fields.
        id_, survey_type, at, *language = text.split(",")
        at_time = float(at) if at else None
        return cls(int(id_), survey_id, survey_type, at_time, language[0] if language else "")


@dataclass(frozen=True)
class IndexRead:
    survey_id: int
    built_at: float | None  # None: no index for this survey (never built or expired)
    candidates: list[Candidate]


class IndexStore(Protocol):
    async def read(self, survey_ids: Sequence[int], phone: str) -> list[IndexRead]: ...

    async def merge(
        self,
        survey_id: int,
        add: Sequence[tuple[str, Candidate]],
        drop: Sequence[tuple[str, int]] = (),
        *,
        build: str | None = None,
    ) -> None:
        """Add (or replace, by id) candidates and drop ended ones, in the live
        index or in a ``build`` begun with ``begin``."""
        ...

    async def begin(self, survey_id: int) -> str:
        """Start building the survey's index aside; returns the build's name."""
        ...

    async def finish(self, survey_id: int, build: str, built_at: float) -> None:
        """Swap the build in: readers never see a half-built index."""
        ...

    async def forget(self, survey_id: int, phone: str) -> None: ...


def _decode(survey_id: int, raw: bytes | str | None) -> list[Candidate]:
    if not raw:
        return []
    text = raw.decode() if isinstance(raw, bytes) else raw
    return [Candidate.decode(survey_id, item) for item in text.split(";")]


def _encode(candidates: Iterable[Candidate]) -> str:
    return ";".join(c.encode() for c in candidates)


# Add candidates (replacing any with the same id) and drop ended ones, in
# one step: replicas merge into the same hash. ARGV: the number of adds, the
# adds as (phone, "id,", entry), the drops as (phone, "id,"), the expiry.
_MERGE = """
local function without(list, prefix)
  local kept = {}
  if list then
    for item in string.gmatch(list, '[^;]+') do
      if string.sub(item, 1, #prefix) ~= prefix then kept[#kept + 1] = item end
    end
  end
  return kept
end
local i = 2
for _ = 1, tonumber(ARGV[1]) do
  local kept = without(redis.call('HGET', KEYS[1], ARGV[i]), ARGV[i + 1])
  kept[#kept + 1] = ARGV[i + 2]
  redis.call('HSET', KEYS[1], ARGV[i], table.concat(kept, ';'))
  i = i + 3
end
while i < #ARGV do
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  if current then
    local kept = without(current, ARGV[i + 1])
    if #kept == 0 then
      redis.call('HDEL', KEYS[1], ARGV[i])
    else
      redis.call('HSET', KEYS[1], ARGV[i], table.concat(kept, ';'))
    end
  end
  i = i + 2
end
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('EXPIRE', KEYS[1], ARGV[#ARGV]) end
return 1
"""

# Index entries merged per round trip: each chunk is a few milliseconds of
# Redis work, and webhooks are served in between.
CHUNK = 1000


class RedisIndexStore:
    """One hash per survey: number -> ``;``-joined candidates, plus its build time.

    ``keep``: an index no full pass renews (its survey is no longer routed)
    expires after this many seconds.
    """

    def __init__(self, redis: Redis, *, prefix: str, keep: int) -> None:
        self._redis = redis
        self._prefix = prefix
        self._keep = keep
        self._merge = redis.register_script(_MERGE)

    def _key(self, survey_id: int) -> str:
        return f"{self._prefix}idx:{survey_id}"

    async def read(self, survey_ids: Sequence[int], phone: str) -> list[IndexRead]:
        if len(survey_ids) == 1:  # most numbers serve one survey: no pipeline to build
            rows = [await self._redis.hmget(self._key(survey_ids[0]), [_BUILT, phone])]
        else:
            async with self._redis.pipeline(transaction=False) as pipe:
                for survey_id in survey_ids:
                    pipe.hmget(self._key(survey_id), [_BUILT, phone])
                rows = await pipe.execute()
        return [
            IndexRead(sid, float(built) if built else None, _decode(sid, raw))
            for sid, (built, raw) in zip(survey_ids, rows, strict=True)
        ]

    async def merge(
        self,
        survey_id: int,
        add: Sequence[tuple[str, Candidate]],
        drop: Sequence[tuple[str, int]] = (),
        *,
        build: str | None = None,
    ) -> None:
        key = build or self._key(survey_id)
        for start in range(0, max(len(add), len(drop)), CHUNK):
            adds, drops = add[start : start + CHUNK], drop[start : start + CHUNK]
            args: list[str | int] = [len(adds)]
            for phone, candidate in adds:
                args += [phone, f"{candidate.id},", candidate.encode()]
            for phone, interaction_id in drops:
                args += [phone, f"{interaction_id},"]
            await self._merge(keys=[key], args=[*args, self._keep])

    async def begin(self, survey_id: int) -> str:
        # The build's own key (replicas may build the same survey at once);
        # it expires if its builder dies.
        build = f"{self._key(survey_id)}:building:{secrets.token_hex(4)}"
        await self._redis.hset(build, _BUILT, "building")
        await self._redis.expire(build, self._keep)
        return build

    async def finish(self, survey_id: int, build: str, built_at: float) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(build, _BUILT, repr(built_at))
            pipe.expire(build, self._keep)
            pipe.rename(build, self._key(survey_id))
            await pipe.execute()

    async def forget(self, survey_id: int, phone: str) -> None:
        await self._redis.hdel(self._key(survey_id), phone)

    def queue_forget(self, batch: Batch, survey_id: int, phone: str) -> None:
        """``forget`` as part of another batch of writes (an SMS turn's last write)."""
        batch.hdel(self._key(survey_id), phone)


Entries = dict[str, list[Candidate]]


def _merged(
    entries: Entries, add: Sequence[tuple[str, Candidate]], drop: Iterable[tuple[str, int]]
) -> None:
    for phone, candidate in add:
        kept = [c for c in entries.get(phone, []) if c.id != candidate.id]
        entries[phone] = [*kept, candidate]
    for phone, interaction_id in drop:
        kept = [c for c in entries.get(phone, []) if c.id != interaction_id]
        if kept:
            entries[phone] = kept
        else:
            entries.pop(phone, None)


class MemoryIndexStore:
    def __init__(self, *, keep: int) -> None:
        self._keep = keep
        self._surveys: dict[int, tuple[float | None, Entries]] = {}
        self._builds: dict[str, Entries] = {}

    async def read(self, survey_ids: Sequence[int], phone: str) -> list[IndexRead]:
        reads = []
        for survey_id in survey_ids:
            built_at, entries = self._surveys.get(survey_id, (None, {}))
            if built_at is not None and time.time() - built_at >= self._keep:
                built_at, entries = None, {}
                self._surveys.pop(survey_id, None)
            reads.append(IndexRead(survey_id, built_at, list(entries.get(phone, []))))
        return reads

    async def merge(
        self,
        survey_id: int,
        add: Sequence[tuple[str, Candidate]],
        drop: Sequence[tuple[str, int]] = (),
        *,
        build: str | None = None,
    ) -> None:
        if build is not None:
            if build in self._builds:
                _merged(self._builds[build], add, drop)
            return
        _, entries = self._surveys.setdefault(survey_id, (None, {}))
        _merged(entries, add, drop)

    async def begin(self, survey_id: int) -> str:
        build = f"{survey_id}:{secrets.token_hex(4)}"
        self._builds[build] = {}
        return build

    async def finish(self, survey_id: int, build: str, built_at: float) -> None:
        self._surveys[survey_id] = (built_at, self._builds.pop(build, {}))

    async def forget(self, survey_id: int, phone: str) -> None:
        if survey_id in self._surveys:
            self._surveys[survey_id][1].pop(phone, None)
