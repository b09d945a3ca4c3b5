"""Entries that are not jobs are set aside in the dead-letter stream; the rest are read."""

from __future__ import annotations

import asyncio

from prometheus_client import REGISTRY
from redis.asyncio import Redis
from structlog.testing import capture_logs

from gateway.dispatch.store import GROUP, RedisDispatchStore
from tests.helpers.jobs import DEAD, PREFIX, RETRY, STREAM, consumers, job


def dead_letters(source: str) -> float:
    value = REGISTRY.get_sample_value("gateway_dispatch_dead_letters_total", {"source": source})
    return value or 0.0


def fields_of(n: int, **changes: str | bytes | None) -> dict[str | bytes, str | bytes]:
    """A job's stream fields, with some changed (None: left out)."""
    fields: dict[str | bytes, str | bytes] = dict(job(n).to_fields())
    for name, value in changes.items():
        if value is None:
            del fields[name]
        else:
            fields[name] = value
    return fields


async def test_entries_that_are_not_jobs_are_dead_lettered(redis: Redis) -> None:
    store = RedisDispatchStore(redis, prefix=PREFIX)
    await store.enqueue([], ttl=60)  # makes the stream and the group
    bad = {
        "missing field survey_id": fields_of(2, survey_id=None),
        "interaction_id is not an integer": fields_of(3, interaction_id=job(3).to),
        "unknown channel": fields_of(4, channel="fax"),
        "not UTF-8": fields_of(5, attempt=b"\xff\xfe"),
    }
    good_ids, bad_ids = [await redis.xadd(STREAM, fields_of(1))], {}
    for reason, fields in bad.items():
        bad_ids[reason] = await redis.xadd(STREAM, fields)
    good_ids.append(await redis.xadd(STREAM, fields_of(6)))
    counted = dead_letters("stream")

    with capture_logs() as logs:
        read = await store.read("c1", count=10, block=0.05, idle=60)

    # The good entries of the batch are read; the bad ones never come back.
    assert read == [(good_ids[0].decode(), job(1)), (good_ids[1].decode(), job(6))]
    assert await store.read("c1", count=10, block=0.05, idle=60) == []
    assert await redis.xlen(STREAM) == 2  # only the good ones, until acknowledged
    assert await consumers(redis) == {"c1": 2}
    # Each bad one is in the dead-letter stream as it was, with its id and why.
    dead = [fields for _, fields in await redis.xrange(DEAD)]
    assert dead == [
        {
            **{_bytes(k): _bytes(v) for k, v in bad[reason].items()},
            b"dead_entry_id": bad_ids[reason],
            b"dead_reason": reason.encode(),
        }
        for reason in bad
    ]
    assert dead_letters("stream") - counted == 4
    warnings = [e for e in logs if e["event"] == "dispatch_poison_entry"]
    assert [(e["entry_id"], e["reason"]) for e in warnings] == [
        (entry_id.decode(), reason) for reason, entry_id in bad_ids.items()
    ]
    assert all(e["log_level"] == "warning" for e in warnings)
    assert "+6140000" not in repr(logs)  # no respondent's number, even the misplaced one


async def test_a_bad_entry_taken_over_from_a_dead_consumer_is_dead_lettered(
    redis: Redis,
) -> None:
    """XAUTOCLAIM hands back what a dead consumer left: the job is read, the junk set aside."""
    await redis.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    junk_id = await redis.xadd(STREAM, {"junk": "1"})
    good_id = await redis.xadd(STREAM, fields_of(1))
    await redis.xreadgroup(GROUP, "dead", {STREAM: ">"}, count=10)  # then it died
    await asyncio.sleep(0.25)
    store = RedisDispatchStore(redis, prefix=PREFIX)
    assert await store.read("alive", count=1, block=0.05, idle=0.2) == [(good_id.decode(), job(1))]
    assert await consumers(redis) == {"dead": 0, "alive": 1}
    ((_, dead),) = await redis.xrange(DEAD)
    assert dead[b"dead_entry_id"] == junk_id
    assert dead[b"junk"] == b"1"


async def test_a_malformed_retry_is_dead_lettered_and_the_others_requeued(redis: Redis) -> None:
    store = RedisDispatchStore(redis, prefix=PREFIX)
    await store.retry_later(job(1, attempt="retry-1"), at=10.0)
    await redis.zadd(RETRY, {"1002|53|sms": 5.0})  # not six values: no job can come of it
    counted = dead_letters("retry")
    assert await store.requeue_retries(now=100.0, limit=10, ttl=60) == 1
    assert await redis.zcard(RETRY) == 0  # neither stays behind to fail every poll
    assert [j for _, j in await store.read("c1", count=10, block=0.05, idle=60)] == [
        job(1, attempt="retry-1")
    ]
    ((_, dead),) = await redis.xrange(DEAD)
    assert dead == {b"dead_member": b"1002|53|sms", b"dead_reason": b"malformed retry"}
    assert dead_letters("retry") - counted == 1


def _bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value
