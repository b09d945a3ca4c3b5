"""RedisAttemptStore and MemoryAttemptStore pass the same tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from gateway.state.attempts import (
    MAX_COUNTED,
    MIN_KEEP,
    AttemptStore,
    Dial,
    MemoryAttemptStore,
    RedisAttemptStore,
    keep_for,
)
from tests.helpers.clock import Clock


@pytest.fixture(params=["redis", "memory"])
async def store(request: pytest.FixtureRequest, redis_url: str) -> AsyncIterator[AttemptStore]:
    if request.param == "memory":
        yield MemoryAttemptStore(ttl=60)
        return
    redis = Redis.from_url(redis_url)
    yield RedisAttemptStore(redis, prefix="test:", ttl=60)
    await redis.aclose()


async def test_a_dial_counts_once_however_often_it_is_recorded(store: AttemptStore) -> None:
    assert await store.dials([1002]) == {1002: []}
    first = Dial("1736154000", 1736154005)
    await store.record(1002, first)
    await store.record(1002, first)  # the same dial, tried again after a reconciliation
    assert await store.dials([1002]) == {1002: [first]}


async def test_each_dial_counts_and_interactions_are_apart(store: AttemptStore) -> None:
    dials = [
        Dial("1736154000", 1736154005),
        Dial("1736157600", 1736157601),  # the next attempt
        Dial("1736157600", 1736158300),  # the same attempt dialled again past its window
    ]
    for dial in reversed(dials):
        await store.record(1002, dial)
    await store.record(1005, dials[0])
    found = await store.dials([1002, 1005, 1003])
    assert found == {1002: dials, 1005: [dials[0]], 1003: []}  # oldest first


async def test_many_interactions_are_read_at_once(store: AttemptStore) -> None:
    ids = list(range(1, 1201))  # more than one round trip's worth
    for interaction_id in ids[::100]:
        await store.record(interaction_id, Dial("1", interaction_id))
    found = await store.dials(ids)
    assert sorted(found) == ids
    assert {i for i, dials in found.items() if dials} == set(ids[::100])


async def test_the_count_is_kept_and_its_time_renewed_by_a_dial(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    store = RedisAttemptStore(redis, prefix="test:", ttl=1000)
    key = "test:dispatch:attempts:1002"
    await store.record(1002, Dial("1", 1))
    await redis.expire(key, 5)  # most of its time gone
    await store.record(1002, Dial("2", 2))
    assert 990 <= await redis.ttl(key) <= 1000
    await store.record(1002, Dial("2", 2))
    await redis.hset(key, "written by something else", "1")  # never counted
    assert await store.dials([1002]) == {1002: [Dial("1", 1), Dial("2", 2)]}
    await redis.aclose()


async def test_in_memory_the_count_expires_too() -> None:
    store = MemoryAttemptStore(ttl=1)
    await store.record(1002, Dial("1", 1))
    await asyncio.sleep(1.1)
    assert await store.dials([1002]) == {1002: []}


def test_kept_at_least_90_days_and_longer_than_the_retries() -> None:
    assert keep_for(3, 3600) == MIN_KEEP == 90 * 86400
    assert keep_for(5, 30 * 86400) == 2 * 5 * 30 * 86400


async def test_the_memory_count_expires_with_the_redis_ttl_and_is_bounded() -> None:
    clock = Clock()
    store = MemoryAttemptStore(ttl=60, clock=clock)
    dial = Dial("1736154000", 1736154005)
    for interaction_id in range(MAX_COUNTED + 10):
        await store.record(interaction_id, dial)
    assert len(store._kept) == MAX_COUNTED
    assert await store.dials([0, MAX_COUNTED + 9]) == {0: [], MAX_COUNTED + 9: [dial]}
    clock.now += 60
    assert await store.dials([MAX_COUNTED + 9]) == {MAX_COUNTED + 9: []}
