"""Batch: writes applied by one script call on a real redis-server, each as its command would."""

from __future__ import annotations

from redis.asyncio import Redis

from gateway.state.batch import Batch, BatchRunner
from tests.helpers.servers import RoundTrips


async def test_each_write_does_what_its_command_does_in_one_round_trip(
    redis: Redis, redis_round_trips: RoundTrips
) -> None:
    await redis.rpush("q", "a", "t", "b", "t")
    await redis.hset("h", mapping={"+61400000000": "x", "+61400000001": "y", "+61400000002": "z"})
    await redis.set("gone", "1")
    await redis.zadd("z", {"old": 1.0, "older": 0.5})
    runner = BatchRunner(redis)
    warm = Batch()
    warm.delete("nothing")
    await runner.run(warm)  # the first call also loads the script
    batch = Batch()
    batch.set("plain", "v")
    batch.set("conv", '{"a": "ü"}', ex=300)
    batch.zadd("z", "k", 1733333333.123456)
    batch.zrem("z", "old", "older")
    batch.expire("z", 600)
    batch.hdel("h", "+61400000000", "+61400000002")
    batch.lrem("q", 1, "t")
    batch.delete("gone")
    before = redis_round_trips.count
    await runner.run(batch)
    assert redis_round_trips.count - before == 1

    assert await redis.get("plain") == b"v"
    assert await redis.ttl("plain") == -1
    assert (await redis.get("conv")).decode() == '{"a": "ü"}'
    assert 295 <= await redis.ttl("conv") <= 300
    assert await redis.zrange("z", 0, -1, withscores=True) == [(b"k", 1733333333.123456)]
    assert 595 <= await redis.ttl("z") <= 600
    assert await redis.hgetall("h") == {b"+61400000001": b"y"}
    assert await redis.lrange("q", 0, -1) == [b"a", b"b", b"t"]
    assert not await redis.exists("gone")


async def test_an_empty_batch_sends_nothing(redis: Redis, redis_round_trips: RoundTrips) -> None:
    runner = BatchRunner(redis)
    before = redis_round_trips.count
    await runner.run(Batch())
    assert redis_round_trips.count == before
