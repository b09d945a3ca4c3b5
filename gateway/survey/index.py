"""Finding a respondent's pending interaction, without re-listing SDX on every call.

SDX cannot filter interactions by phone number, so the gateway keeps the
*index* (survey -> E.164 number -> candidates, ``gateway.state.index``),
shared by every replica and kept current by ``gateway.survey.feed``: new
interactions are merged in as they are seen, and a full pass rebuilds it
every ``GATEWAY_RECONCILE_INTERVAL``.

A number missing from the index is not proof of absence: the interaction
may have been created since the last look. So a miss looks for new
interactions (one page, whatever the backlog), a look of its own that
begins after the call did, so an interaction created for a caller is found
on their first call. The same number does not cause another look within
``GATEWAY_INDEX_MIN_AGE`` seconds (a caller ringing again and again). A
survey with no index at all (first call, Redis lost) is listed in full.

SDX's numbers may be written without a country code (``0412 345 678``):
they are read in the gateway's default region (``GATEWAY_DEFAULT_REGION``,
see ``gateway.survey.routing``).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, Sequence

from gateway.logging import get_logger
from gateway.numbers import InvalidNumber, to_e164
from gateway.sdx.errors import SdxError
from gateway.state.index import Candidate, IndexRead, IndexStore
from gateway.state.ttl_cache import TtlCache
from gateway.survey.feed import InteractionFeed

log = get_logger(__name__)

# Recent misses remembered (a few dozen bytes each): past it the oldest go,
# which only allows that number one more look.
ASKED_LIMIT = 10_000

# The default region's code, e.g. NumberRouter.region_code.
RegionSource = Callable[[], Awaitable[str]]


def choose(candidates: Iterable[Candidate], types: Sequence[str], now: float) -> Candidate | None:
    """The interaction to take: preferred type first, then the earliest due.

    One scheduled in the future is not started early.
    """
    due = [c for c in candidates if c.survey_type in types and (c.scheduled_at or 0) <= now]
    if not due:
        return None
    return min(due, key=lambda c: (types.index(c.survey_type), c.scheduled_at or 0, c.id))


class InteractionIndex:
    def __init__(
        self,
        store: IndexStore,
        feed: InteractionFeed,
        *,
        min_age: float,
        region: RegionSource,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self.feed = feed
        self._min_age = min_age
        self._region = region
        self._clock = clock
        # (survey, number) of recent misses: each makes one look, not more.
        self._asked: TtlCache[tuple[int, str], bool] = TtlCache(ASKED_LIMIT, clock=clock)

    async def find(
        self, survey_ids: Sequence[int], phone: str, types: Sequence[str]
    ) -> Candidate | None:
        """The respondent's pending interaction on the first survey that has one.

        ``types`` in order of preference, e.g. ("inbound", "outbound").
        Raises SdxError when SDX must be listed and cannot be.
        """
        try:
            phone = to_e164(phone, await self._region())
        except InvalidNumber:
            return None
        now = self._clock()
        reads = await self._store.read(survey_ids, phone)
        for read in reads:
            found = choose(read.candidates, types, now)
            if found:
                return found
        for read in reads:
            if not await self._listed_again(read, phone):
                continue  # nothing new: the miss is real
            again = await self._store.read([read.survey_id], phone)
            found = choose(again[0].candidates, types, now)
            if found:
                return found
        return None

    async def _listed_again(self, read: IndexRead, phone: str) -> bool:
        """Bring the survey's index up to date for a miss; False: nothing changed."""
        if read.built_at is None and await self.feed.build(read.survey_id) is not None:
            return True  # the index was missing: listed in full
        if not self._asked.add((read.survey_id, phone), True, self._min_age):
            return False  # this number looked moments ago
        # (None: being listed in full elsewhere, and merged in as it goes.)
        rows = await self.feed.look(read.survey_id, fresh=True)
        return rows is None or rows > 0

    async def remember(self, phone: str, candidate: Candidate) -> None:
        """Add one the gateway created (``phone`` in E.164)."""
        await self._store.merge(candidate.survey_id, [(phone, candidate)])

    async def forget(self, survey_id: int, phone: str) -> None:
        """Drop a number's entries (its interaction ended); the next miss re-lists."""
        try:
            region = await self._region()
        except SdxError:
            # Only when the region is derived from a routing SDX never gave this
            # process. Left in the index, the entry is dropped when SDX says
            # its interaction is over (gateway.survey.pending).
            log.warning("index_forget_skipped", survey_id=survey_id)
            return
        try:
            await self._store.forget(survey_id, to_e164(phone, region))
        except InvalidNumber:
            return
