"""Keeping the lookup index and the dispatcher's agenda current, at a cost that grows with new work.

SDX cannot filter interactions by number or by due time, so the gateway
lists them; but it lists only what is new. SDX orders by id on request, so
with ``_order=DESC`` the newest come first: a *look* pages down only until
it reaches the highest id seen before (the watermark, ``gateway.state.
feed_marks``). An idle look is one request per survey, whatever the backlog.

What a look cannot see (an interaction rescheduled, deleted, started or
completed outside the gateway) a *full pass* catches: every not-completed
interaction listed again, ``GATEWAY_RECONCILE_INTERVAL`` after the last one,
by one replica at a time (a lease), its pages spread over half the interval.
It builds the index aside and swaps it in. A survey never listed (or whose
marks Redis lost) gets a full pass at once, unpaced: the cold start.

Both listings filter by ``started``: SDX says nothing else about whether an
interaction has begun, and only a not-started one may be dialled or texted
first. Not-started outbound and sms interactions go to the agenda; every
not-completed one with a number goes to the index.

Paging with offsets while SDX's data changes can skip a row when a row
before it leaves the filtered list; each page repeats the last ``OVERLAP``
rows of the one before (merging is by id, so a repeat is harmless).
"""

from __future__ import annotations

import asyncio
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

from gateway.background import cancel_requested
from gateway.logging import get_logger
from gateway.sdx import SdxClient
from gateway.sdx.client import MAX_PAGE, Order
from gateway.sdx.models import Interaction
from gateway.state.agenda import AGENDA_TYPES, Agenda
from gateway.state.feed_marks import FeedMarks, new_token
from gateway.state.index import IndexStore
from gateway.survey.seen import Seen, note

log = get_logger(__name__)

# A look usually finds a handful: its first page is small (cheap to read).
FIRST_PAGE = 100
# Rows each page of a listing repeats of the one before.
OVERLAP = 50
# Rows read between two turns of the event loop (a number costs ~100 µs).
YIELD_EVERY = 50
# A pass's lease outlives the wait between two of its pages by this much.
LEASE_SLACK = 120.0

RegionSource = Callable[[], Awaitable[str]]
Sleep = Callable[[float], Awaitable[None]]


def spread(survey_id: int) -> float:
    """A survey's share of the reconcile interval (0..0.1), the same in every
    replica, so that surveys' passes do not all fall due together."""
    return (zlib.crc32(str(survey_id).encode()) % 1000) / 10_000


