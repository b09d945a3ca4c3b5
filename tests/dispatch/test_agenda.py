"""The dispatcher's polls cost what is new and due: new interactions are found at the next poll."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from gateway.sandbox.sdx import SandboxState
from tests.dispatch.conftest import World

LATER = datetime.now(UTC) + timedelta(days=30)


def requests(sandbox: SandboxState, path: str) -> int:
    return sum(1 for r in sandbox.requests if r.method == "GET" and r.path == path)


def dialled(world: World, number: str) -> int:
    return sum(1 for call in world.twilio.calls.values() if call.to == number)


async def test_an_idle_poll_costs_the_same_whatever_the_backlog(world: World) -> None:
    """A backlog a month ahead: the first poll lists it once; each poll after
    it asks SDX for the surveys and one page of each survey it dials for."""
    dispatcher = world.make_dispatcher()
    costs = []
    for size in (10, 1500):
        for n in range(size):
            world.sdx.store.create_interaction(
                53, survey_type="outbound", phone_number=f"+6142{size}{n:05d}", scheduled_at=LATER
            )
        await dispatcher.poll_once()  # finds the new ones (a few pages)
        before = len(world.sdx.requests), requests(world.sdx, "/interactions")
        await dispatcher.poll_once()
        after = len(world.sdx.requests), requests(world.sdx, "/interactions")
        costs.append((after[0] - before[0], after[1] - before[1]))
    # The same both times: /surveys, and one page of each of the two surveys
    # with a sender.
    assert costs[0] == costs[1]
    assert costs[0][1] == 2


async def test_one_created_while_running_is_dialled_at_the_next_poll(world: World) -> None:
    dispatcher = world.make_dispatcher()
    await world.dispatch_all(dispatcher)  # the seeded ones, and the first full pass
    before = requests(world.sdx, "/interactions")
    made = world.sdx.store.create_interaction(
        53, survey_type="outbound", phone_number="+61400000777"
    )
    assert await dispatcher.poll_once() == 1
    assert requests(world.sdx, "/interactions") == before + 2  # a page of each sender survey
    while await dispatcher.consume_once("test-consumer"):
        pass
    assert dialled(world, "+61400000777") == 1
    # Held until the dial's settled window ends (its outcome reschedules it first).
    soon = time.time() + 60
    assert made.id not in {p.id for p in await dispatcher._poller.agenda.take(soon, 100, soon)}


async def test_one_falling_due_is_dialled_at_the_first_poll_after(world: World) -> None:
    dispatcher = world.make_dispatcher()
    await world.dispatch_all(dispatcher)
    soon = datetime.now(UTC) + timedelta(seconds=1.5)
    world.sdx.store.create_interaction(
        53, survey_type="outbound", phone_number="+61400000888", scheduled_at=soon
    )
    assert await dispatcher.poll_once() == 0  # seen, not due
    await asyncio.sleep(2)
    assert await dispatcher.poll_once() == 1
    while await dispatcher.consume_once("test-consumer"):
        pass
    assert dialled(world, "+61400000888") == 1
