"""The listing that keeps the index and the agenda: its cost follows new work, not the backlog."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from gateway.sandbox.sdx import SandboxState
from gateway.sdx import SdxClient
from gateway.survey.feed import OVERLAP, spread
from tests.helpers.clock import Clock
from tests.helpers.feed import fed, listed

SURVEY = 53  # outbound, with a caller-facing number too


WEEK_AHEAD = datetime.now(UTC) + timedelta(days=7)


def backlog(sandbox: SandboxState, count: int, first: int = 0, kind: str = "outbound") -> None:
    for n in range(first, first + count):
        sandbox.store.create_interaction(
            SURVEY, survey_type=kind, phone_number=f"+6141{n:07d}", scheduled_at=WEEK_AHEAD
        )


async def found(parts: object, phone: str) -> list[int]:
    (read,) = await parts.store.read([SURVEY], phone)  # type: ignore[attr-defined]
    return [c.id for c in read.candidates]


@pytest.mark.parametrize("size", [10, 2500])
async def test_an_idle_look_costs_one_request_whatever_the_backlog(
    size: int, redis: Redis | None, sdx: SdxClient, sandbox: SandboxState
) -> None:
    backlog(sandbox, size)
    parts = fed(sdx, redis)
    await parts.feed.look(SURVEY)  # the first: a full pass
    assert await parts.agenda.size() == size + 2  # and the two seeded outbound ones
    for _ in range(3):
        before = listed(sandbox)
        assert await parts.feed.look(SURVEY) == 0
        assert listed(sandbox) == before + 1


async def test_a_look_pages_down_to_what_it_saw_before(
    redis: Redis | None, sdx: SdxClient, sandbox: SandboxState
) -> None:
    backlog(sandbox, 300)
    parts = fed(sdx, redis)
    await parts.feed.look(SURVEY)
    backlog(sandbox, 1200, first=1000)  # a campaign loaded: more than a page
    backlog(sandbox, 3, first=5000, kind="inbound")
    before = listed(sandbox)
    assert await parts.feed.look(SURVEY) == 1203
    assert listed(sandbox) - before == 3  # 100, then 1000 (50 again), then to the watermark
    assert await parts.agenda.size() == 1502  # inbound ones are never dialled
    assert await found(parts, "+61410001199") != []
    assert await found(parts, "+61410005002") != []  # but they are in the index


async def test_a_capped_server_is_paged_to_the_end(
    sdx: SdxClient, sandbox: SandboxState, sdx_flavour: str
) -> None:
    """The php flavour serves 100 rows a page whatever was asked."""
    backlog(sandbox, 1050)
    parts = fed(sdx)
    await parts.feed.look(SURVEY)
    assert await parts.agenda.size() == 1052
    for n in (0, 99, 100, 1049):
        assert await found(parts, f"+6141{n:07d}") != [], n


async def test_a_full_pass_catches_what_looks_cannot(
    redis: Redis | None, sdx: SdxClient, sandbox: SandboxState
) -> None:
    """Completed, started and rescheduled in SDX, out of the gateway's sight."""
    backlog(sandbox, 5)
    clock = Clock(time.time())
    parts = fed(sdx, redis, clock=clock, reconcile=3600)
    await parts.feed.look(SURVEY)
    ids = {n: (await found(parts, f"+6141{n:07d}"))[0] for n in range(5)}
    await sdx.abandon_survey(ids[0])  # completed elsewhere
    await sdx.start_survey(ids[1])  # started by the respondent on the web
    item = await sdx.get_interaction(ids[2])
    await sdx.update_interaction(item, scheduled_at=datetime(2020, 1, 1, tzinfo=UTC))  # due now
    assert [p.id for p in await parts.agenda.take(clock.now, 100, clock.now + 1e6)] == [1002, 1005]
    assert not parts.feed.pass_due(SURVEY, (await parts.marks.read(SURVEY)).passed, clock.now)
    clock.now += 3600 * (1 + spread(SURVEY))
    await parts.feed.full_pass(SURVEY, paced=False)
    assert await found(parts, "+61410000000") == []
    assert await found(parts, "+61410000001") == [ids[1]]  # still resumable by a call
    due = await parts.agenda.take(clock.now, 100, clock.now + 60)
    assert [p.id for p in due] == [ids[2]]
    # Started: off the agenda. Completed: the pass lists only the not
    # completed, so it stays until due, when the dialler's read drops it.
    later = {p.id for p in await parts.agenda.take(clock.now + 1e7, 100, clock.now + 2e7)}
    assert later == {1002, 1005, ids[0], ids[2], ids[3], ids[4]}


