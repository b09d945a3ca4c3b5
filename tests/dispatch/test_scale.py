"""Several dispatcher replicas: every due interaction dialled once, never above the rate."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import aiohttp
import pytest

from gateway.run.dispatch import run_dispatch
from tests.dispatch.conftest import World
from tests.helpers.servers import free_port


def add_due(world: World, count: int) -> set[str]:
    numbers = {f"+6141{n:07d}" for n in range(count)}
    for number in sorted(numbers):
        world.sdx.store.create_interaction(53, survey_type="outbound", phone_number=number)
    return numbers


def busiest_second(times: list[float]) -> int:
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t < start + 1.0) for i, start in enumerate(times))


# A busy call is retried after GATEWAY_RETRY_DELAY: an hour, so that the
# test sees each interaction's first attempt only.
@pytest.mark.parametrize("world", [{"gateway_retry_delay": 3600}], indirect=True)
async def test_two_replicas_dial_each_of_200_once_within_the_rate(world: World) -> None:
    rate = 40
    numbers = add_due(world, 200)
    world.twilio.default_outcome = "busy"
    replicas = [
        world.make_dispatcher(name=f"replica-{n}", rate=rate, concurrency=4, interval=60)
        for n in range(2)
    ]
    stop = asyncio.Event()
    running = [asyncio.create_task(r.run(stop)) for r in replicas]
    deadline = time.monotonic() + 30
    while sum(1 for c in world.twilio.calls.values() if c.to in numbers) < 200:
        assert time.monotonic() < deadline, "not all dialled in 30 s"
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)  # anything dialled twice would show up now
    stop.set()
    await asyncio.gather(*running)
    placed = [c for c in world.twilio.calls.values() if c.to in numbers]
    assert Counter(c.to for c in placed) == Counter(dict.fromkeys(numbers, 1))
    assert busiest_second([c.created_at for c in world.twilio.calls.values()]) <= rate
    # The work was spread over both replicas.
    assert all(r.outcomes["dialled"] > 20 for r in replicas)
    assert sum(r.outcomes["dialled"] for r in replicas) == len(world.twilio.calls)


async def test_a_killed_replicas_entries_are_taken_over_and_dialled_once(world: World) -> None:
    world.twilio.default_outcome = "busy"
    numbers = add_due(world, 5)
    doomed = world.make_dispatcher(name="doomed", idle=0.3, dialing_ttl=0.2)
    await doomed.poll_once()
    store = doomed._store
    taken = []
    for _ in range(3):  # it reads three entries and claims one, then dies
        taken += await store.read("doomed-0", count=1, block=0.1, idle=0.3)
    assert await store.claim(taken[0][1], "doomed-0", ttl=0.2) == "won"

    survivor = world.make_dispatcher(name="survivor", idle=0.3, dialing_ttl=0.2)
    await asyncio.sleep(0.4)
    deadline = time.monotonic() + 5
    while len([c for c in world.twilio.calls.values() if c.to in numbers]) < 5:
        assert time.monotonic() < deadline, "the dead replica's work was not taken over"
        await survivor.consume_once("survivor-0")
    await asyncio.sleep(0.5)
    while await survivor.consume_once("survivor-0"):
        pass  # whatever is left (a duplicate would be dialled now)
    await world.twilio.settle()
    dialled = Counter(c.to for c in world.twilio.calls.values() if c.to in numbers)
    assert dialled == Counter(dict.fromkeys(numbers, 1))


async def test_shutdown_is_prompt(world: World) -> None:
    world.twilio.default_outcome = "busy"
    add_due(world, 50)
    dispatcher = world.make_dispatcher(rate=5, concurrency=4, block=1.0)
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run(stop))
    await asyncio.sleep(0.5)
    stop.set()
    started = time.monotonic()
    await asyncio.wait_for(task, 10)
    assert time.monotonic() - started < 10
    placed = len(world.twilio.calls)
    assert 0 < placed < 52  # it stopped taking work


async def test_worker_serves_its_metrics(world: World) -> None:
    port = free_port()
    settings = world.settings.model_copy(update={"gateway_worker_port": port})
    world.twilio.default_outcome = "busy"
    stop = asyncio.Event()
    task = asyncio.create_task(run_dispatch(settings, stop))
    try:
        deadline = time.monotonic() + 10
        while len(world.twilio.calls) < 2:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.1)
        async with aiohttp.ClientSession() as session:
            health = await session.get(f"http://127.0.0.1:{port}/healthz")
            assert health.status == 200
            text = await (await session.get(f"http://127.0.0.1:{port}/metrics")).text()
        assert 'gateway_dials_total{channel="voice",outcome="dialled"}' in text
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
