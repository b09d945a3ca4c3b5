"""Consumers of the group are deleted once they are idle and hold nothing: never before."""

from __future__ import annotations

import asyncio
import time

from redis.asyncio import Redis

from gateway.dispatch.store import GROUP, RedisDispatchStore
from gateway.dispatch.store_memory import MemoryDispatchStore
from tests.dispatch.conftest import World
from tests.helpers.jobs import PREFIX, STREAM, consumers, job


async def appear(redis: Redis, consumer: str, prefix: str = PREFIX) -> None:
    """A consumer, idle from now, holding nothing (as after a read and its ack).

    Made with XGROUP CREATECONSUMER: on Redis 7.0 a read that finds nothing
    neither makes a consumer nor resets its idle time.
    """
    await RedisDispatchStore(redis, prefix=prefix).enqueue([], ttl=60)  # stream and group
    assert await redis.xgroup_createconsumer(f"{prefix}dispatch:stream", GROUP, consumer)


async def test_idle_consumers_holding_nothing_are_deleted(redis: Redis) -> None:
    store = RedisDispatchStore(redis, prefix=PREFIX)
    await store.enqueue([job(1)], ttl=60)
    ((entry_id, _),) = await store.read("busy", count=1, block=0.05, idle=60)
    await appear(redis, "idle")
    await asyncio.sleep(0.25)
    await appear(redis, "live")
    assert await store.prune_consumers(idle=0.2) == ["idle"]
    assert await consumers(redis) == {"busy": 1, "live": 0}
    await store.ack(entry_id)  # now it holds nothing
    assert await store.prune_consumers(idle=0.2) == ["busy"]
    assert await consumers(redis) == {"live": 0}


async def test_a_dead_consumers_entries_are_taken_over_before_it_goes(redis: Redis) -> None:
    store = RedisDispatchStore(redis, prefix=PREFIX)
    await store.enqueue([job(1)], ttl=60)
    await store.read("dead", count=1, block=0.05, idle=0.1)
    await asyncio.sleep(0.15)
    # Deleting it now would drop its entry from the group: it stays.
    assert await store.prune_consumers(idle=0.1) == []
    survivor = RedisDispatchStore(redis, prefix=PREFIX)
    ((_, taken),) = await survivor.read("alive", count=1, block=0.05, idle=0.1)
    assert taken == job(1)
    assert await store.prune_consumers(idle=0.1) == ["dead"]
    assert await consumers(redis) == {"alive": 1}


async def test_pruning_only_the_named_consumers(redis: Redis) -> None:
    store = RedisDispatchStore(redis, prefix=PREFIX)
    for consumer in ("mine-0", "mine-1", "theirs-0"):
        await appear(redis, consumer)
    assert await store.prune_consumers(idle=0, names=[]) == []
    assert sorted(await store.prune_consumers(idle=0, names=["mine-0", "mine-1", "mine-2"])) == [
        "mine-0",
        "mine-1",
    ]
    assert await consumers(redis) == {"theirs-0": 0}


async def test_pruning_with_no_stream_or_no_group(redis: Redis) -> None:
    store = RedisDispatchStore(redis, prefix=PREFIX)
    assert await store.prune_consumers(idle=0) == []
    await redis.xadd(STREAM, {"a": "1"})  # a stream, no group yet
    assert await store.prune_consumers(idle=0) == []
    assert await MemoryDispatchStore().prune_consumers(idle=0) == []  # no group in memory


async def test_a_dispatcher_deletes_its_consumers_when_it_stops(world: World, redis: Redis) -> None:
    world.twilio.default_outcome = "busy"
    prefix = world.settings.gateway_redis_prefix
    await appear(redis, "other-0", prefix)  # another replica's, alive
    await appear(redis, "r1-1", prefix)  # as if it had read and finished a job
    # r1-0 read an entry and never finished it: it keeps the consumer.
    await RedisDispatchStore(redis, prefix=prefix).enqueue([job(9)], ttl=60)
    await redis.xreadgroup(GROUP, "r1-0", {f"{prefix}dispatch:stream": ">"}, count=1)
    dispatcher = world.make_dispatcher(name="r1", concurrency=2)
    stop = asyncio.Event()
    running = asyncio.create_task(dispatcher.run(stop))
    deadline = time.monotonic() + 10
    while len(world.twilio.calls) < 2:
        assert time.monotonic() < deadline, "the dispatcher did not get going"
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(running, 15)
    assert await consumers(redis, prefix) == {"other-0": 0, "r1-0": 1}


async def test_the_lease_holder_deletes_dead_consumers_now_and_then(
    world: World, redis: Redis
) -> None:
    prefix = world.settings.gateway_redis_prefix
    await appear(redis, "ghost-0", prefix)  # a replica that died
    leader = world.make_dispatcher(name="leader", forget_after=0.1, prune_interval=1.0)
    follower = world.make_dispatcher(name="follower", forget_after=0.1, prune_interval=1.0)
    await asyncio.sleep(0.15)
    await leader.poll_once()  # its first poll looks
    assert "ghost-0" not in await consumers(redis, prefix)
    await appear(redis, "ghost-1", prefix)
    await asyncio.sleep(0.15)
    assert await follower.poll_once() == 0  # not the lease holder: does nothing
    await leader.poll_once()  # too soon to look again
    assert "ghost-1" in await consumers(redis, prefix)
    await asyncio.sleep(1.0)
    await leader.poll_once()
    assert "ghost-1" not in await consumers(redis, prefix)
