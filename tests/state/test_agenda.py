"""The dispatcher's agenda: what is due is taken once, earliest first, and follows SDX."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from gateway.state.agenda import Agenda, MemoryAgenda, Plan, RedisAgenda


@pytest.fixture(params=["redis", "memory"])
async def agenda(request: pytest.FixtureRequest, redis_url: str) -> AsyncIterator[Agenda]:
    if request.param == "memory":
        yield MemoryAgenda()
        return
    redis = Redis.from_url(redis_url)
    yield RedisAgenda(redis, prefix="test:")
    await redis.aclose()


def plan(interaction_id: int, at: float, phone: str = "+61400000001") -> Plan:
    return Plan(interaction_id, 53, "outbound", at, phone)


async def test_due_entries_are_taken_earliest_first_and_once(agenda: Agenda) -> None:
    assert await agenda.plan([plan(3, 300.0), plan(1, 100.0), plan(2, 200.0), plan(4, 900.0)]) == 4
    assert await agenda.take(now=250.0, limit=10, later=1000.0) == [plan(1, 100.0), plan(2, 200.0)]
    assert await agenda.take(now=500.0, limit=1, later=1000.0) == [plan(3, 300.0)]
    assert await agenda.take(now=500.0, limit=10, later=1000.0) == []  # taken: moved on
    # Past ``later`` the taken ones come back, with the one due at 900.
    back = await agenda.take(now=1000.0, limit=10, later=2000.0)
    assert sorted(p.id for p in back) == [1, 2, 3, 4]
    assert await agenda.size() == 4


async def test_an_unchanged_plan_keeps_its_place_and_a_changed_one_moves(agenda: Agenda) -> None:
    await agenda.plan([plan(1, 100.0), plan(2, 100.0)])
    await agenda.take(now=100.0, limit=10, later=5000.0)
    # A full listing sees both again; 2 was rescheduled in SDX meanwhile.
    assert await agenda.plan([plan(1, 100.0), plan(2, 150.0)]) == 1
    assert await agenda.take(now=200.0, limit=10, later=5000.0) == [plan(2, 150.0)]


async def test_drop_defer_and_hold(agenda: Agenda) -> None:
    await agenda.plan([plan(1, 100.0), plan(2, 100.0), plan(3, 100.0)])
    await agenda.drop([1])
    await agenda.defer(2, 700.0)  # the window opens at 700
    await agenda.defer(9, 100.0)  # not on the agenda: nothing happens
    assert await agenda.take(now=600.0, limit=10, later=5000.0) == [plan(3, 100.0)]
    await agenda.hold(plan(3, 100.0), until=800.0)  # unchanged: held
    await agenda.hold(plan(2, 999.0), until=9000.0)  # not what is planned: no effect
    taken = await agenda.take(now=800.0, limit=10, later=5000.0)
    assert taken == [plan(2, 100.0), plan(3, 100.0)]
    assert await agenda.size() == 2


async def test_a_text_that_went_out_leaves_unless_its_report_moved_it(agenda: Agenda) -> None:
    await agenda.plan([plan(1, 100.0), plan(2, 100.0), plan(3, 100.0)])
    await agenda.plan([plan(2, 3700.0)])  # 2's delivery report moved it on already
    for interaction_id in (1, 2, 3, 4):
        await agenda.drop_unmoved(interaction_id, before=150.0)
    assert await agenda.size() == 1
    assert await agenda.take(now=4000.0, limit=10, later=5000.0) == [plan(2, 3700.0)]


async def test_a_plans_fields_survive_the_store(agenda: Agenda) -> None:
    sms = Plan(77, 54, "sms", 1_800_000_000.25, "+447700900123")
    await agenda.plan([sms])
    assert await agenda.take(now=2e9, limit=1, later=3e9) == [sms]


async def test_two_pollers_at_once_never_take_the_same_entry(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    try:
        first, second = RedisAgenda(redis, prefix="test:"), RedisAgenda(redis, prefix="test:")
        await first.plan([plan(n, float(n)) for n in range(2500)])  # three chunks
        taken = await asyncio.gather(
            *(a.take(now=1e6, limit=100, later=2e6) for a in (first, second) * 20)
        )
        ids = [p.id for batch in taken for p in batch]
        assert sorted(ids) == list(range(2500))
    finally:
        await redis.aclose()


async def test_the_memory_heap_stays_bounded() -> None:
    agenda = MemoryAgenda()
    await agenda.plan([plan(n, 0.0) for n in range(100)])
    for round_ in range(200):  # every entry taken and moved on, again and again
        assert len(await agenda.take(now=float(round_), limit=1000, later=round_ + 0.5)) == 100
    assert len(agenda._heap) <= 2 * 100 + 1024