class InteractionFeed:
    def __init__(
        self,
        sdx: SdxClient,
        index: IndexStore,
        agenda: Agenda,
        marks: FeedMarks,
        *,
        region: RegionSource,
        reconcile_interval: float,
        clock: Callable[[], float] = time.time,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._sdx = sdx
        self._index = index
        self.agenda = agenda
        self._marks = marks
        self._region = region
        self.reconcile_interval = reconcile_interval
        self._clock = clock
        self._sleep = sleep
        self._looking: dict[int, asyncio.Task[int | None]] = {}
        self._passing: dict[int, asyncio.Task[int | None]] = {}
        self._cold: set[int] = set()  # surveys whose running pass is unpaced
        self._largest = 0  # the largest page SDX has served (see ``_last``)

    # --- looks ----------------------------------------------------------------

    async def look(self, survey_id: int, *, fresh: bool = False) -> int | None:
        """Merge what was created since the last look; returns rows seen, None
        while another replica makes the survey's first full pass.

        A survey never listed gets its full pass first. Concurrent callers in
        this process share one look, unless ``fresh``: a look for a caller
        the index did not know must begin after the call did (one already
        under way may have read its page before their interaction was
        created). It is shielded, so a caller cut off by its webhook deadline
        does not waste it.
        """
        task = None if fresh else self._looking.get(survey_id)
        if task is None:
            task = asyncio.create_task(self._look(survey_id), name=f"feed-look-{survey_id}")
            if not fresh:
                self._looking[survey_id] = task
            task.add_done_callback(lambda done: self._done(self._looking, survey_id, done))
        return await asyncio.shield(task)

    async def _look(self, survey_id: int) -> int | None:
        marks = await self._marks.read(survey_id)
        if marks.top is None:
            return await self.build(survey_id)
        began = self._clock()
        seen = await self._newest(survey_id, above=marks.top)
        await self._apply(survey_id, seen)
        await self._marks.looked(survey_id, seen.top, began)
        if seen.rows:
            log.info("feed_looked", survey_id=survey_id, new=seen.rows)
        return seen.rows

    async def _newest(self, survey_id: int, above: int) -> Seen:
        """Not-started interactions with an id above ``above``, newest first."""
        region = await self._region()
        seen = Seen()
        offset, size = 0, FIRST_PAGE
        previous: set[int] = set()  # a page repeats the end of the one before
        while True:
            rows, sent = await self._page(survey_id, size, offset, "DESC", started=False)
            for item in rows:
                if item.id > above and item.id not in previous:
                    note(seen, item, region, started=False)
            previous = {item.id for item in rows}
            if any(item.id <= above for item in rows) or self._last(sent, size):
                return seen
            offset += _step(sent)
            size = MAX_PAGE
            await asyncio.sleep(0)

    async def saw(self, item: Interaction) -> None:
        """One interaction just read (a dial's check, a reschedule): the agenda
        follows it. Whether it started, a single read cannot say."""
        seen = Seen()
        note(seen, item, await self._region(), started=None)
        await self.agenda.drop(seen.unplan)
        await self.agenda.plan(seen.plans)

    async def begun(self, interaction_id: int, survey_type: str) -> None:
        """The gateway started this interaction: it leaves the agenda.

        Only the types the dispatcher dials or texts first are ever on it: an
        inbound one costs no round trip.
        """
        if survey_type in AGENDA_TYPES:
            await self.agenda.drop([interaction_id])

    async def _apply(self, survey_id: int, seen: Seen, build: str | None = None) -> None:
        # A pass builds the index aside; the agenda has no such copy.
        await self._index.merge(survey_id, seen.add, seen.drop, build=build)
        await self.agenda.drop(seen.unplan)
        await self.agenda.plan(seen.plans)

    # --- full passes ------------------------------------------------------------

    async def build(self, survey_id: int) -> int | None:
        """A full pass now, unpaced (the index is missing); shared with a
        cold pass already running here. None: another replica is at it."""
        task = self._passing.get(survey_id)
        if task is None or survey_id not in self._cold:
            task = self._start(survey_id, paced=False, pages_before=0)
        return await asyncio.shield(task)

    def _start(self, survey_id: int, *, paced: bool, pages_before: int) -> asyncio.Task[int | None]:
        work = self.full_pass(survey_id, paced=paced, pages_before=pages_before)
        task = asyncio.create_task(work, name=f"feed-pass-{survey_id}")
        self._passing[survey_id] = task
        if not paced:
            self._cold.add(survey_id)

        def done(finished: asyncio.Task[int | None]) -> None:
            if self._passing.get(survey_id) is finished:
                self._cold.discard(survey_id)
            self._done(self._passing, survey_id, finished)

        task.add_done_callback(done)
        return task

    def pass_due(self, survey_id: int, passed: float | None, now: float) -> bool:
        if passed is None:
            return True
        return now >= passed + self.reconcile_interval * (1 + spread(survey_id))

    async def keep(self, survey_ids: Iterable[int]) -> None:
        """Start the full passes that are due (cold ones first), in the background."""
        now = self._clock()
        for survey_id in survey_ids:
            if survey_id in self._passing:
                continue
            marks = await self._marks.read(survey_id)
            if not self.pass_due(survey_id, marks.passed, now):
                continue
            self._start(survey_id, paced=marks.top is not None, pages_before=marks.pages)

    async def full_pass(self, survey_id: int, *, paced: bool, pages_before: int = 0) -> int | None:
        """List every not-completed interaction; None if another replica is at it."""
        token = new_token()
        gap = self.reconcile_interval / 2 / max(pages_before, 1) if paced else 0.0
        if not await self._marks.lease(survey_id, token, gap + LEASE_SLACK):
            return None
        try:
            return await self._pass(survey_id, token, gap)
        finally:
            await self._marks.release(survey_id, token)

    async def _pass(self, survey_id: int, token: str, gap: float) -> int:
        began = self._clock()
        build = await self._index.begin(survey_id)
        top: int | None = None
        rows = pages = 0
        for started in (False, True):
            async for seen in self._every(survey_id, started=started):
                await self._apply(survey_id, seen, build)
                rows += seen.rows
                pages += 1
                if seen.top is not None:
                    top = seen.top if top is None else max(top, seen.top)
                if not await self._marks.lease(survey_id, token, gap + LEASE_SLACK):
                    # Stalled past the lease: another replica passes now (this
                    # build is left to expire).
                    log.warning("feed_pass_lost", survey_id=survey_id, pages=pages)
                    return rows
                if gap:
                    await self._sleep(gap)
        await self._index.finish(survey_id, build, began)
        if top is not None:
            # Created after the pass read its last page: into the live index.
            looked = self._clock()
            late = await self._newest(survey_id, above=top)
            await self._apply(survey_id, late)
            top = late.top if late.top is not None else top
            await self._marks.looked(survey_id, top, looked)
        await self._marks.passed(survey_id, top, self._clock(), pages)
        log.info(
            "feed_passed",
            survey_id=survey_id,
            interactions=rows,
            pages=pages,
            seconds=round(self._clock() - began, 1),
        )
        return rows

    async def _every(self, survey_id: int, *, started: bool) -> AsyncIterator[Seen]:
        """Every not-completed interaction, started or not, page by page, oldest first."""
        region = await self._region()
        offset = 0
        previous: set[int] = set()
        while True:
            rows, sent = await self._page(
                survey_id, MAX_PAGE, offset, "ASC", started=started, completed=False
            )
            seen = Seen()
            for n, item in enumerate(rows, 1):
                if item.id not in previous:
                    note(seen, item, region, started=started)
                if n % YIELD_EVERY == 0:
                    await asyncio.sleep(0)
            previous = {item.id for item in rows}
            yield seen
            if self._last(sent, MAX_PAGE):
                return
            offset += _step(sent)

    async def run(self, surveys: Callable[[], Awaitable[Iterable[int]]], every: float) -> None:
        """Start due full passes of ``surveys`` every ``every`` seconds (the web
        process's loop; the dispatcher's poll does the same on its own). The
        first round comes ``every`` seconds after start: until then a lookup
        builds what it needs, and replicas starting together do not all ask."""
        while True:
            await asyncio.sleep(every)
            try:
                await self.keep(await surveys())
            except Exception as exc:  # SDX or Redis down: the next round tries again
                if cancel_requested():
                    raise asyncio.CancelledError from None  # shutdown, not a failure
                log.warning("feed_keep_failed", error=type(exc).__name__)

    async def _page(
        self, survey_id: int, limit: int, offset: int, order: Order, **filters: bool
    ) -> tuple[list[Interaction], int]:
        """One page of a listing, each row with its data (a gateway_status that
        gave up on it)."""
        return await self._sdx.interactions_page(
            survey_id, limit=limit, offset=offset, order=order, _include_data=True, **filters
        )

    def _last(self, sent: int, asked: int) -> bool:
        """Is a page of ``sent`` rows (``asked`` for) the listing's last? A
        server may cap ``_limit``: only a page shorter than one it did fill
        is proof (the largest page served is remembered across listings)."""
        self._largest = max(self._largest, sent)
        return sent == 0 or (sent < asked and sent < self._largest)

    # --- housekeeping -------------------------------------------------------------

    @staticmethod
    def _done(tasks: dict[int, Any], survey_id: int, task: asyncio.Task[Any]) -> None:
        if tasks.get(survey_id) is task:
            tasks.pop(survey_id)
        if not task.cancelled() and task.exception() is not None:
            # Retrieved here so a listing nobody waits for is not reported as
            # unhandled; its waiters got the error already.
            log.warning("feed_listing_failed", survey_id=survey_id)

    async def close(self) -> None:
        """Cancel listings still running (shutdown)."""
        tasks = [*self._looking.values(), *self._passing.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _step(sent: int) -> int:
    """How far the offset moves after a page of ``sent`` rows."""
    return sent - OVERLAP if sent > 2 * OVERLAP else sent
