"""Finding a respondent's pending interaction, without re-listing SDX on every call.

SDX cannot filter interactions by phone number, so the gateway lists a
survey's not-completed interactions and matches numbers itself. The result
is the *index* (survey -> E.164 number -> candidates, kept by
``gateway.state.index``) for ``GATEWAY_INDEX_TTL`` seconds and shared by every
replica.

A number missing from a fresh index is not proof of absence: the
interaction may have been created since. So a miss re-lists the survey,
but only if the index is older than ``GATEWAY_INDEX_MIN_AGE`` seconds, which
bounds SDX listing to one per survey per that interval however many unknown
callers ring.

SDX's numbers may be written without a country code (``0412 345 678``):
they are read in the gateway's default region (``GATEWAY_DEFAULT_REGION``,
see ``gateway.survey.routing``), asked of ``region`` at each listing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence

from gateway.logging import get_logger
from gateway.numbers import InvalidNumber, to_e164
from gateway.sdx import SdxClient
from gateway.sdx.errors import SdxError
from gateway.sdx.models import Interaction
from gateway.state.index import Candidate, IndexStore

log = get_logger(__name__)

PHONE_TYPES = ("inbound", "outbound", "sms")
# Interactions grouped between two turns of the event loop while listing.
YIELD_EVERY = 50

# The default region's code, e.g. NumberRouter.region_code.
RegionSource = Callable[[], Awaitable[str]]


def _add_candidate(
    entries: dict[str, list[Candidate]], survey_id: int, item: Interaction, region: str
) -> None:
    if item.survey_type not in PHONE_TYPES or not item.phone_number:
        return
    try:
        phone = to_e164(item.phone_number, region)
    except InvalidNumber:
        return
    at = item.scheduled_at.timestamp() if item.scheduled_at else None
    entries.setdefault(phone, []).append(Candidate(item.id, survey_id, item.survey_type, at))


def group_by_number(
    survey_id: int, interactions: Iterable[Interaction], region: str
) -> dict[str, list[Candidate]]:
    entries: dict[str, list[Candidate]] = {}
    for item in interactions:
        _add_candidate(entries, survey_id, item, region)
    return entries


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
        sdx: SdxClient,
        store: IndexStore,
        *,
        min_age: float,
        region: RegionSource,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._sdx = sdx
        self._store = store
        self._min_age = min_age
        self._region = region
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
            phone = to_e164(phone, await self._region())
        except InvalidNumber:
            return None
        now = self._clock()
        reads = await self._store.read(survey_ids, phone)
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
        region = await self._region()
        entries: dict[str, list[Candidate]] = {}
        listed = 0
        # Grouped page by page: a big survey is never held as a list of models.
        async for item in self._sdx.iter_interactions(survey_id, completed=False):
            _add_candidate(entries, survey_id, item, region)
            listed += 1
            if listed % YIELD_EVERY == 0:
                # Reading a number costs ~100 µs (phonenumbers): a 1000-item
                # page would hold every webhook up for 0.1 s without this.
                await asyncio.sleep(0)
        await self._store.replace(survey_id, entries, started)
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
