"""Finding a respondent's pending interaction through the shared index."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.sdx import Fault, SandboxState
from gateway.sdx import SdxClient
from gateway.state.index import Candidate, MemoryIndexStore, RedisIndexStore
from gateway.survey.index import choose
from tests.helpers.clock import Clock
from tests.helpers.feed import fed, listed

VOICE = ("inbound", "outbound")


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


@pytest.mark.parametrize(
    "candidate",
    [
        Candidate(1001, 52, "inbound", None, "es-MX"),
        Candidate(1001, 52, "inbound", 1736154000.5, ""),
        Candidate(7, 52, "sms", 0.0, "zh-Hans-CN"),
    ],
)
def test_a_candidate_keeps_its_language_through_the_index(candidate: Candidate) -> None:
    assert Candidate.decode(52, candidate.encode()) == candidate


def test_an_entry_written_before_languages_reads_as_no_language() -> None:
    assert Candidate.decode(52, "1001,inbound,") == Candidate(1001, 52, "inbound", None, "")


def test_an_entry_without_a_language_is_written_as_before_languages() -> None:
    """Replicas of the previous version split an entry into exactly three fields."""
    assert Candidate(1001, 52, "inbound", None).encode() == "1001,inbound,"
    assert Candidate(7, 52, "sms", 12.5, "es").encode() == "7,sms,12.5,es"


async def test_a_respondent_s_language_is_indexed_from_the_listing(
    redis: Redis | None, sdx: SdxClient, sandbox: SandboxState
) -> None:
    sandbox.store.interaction(1001).respondent_language = "es_MX"
    index = fed(sdx, redis).index
    found = await index.find([52], DEMO_RESPONDENT, VOICE)
    assert found is not None
    assert (found.id, found.language) == (1001, "es_MX")


async def test_index_serves_repeat_lookups(
    redis: Redis | None, sdx: SdxClient, sandbox: SandboxState
) -> None:
    index = fed(sdx, redis).index
    found = await index.find([52], DEMO_RESPONDENT, VOICE)
    assert found is not None
    assert (found.id, found.survey_type) == (1001, "inbound")
    built = listed(sandbox)
    assert built > 0  # the survey's first lookup lists it in full
    for _ in range(5):
        assert await index.find([52], "+61 409 999 999", VOICE) == found
    assert listed(sandbox) == built


async def test_a_miss_looks_for_new_interactions_once_per_number_per_min_age(
    redis: Redis | None, sdx: SdxClient, sandbox: SandboxState
) -> None:
    clock = Clock(2_000_000_000.0)
    index = fed(sdx, redis, clock=clock).index
    assert await index.find([52], "+61400000444", VOICE) is None  # the first: a full pass
    built = listed(sandbox)
    made = await sdx.create_interaction(52, survey_type="inbound", phone_number="+61400000555")
    found = await index.find([52], "+61400000555", VOICE)  # a miss: one page
    assert found is not None
    assert found.id == made.id
    assert listed(sandbox) == built + 1
    for _ in range(3):  # a stranger ringing again and again
        assert await index.find([52], "+61400000666", VOICE) is None
    assert listed(sandbox) == built + 2
    clock.now += 6
    assert await index.find([52], "+61400000666", VOICE) is None
    assert listed(sandbox) == built + 3


async def test_one_created_for_a_caller_is_found_on_their_first_call(
    redis: Redis | None, sdx: SdxClient, sandbox: SandboxState
) -> None:
    """The dispatcher's looks (every poll) do not hold a caller's look back."""
    parts = fed(sdx, redis)
    await parts.feed.look(52)  # the survey's first pass
    made = await sdx.create_interaction(52, survey_type="inbound", phone_number="+61400000555")
    await parts.feed.look(52)  # a poll's look, moments before the call: finds it
    other = await sdx.create_interaction(52, survey_type="inbound", phone_number="+61400000666")
    for interaction, phone in ((made, "+61400000555"), (other, "+61400000666")):
        found = await parts.index.find([52], phone, VOICE)
        assert found is not None
        assert found.id == interaction.id


async def test_surveys_are_searched_in_order(
    redis: Redis | None, sdx: SdxClient, sandbox: SandboxState
) -> None:
    index = fed(sdx, redis).index
    found = await index.find([53, 52], DEMO_RESPONDENT, VOICE)
    assert found is not None
    assert (found.id, found.survey_id, found.survey_type) == (1002, 53, "outbound")


async def test_forget_drops_the_number(
    redis: Redis | None, sdx: SdxClient, sandbox: SandboxState
) -> None:
    clock = Clock(2_000_000_000.0)
    index = fed(sdx, redis, clock=clock).index
    assert await index.find([52], DEMO_RESPONDENT, VOICE) is not None
    built = listed(sandbox)
    await sdx.abandon_survey(1001)
    await index.forget(52, DEMO_RESPONDENT)
    clock.now += 6
    assert await index.find([52], DEMO_RESPONDENT, VOICE) is None
    assert listed(sandbox) == built + 1


async def test_a_lost_index_is_listed_again(
    redis_url: str, sdx: SdxClient, sandbox: SandboxState
) -> None:
    redis = Redis.from_url(redis_url)
    index = fed(sdx, redis, prefix="t:").index
    await index.find([52], DEMO_RESPONDENT, VOICE)
    assert 0 < await redis.ttl("t:idx:52") <= 86400  # an unrouted survey's index goes
    built = listed(sandbox)
    await redis.delete("t:idx:52")  # as if Redis lost it
    assert await index.find([52], DEMO_RESPONDENT, VOICE) is not None
    assert listed(sandbox) == 2 * built
    await redis.aclose()


async def test_each_unknown_caller_costs_one_page(
    redis: Redis | None, sdx: SdxClient, sandbox: SandboxState
) -> None:
    index = fed(sdx, redis).index
    await index.find([52], DEMO_RESPONDENT, VOICE)
    built = listed(sandbox)
    results = await asyncio.gather(
        *(index.find([52], f"+6140000{n:04d}", VOICE) for n in range(10))
    )
    assert results == [None] * 10
    assert listed(sandbox) == built + 10  # cost follows the callers, not the backlog


async def test_a_listing_outlives_a_caller_that_gave_up(
    redis: Redis | None, sdx: SdxClient, sandbox: SandboxState
) -> None:
    """A webhook cut off by its deadline does not cancel the listing the next caller needs."""
    sandbox.faults.add(Fault(method="GET", path="/interactions", delay=0.3, times=1))
    parts = fed(sdx, redis)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.1):
            await parts.index.find([52], DEMO_RESPONDENT, VOICE)
    found = await parts.index.find([52], DEMO_RESPONDENT, VOICE)
    assert found is not None
    assert found.id == 1001
    first_pages = [
        r for r in sandbox.requests if r.path == "/interactions" and r.query.get("_offset") == "0"
    ]
    passes = [r for r in first_pages if r.query.get("_order") == "ASC"]
    assert len(passes) == 2  # one pass: the not-started, then the started
    await parts.feed.close()


async def test_a_big_survey_is_built_in_chunks_and_swapped_whole(redis_url: str) -> None:
    """2,500 numbers (three chunks), built twice at once as two replicas would:
    every entry reads back, readers see the old index until the swap, no
    build key is left behind."""
    redis = Redis.from_url(redis_url)
    store = RedisIndexStore(redis, prefix="test:", keep=60)
    try:
        old = await store.begin(7)
        await store.merge(7, [("+61400000000", Candidate(1, 7, "inbound", None))], build=old)
        await store.finish(7, old, built_at=100.0)
        adds = [
            (f"+6141{n:07d}", c)
            for n in range(2500)
            for c in (
                Candidate(n, 7, "outbound", 1_800_000_000.5 + n),
                Candidate(n + 10_000, 7, "sms", None),
            )
        ]

        async def build() -> None:
            name = await store.begin(7)
            await store.merge(7, adds, build=name)
            await store.finish(7, name, built_at=200.0)

        writes = asyncio.gather(build(), build())
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
            assert [c.id for c in read.candidates] == [n, n + 10_000]
        (gone,) = await store.read([7], "+61400000000")
        assert gone.candidates == []
        assert await redis.hlen("test:idx:7") == 2501  # the numbers and the build time
        assert [k async for k in redis.scan_iter("test:idx:7:*")] == []
    finally:
        await redis.aclose()


@pytest.mark.parametrize("kind", ["redis", "memory"])
async def test_merge_replaces_by_id_and_drops_ended(kind: str, redis_url: str) -> None:
    redis = Redis.from_url(redis_url) if kind == "redis" else None
    store = RedisIndexStore(redis, prefix="test:", keep=60) if redis else MemoryIndexStore(keep=60)
    phone = "+61400000001"
    await store.merge(7, [(phone, Candidate(1, 7, "inbound", None))])
    await store.merge(7, [(phone, Candidate(12, 7, "outbound", 5.0))])
    await store.merge(7, [(phone, Candidate(1, 7, "inbound", 9.0))])  # rescheduled
    (read,) = await store.read([7], phone)
    assert sorted((c.id, c.scheduled_at) for c in read.candidates) == [(1, 9.0), (12, 5.0)]
    await store.merge(7, [], [(phone, 12), ("+61400000002", 3)])
    (read,) = await store.read([7], phone)
    assert [c.id for c in read.candidates] == [1]
    await store.merge(7, [], [(phone, 1)])
    (read,) = await store.read([7], phone)
    assert read.candidates == []
    if redis is not None:
        assert not await redis.hexists("test:idx:7", phone)
        await redis.aclose()
