"""Finding a respondent's pending interaction through the shared index."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.sdx import Fault, SandboxState
from gateway.sdx import SdxClient
from gateway.sdx.models import Interaction
from gateway.state.index import Candidate, IndexStore, MemoryIndexStore, RedisIndexStore
from gateway.survey.index import InteractionIndex, RegionSource, choose, group_by_number
from gateway.survey.routing import NumberRouter
from tests.helpers.clock import Clock

VOICE = ("inbound", "outbound")


@pytest.fixture(params=["redis", "memory"])
async def store(request: pytest.FixtureRequest, redis_url: str) -> AsyncIterator[IndexStore]:
    if request.param == "memory":
        yield MemoryIndexStore(ttl=60)
        return
    redis = Redis.from_url(redis_url)
    yield RedisIndexStore(redis, prefix="test:", ttl=60)
    await redis.aclose()


def au(sdx: SdxClient) -> RegionSource:
    """The default region of a gateway with GATEWAY_DEFAULT_REGION=AU."""
    return NumberRouter(sdx, None, refresh=60, region="AU").region_code


def listings(sandbox: SandboxState) -> int:
    """Listings started (first pages): a listing's further pages, including
    the empty one that proves its end, belong to it."""
    return sum(
        1
        for r in sandbox.requests
        if r.method == "GET" and r.path == "/interactions" and r.query.get("_offset", "0") == "0"
    )


def test_group_by_number_normalises_and_keeps_phone_channels() -> None:
    items = [
        Interaction(id=1, survey_id=5, survey_type="inbound", phone_number="+61 409 999 999"),
        Interaction(id=2, survey_id=5, survey_type="web", phone_number="+61409999999"),
        Interaction(id=3, survey_id=5, survey_type="sms", phone_number="+61409999999"),
        Interaction(id=4, survey_id=5, survey_type="outbound", phone_number=""),
        Interaction(id=5, survey_id=5, survey_type="outbound", phone_number="garbage"),
    ]
    grouped = group_by_number(5, items, "AU")
    assert list(grouped) == ["+61409999999"]
    assert [c.id for c in grouped["+61409999999"]] == [1, 3]


def test_choose_prefers_type_then_earliest_and_never_the_future() -> None:
    now = 1000.0
    cands = [
        Candidate(1, 5, "outbound", 100.0),
        Candidate(2, 5, "inbound", 500.0),
        Candidate(3, 5, "inbound", 200.0),
        Candidate(4, 5, "inbound", 2000.0),  # not yet due
        Candidate(5, 5, "sms", 0.0),
    ]
    assert choose(cands, VOICE, now) == cands[2]
    assert choose(cands, ("outbound",), now) == cands[0]
    assert choose([cands[3]], VOICE, now) is None
    assert choose(cands, ("sms",), now) == cands[4]


async def test_index_serves_repeat_lookups(
    store: IndexStore, sdx: SdxClient, sandbox: SandboxState
) -> None:
    index = InteractionIndex(sdx, store, region=au(sdx), min_age=5)
    found = await index.find([52], DEMO_RESPONDENT, VOICE)
    assert found is not None
    assert (found.id, found.survey_type) == (1001, "inbound")
    assert listings(sandbox) == 1
    for _ in range(5):
        assert await index.find([52], "+61 409 999 999", VOICE) == found
    assert listings(sandbox) == 1


async def test_a_miss_relists_only_after_min_age(
    store: IndexStore, sdx: SdxClient, sandbox: SandboxState
) -> None:
    clock = Clock(2_000_000_000.0)
    index = InteractionIndex(sdx, store, region=au(sdx), min_age=5, clock=clock)
    assert await index.find([52], "+61400000555", VOICE) is None
    assert listings(sandbox) == 1
    made = await sdx.create_interaction(52, survey_type="inbound", phone_number="+61400000555")
    assert await index.find([52], "+61400000555", VOICE) is None  # listed moments ago
    assert listings(sandbox) == 1
    clock.now += 6
    found = await index.find([52], "+61400000555", VOICE)
    assert found is not None
    assert found.id == made.id
    assert listings(sandbox) == 2


async def test_surveys_are_searched_in_order(
    store: IndexStore, sdx: SdxClient, sandbox: SandboxState
) -> None:
    index = InteractionIndex(sdx, store, region=au(sdx), min_age=5)
    found = await index.find([53, 52], DEMO_RESPONDENT, VOICE)
    assert found is not None
    assert (found.id, found.survey_id, found.survey_type) == (1002, 53, "outbound")


async def test_forget_drops_the_number(
    store: IndexStore, sdx: SdxClient, sandbox: SandboxState
) -> None:
    clock = Clock(2_000_000_000.0)
    index = InteractionIndex(sdx, store, region=au(sdx), min_age=5, clock=clock)
    assert await index.find([52], DEMO_RESPONDENT, VOICE) is not None
    await sdx.abandon_survey(1001)
    await index.forget(52, DEMO_RESPONDENT)
    clock.now += 6
    assert await index.find([52], DEMO_RESPONDENT, VOICE) is None
    assert listings(sandbox) == 2


async def test_index_expires(redis_url: str, sdx: SdxClient, sandbox: SandboxState) -> None:
    redis = Redis.from_url(redis_url)
    index = InteractionIndex(
        sdx, RedisIndexStore(redis, prefix="t:", ttl=60), region=au(sdx), min_age=5
    )
    await index.find([52], DEMO_RESPONDENT, VOICE)
    assert 0 < await redis.ttl("t:idx:52") <= 60
    await redis.delete("t:idx:52")  # as if it expired
    await index.find([52], DEMO_RESPONDENT, VOICE)
    assert listings(sandbox) == 2
    await redis.aclose()


async def test_concurrent_misses_share_one_listing(
    store: IndexStore, sdx: SdxClient, sandbox: SandboxState
) -> None:
    index = InteractionIndex(sdx, store, region=au(sdx), min_age=5)
    results = await asyncio.gather(
        *(index.find([52], f"+6140000{n:04d}", VOICE) for n in range(10))
    )
    assert results == [None] * 10
    assert listings(sandbox) == 1


async def test_a_listing_outlives_a_caller_that_gave_up(
    store: IndexStore, sdx: SdxClient, sandbox: SandboxState
) -> None:
    """A webhook cut off by its deadline does not cancel the listing the next caller needs."""
    sandbox.faults.add(Fault(method="GET", path="/interactions", delay=0.3, times=1))
    index = InteractionIndex(sdx, store, region=au(sdx), min_age=5)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.1):
            await index.find([52], DEMO_RESPONDENT, VOICE)
    found = await index.find([52], DEMO_RESPONDENT, VOICE)
    assert found is not None
    assert found.id == 1001
    assert listings(sandbox) == 1
    await index.close()


async def test_a_big_survey_is_written_in_chunks_and_swapped_whole(redis_url: str) -> None:
    """2,500 numbers (three chunks), twice at once as two replicas would: every
    entry reads back, readers see the old index until the swap, no scratch key
    is left behind."""
    redis = Redis.from_url(redis_url)
    store = RedisIndexStore(redis, prefix="test:", ttl=60)
    try:
        old = {"+61400000000": [Candidate(1, 7, "inbound", None)]}
        await store.replace(7, old, built_at=100.0)
        entries = {
            f"+6141{n:07d}": [
                Candidate(n, 7, "outbound", 1_800_000_000.5 + n),
                Candidate(n + 10_000, 7, "sms", None),
            ]
            for n in range(2500)
        }
        writes = asyncio.gather(*(store.replace(7, entries, built_at=200.0) for _ in range(2)))
        seen: set[tuple[str, float | None, int]] = set()
        while not writes.done():  # a reader meanwhile sees one whole index or the other
            for label, phone in (("old", "+61400000000"), ("new", "+61410002499")):
                (read,) = await store.read([7], phone)
                seen.add((label, read.built_at, len(read.candidates)))
        await writes
        assert ("new", 200.0, 0) not in seen  # never the new build half-written
        assert seen <= {("old", 100.0, 1), ("new", 100.0, 0), ("old", 200.0, 0), ("new", 200.0, 2)}
        for n in (0, 999, 1000, 2499):
            (read,) = await store.read([7], f"+6141{n:07d}")
            assert read.built_at == 200.0
            assert read.candidates == entries[f"+6141{n:07d}"]
        (gone,) = await store.read([7], "+61400000000")
        assert gone.candidates == []
        assert await redis.hlen("test:idx:7") == 2501  # the numbers and the build time
        assert [k async for k in redis.scan_iter("test:idx:7:*")] == []
    finally:
        await redis.aclose()
