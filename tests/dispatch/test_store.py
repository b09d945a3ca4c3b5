"""Dispatcher state in Redis (and its in-memory twin): lease, stream, claims, pacing."""

from __future__ import annotations

import asyncio
import time

import pytest
from redis.asyncio import Redis

from gateway.dispatch.jobs import Job
from gateway.dispatch.store import DispatchStore, Pacer, RedisDispatchStore, pacing_interval
from gateway.dispatch.store_memory import MemoryDispatchStore
from tests.helpers.jobs import PREFIX, RETRY, STREAM, job
from tests.helpers.servers import RoundTrips


@pytest.fixture(params=["redis", "memory"])
async def store(request: pytest.FixtureRequest, redis: Redis) -> DispatchStore:
    if request.param == "memory":
        return MemoryDispatchStore()
    return RedisDispatchStore(redis, prefix=PREFIX)


async def jobs_read(store: DispatchStore) -> list[Job]:
    """Every job the stream offers now (acknowledged as read)."""
    found = []
    while entries := await store.read("c1", count=10, block=0.05, idle=60):
        for entry_id, read in entries:
            found.append(read)
            await store.ack(entry_id)
    return found


def test_pacing_interval_never_allows_more_than_the_rate_in_a_second() -> None:
    assert pacing_interval(1) == pytest.approx(1.05)
    assert pacing_interval(10) == pytest.approx(0.105)
    assert pacing_interval(2.5) == pytest.approx(0.525)  # 2 per second: never 3
    assert pacing_interval(0.5) == pytest.approx(2.1)


async def test_jobs_round_trip_the_stream(store: DispatchStore) -> None:
    assert await store.enqueue([job(1), job(2)], ttl=60) == 2
    first = await store.read("c1", count=1, block=0.1, idle=60)
    second = await store.read("c1", count=1, block=0.1, idle=60)
    assert [j for _, j in first + second] == [job(1), job(2)]
    for entry_id, _ in first + second:
        await store.ack(entry_id)
    assert await store.read("c1", count=1, block=0.05, idle=60) == []


async def test_an_attempt_is_queued_once(store: DispatchStore) -> None:
    assert await store.enqueue([job(1)], ttl=60) == 1
    assert await store.enqueue([job(1)], ttl=60) == 0
    assert await store.enqueue([job(1, attempt="200")], ttl=60) == 1  # rescheduled: new attempt


async def test_claims(store: DispatchStore) -> None:
    assert await store.claim(job(1), "a", ttl=30) == "won"
    assert await store.claim(job(1), "b", ttl=30) == "busy"
    await store.settle(job(1), "CA123", ttl=60)
    assert await store.claim(job(1), "b", ttl=30) == "done"
    await store.release(job(1))
    assert await store.claim(job(1), "b", ttl=30) == "won"


async def test_a_claim_is_renewed_only_by_its_holder(store: DispatchStore) -> None:
    assert await store.claim(job(1), "a", ttl=0.2) == "won"
    assert not await store.renew(job(1), "b", ttl=5)  # not b's claim
    assert await store.renew(job(1), "a", ttl=5)
    await asyncio.sleep(0.3)  # past the first TTL: still held, renewed
    assert await store.claim(job(1), "b", ttl=30) == "busy"
    assert await store.renew(job(1), "a", ttl=5)


async def test_a_settled_or_expired_claim_is_not_renewed(store: DispatchStore) -> None:
    assert await store.claim(job(1), "a", ttl=30) == "won"
    await store.settle(job(1), "CA123", ttl=60)
    assert not await store.renew(job(1), "a", ttl=5)
    assert await store.claim(job(1), "b", ttl=30) == "done"  # the renewal changed nothing
    assert await store.claim(job(2), "a", ttl=0.1) == "won"
    await asyncio.sleep(0.2)  # a's claim expired: another consumer may take it
    assert not await store.renew(job(2), "a", ttl=5)
    assert await store.claim(job(2), "b", ttl=30) == "won"
    assert not await store.renew(job(2), "a", ttl=5)  # b's now


async def test_retries_enter_the_stream_when_due(store: DispatchStore) -> None:
    retry = job(1, attempt="retry-1", channel="sms")
    await store.retry_later(retry, at=100.0)
    assert await store.requeue_retries(now=99.0, limit=10, ttl=60) == 0
    assert await jobs_read(store) == []
    assert await store.requeue_retries(now=101.0, limit=10, ttl=60) == 1
    assert await jobs_read(store) == [retry]
    assert await store.requeue_retries(now=102.0, limit=10, ttl=60) == 0  # taken once