async def test_one_replica_at_a_time_makes_a_pass(
    redis_url: str, sdx: SdxClient, sandbox: SandboxState
) -> None:
    backlog(sandbox, 50)
    first, second = Redis.from_url(redis_url), Redis.from_url(redis_url)
    try:
        replicas = [fed(sdx, first), fed(sdx, second)]
        await replicas[0].marks.lease(SURVEY, "someone", 60)  # a third is at it
        assert await replicas[1].feed.full_pass(SURVEY, paced=False) is None
        await replicas[0].marks.release(SURVEY, "someone")
        for parts in replicas:
            await parts.feed.keep([SURVEY])
        for parts in replicas:
            for task in list(parts.feed._passing.values()):
                await task
        passes = [
            r
            for r in sandbox.requests
            if r.path == "/interactions"
            and r.query.get("_order") == "ASC"
            and r.query.get("_offset") == "0"
        ]
        assert len(passes) == 2  # one pass: its not-started and its started listing
    finally:
        await first.aclose()
        await second.aclose()


async def test_a_reconcile_pass_is_spread_over_half_the_interval(
    sdx: SdxClient, sandbox: SandboxState
) -> None:
    backlog(sandbox, 2 * 1000)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    parts = fed(sdx, reconcile=3600)
    parts.feed._sleep = sleep
    await parts.feed.full_pass(SURVEY, paced=True, pages_before=4)
    pages = len(waits)
    assert pages == (await parts.marks.read(SURVEY)).pages
    assert waits == [3600 / 2 / 4] * pages  # the last pass's pages share half the interval
    assert await parts.agenda.size() == 2002


def test_pages_overlap() -> None:
    assert 0 < OVERLAP < 1000 / 2


async def test_one_given_up_on_is_off_the_agenda_but_a_call_back_finds_it(
    redis: Redis | None, sdx: SdxClient, sandbox: SandboxState
) -> None:
    await sdx.set_interaction_data(1005, "gateway_status", "unreachable")
    parts = fed(sdx, redis)
    await parts.feed.look(SURVEY)
    assert {p.id for p in await parts.agenda.take(1e10, 100, 2e10)} == {1002}
    assert await found(parts, "+61400000002") == [1005]


async def test_a_pass_that_lost_its_lease_stops_and_swaps_nothing_in(
    redis_url: str, sdx: SdxClient, sandbox: SandboxState
) -> None:
    backlog(sandbox, 1500)
    redis = Redis.from_url(redis_url)
    try:
        parts = fed(sdx, redis, prefix="t:")

        async def stall(seconds: float) -> None:
            # Stalled past the lease's expiry: another replica took it.
            await redis.set(f"t:feed:{SURVEY}:pass", "another", px=60_000)

        parts.feed._sleep = stall
        before = listed(sandbox)
        # Its first page, a wait, its second page: then it finds the lease gone.
        assert await parts.feed.full_pass(SURVEY, paced=True, pages_before=2) == 1502
        assert listed(sandbox) == before + 2  # not the started ones, nor the rest
        assert not await redis.exists(f"t:idx:{SURVEY}")  # nothing swapped in
        assert (await parts.marks.read(SURVEY)).passed is None
    finally:
        await redis.aclose()


async def test_a_started_one_moved_to_be_reached_again_stays_on_the_agenda(
    redis: Redis | None, sdx: SdxClient, sandbox: SandboxState
) -> None:
    """A call that found a machine after the greeting began (or a first text
    that never arrived) moves a started interaction with ``gateway_redial``:
    a full pass keeps it planned at that time, and only at that time."""
    backlog(sandbox, 2)
    clock = Clock(time.time())
    parts = fed(sdx, redis, clock=clock, reconcile=3600)
    await parts.feed.look(SURVEY)
    moved, other = [(await found(parts, f"+6141{n:07d}"))[0] for n in range(2)]
    at = int(clock.now) + 600
    for interaction_id, marker in ((moved, at), (other, at + 1)):  # the other's is stale
        await sdx.start_survey(interaction_id)
        await sdx.set_interaction_data(interaction_id, "gateway_redial", str(marker))
        item = await sdx.get_interaction(interaction_id)
        await sdx.update_interaction(item, scheduled_at=datetime.fromtimestamp(at, UTC))
    clock.now += 3600 * (1 + spread(SURVEY))
    await parts.feed.full_pass(SURVEY, paced=False)
    due = await parts.agenda.take(clock.now + 1e7, 100, clock.now + 2e7)
    assert moved in {p.id for p in due}
    assert other not in {p.id for p in due}
    assert {p.scheduled_at for p in due if p.id == moved} == {float(at)}