async def test_retries_are_requeued_soonest_first_up_to_the_limit(store: DispatchStore) -> None:
    for n, at in [(1, 30.0), (2, 10.0), (3, 20.0)]:
        await store.retry_later(job(n, attempt="retry-1"), at=at)
    assert await store.requeue_retries(now=100.0, limit=2, ttl=60) == 2
    assert await jobs_read(store) == [job(2, attempt="retry-1"), job(3, attempt="retry-1")]
    assert await store.requeue_retries(now=100.0, limit=2, ttl=60) == 1
    assert await jobs_read(store) == [job(1, attempt="retry-1")]


async def test_a_retry_already_queued_is_dropped_not_queued_twice(store: DispatchStore) -> None:
    retry = job(1, attempt="retry-1")
    assert await store.enqueue([retry], ttl=60) == 1
    await store.retry_later(retry, at=10.0)
    assert await store.requeue_retries(now=100.0, limit=10, ttl=60) == 0
    assert await jobs_read(store) == [retry]  # once
    await store.release(retry)  # even with the queued mark gone, it was taken out
    assert await store.requeue_retries(now=100.0, limit=10, ttl=60) == 0


async def test_requeueing_retries_is_one_round_trip(
    redis: Redis, redis_round_trips: RoundTrips
) -> None:
    """Taken out of the retry set and queued in the same script: no crash can fall
    between the two and lose the message. The entry is the one ``enqueue`` writes."""
    store = RedisDispatchStore(redis, prefix=PREFIX)
    await store.requeue_retries(now=0, limit=10, ttl=60)  # the group and the script, once
    await store.retry_later(job(1, attempt="retry-1", channel="sms"), at=10.0)
    before = redis_round_trips.count
    assert await store.requeue_retries(now=100.0, limit=10, ttl=60) == 1
    assert redis_round_trips.count - before == 1
    assert await redis.zcard(RETRY) == 0
    assert 0 < await redis.ttl(f"{PREFIX}dispatch:queued:1001:retry-1") <= 60
    await store.enqueue([job(2, channel="sms")], ttl=60)
    (_, requeued), (_, enqueued) = await redis.xrange(STREAM)
    assert list(requeued) == list(enqueued)  # the same fields, in the same order
    assert requeued[b"attempt"] == b"retry-1"


async def test_only_one_replica_leads(redis: Redis) -> None:
    one, two = RedisDispatchStore(redis, prefix=PREFIX), RedisDispatchStore(redis, prefix=PREFIX)
    assert await one.lead("one", ttl=0.3)
    assert not await two.lead("two", ttl=0.3)
    assert await one.lead("one", ttl=0.3)  # renewed by its holder
    await asyncio.sleep(0.4)  # the holder died: the lease expires
    assert await two.lead("two", ttl=0.3)


async def test_a_dead_consumers_entries_are_taken_over(redis: Redis) -> None:
    store = RedisDispatchStore(redis, prefix=PREFIX)
    await store.enqueue([job(1)], ttl=60)
    read = await store.read("dead", count=1, block=0.1, idle=0.2)
    assert [j for _, j in read] == [job(1)]  # read, never acknowledged
    other = RedisDispatchStore(redis, prefix=PREFIX)
    assert await other.read("alive", count=1, block=0.05, idle=0.2) == []  # not idle yet
    await asyncio.sleep(0.25)
    other_again = RedisDispatchStore(redis, prefix=PREFIX)
    taken = await other_again.read("alive", count=1, block=0.05, idle=0.2)
    assert [j for _, j in taken] == [job(1)]


async def test_shared_pacing_across_replicas(redis: Redis) -> None:
    """Three replicas asking at once: never more than the limit in any 1 s window."""
    rate = 5.0
    granted: list[float] = []

    async def replica(n: int) -> None:
        pacer = Pacer(RedisDispatchStore(redis, prefix=PREFIX), rate)
        for _ in range(4):
            await pacer.wait()
            granted.append(time.monotonic())

    await asyncio.gather(*(replica(n) for n in range(3)))
    granted.sort()
    assert len(granted) == 12
    for i, start in enumerate(granted):
        in_window = [t for t in granted[i:] if t < start + 1.0]
        assert len(in_window) <= rate
