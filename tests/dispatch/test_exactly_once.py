"""One call (one first text) per attempt, whatever the dispatcher loses mid-dial.

The attempt is written down in SDX before Twilio is asked
(``gateway_placing``); a job that finds it there reconciles with Twilio's
log instead of dialling again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from gateway.dispatch.placing import PLACING
from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.twilio import Outcome
from tests.dispatch.conftest import World
from tests.dispatch.test_loop import OTHER, OUTBOUND_ID, SMS_ID, calls_to
from tests.helpers.ledger import data


@pytest.fixture(autouse=True)
async def _every_call_held(world: World) -> AsyncIterator[None]:
    """Every phone holds its call (nobody answers: the attempt stays the same one);
    held calls never end by themselves, so they are cut off for the world to close."""
    world.twilio.default_outcome = Outcome.HOLD
    yield
    await asyncio.gather(*world.twilio.cancel_all(), return_exceptions=True)


def list_requests(world: World, resource: str) -> int:
    return sum(
        1
        for r in world.twilio.requests
        if r.method == "GET" and r.path.endswith(f"/{resource}.json")
    )


def first_texts(world: World) -> list[object]:
    return [m for m in world.twilio.messages if m.direction == "outbound-api"]


async def dial_once(world: World, name: str = "test") -> dict[str, int]:
    """One poll and the consumption of what it queued, without letting calls play out."""
    dispatcher = world.make_dispatcher(name)
    await dispatcher.poll_once()
    while await dispatcher.consume_once("c"):
        pass
    return dict(dispatcher.outcomes)


async def test_the_attempt_is_written_down_before_twilio_is_asked(world: World) -> None:
    before = time.time()
    await dial_once(world)
    attempt, stamp, count = data(world.sdx, OUTBOUND_ID)[PLACING].split()
    assert count == data(world.sdx, OUTBOUND_ID)["gateway_attempts"] == "1"
    scheduled = world.sdx.store.interaction(OUTBOUND_ID).scheduled_at
    assert scheduled is not None
    assert attempt == str(int(scheduled.timestamp()))
    assert before - 1 <= int(stamp) <= time.time()
    assert data(world.sdx, SMS_ID)[PLACING].startswith(
        str(int(world.sdx.store.interaction(SMS_ID).scheduled_at.timestamp()))  # type: ignore[union-attr]
    )
    assert list_requests(world, "Calls") == 0  # a first dial asks no log


async def test_redis_lost_after_a_dial_does_not_dial_again(world: World) -> None:
    """Claims and stream gone (a flush, a failover) while the calls still ring:
    the next poll offers the same attempts, and Twilio's log says they went out."""
    assert (await dial_once(world))["dialled"] == 2
    await world.redis.flushall()
    outcomes = await dial_once(world, "after-flush")
    # The two calls; the first text's survey has started, so no listing offers it.
    assert outcomes == {"reconciled": 2}
    assert len(calls_to(world, DEMO_RESPONDENT)) == 1
    assert len(calls_to(world, OTHER)) == 1
    assert len(first_texts(world)) == 1
    assert data(world.sdx, OUTBOUND_ID)["gateway_attempts"] == "1"


async def test_a_marker_with_nothing_in_twilios_log_is_dialled(world: World) -> None:
    """The dial died before Twilio got it: the log is empty, so the call is placed."""
    scheduled = world.sdx.store.interaction(OUTBOUND_ID).scheduled_at
    assert scheduled is not None
    # Counted (1) by a dial that died before Twilio got it.
    marker = f"{int(scheduled.timestamp())} {int(time.time())} 1"
    world.sdx.store.set_datum(OUTBOUND_ID, PLACING, marker)
    world.sdx.store.set_datum(OUTBOUND_ID, "gateway_attempts", "1")
    outcomes = await dial_once(world)
    assert outcomes["dialled"] == 2
    assert len(calls_to(world, DEMO_RESPONDENT)) == 1
    assert list_requests(world, "Calls") == 1  # asked about the one with a marker
    assert data(world.sdx, OUTBOUND_ID)["gateway_attempts"] == "1"  # not counted twice


async def test_an_old_marker_is_a_new_dial_not_a_question(world: World) -> None:
    """Past the settled window the attempt is offered again only because its
    outcome was lost: dialling again is the documented retry."""
    scheduled = world.sdx.store.interaction(OUTBOUND_ID).scheduled_at
    assert scheduled is not None
    world.sdx.store.set_datum(
        OUTBOUND_ID, PLACING, f"{int(scheduled.timestamp())} {int(time.time()) - 86400}"
    )
    await dial_once(world)
    assert len(calls_to(world, DEMO_RESPONDENT)) == 1
    assert list_requests(world, "Calls") == 0


async def test_a_dispatcher_stopped_mid_dial_settles_and_nobody_dials_again(
    world: World,
) -> None:
    """Regression: stopped while Twilio was creating the call, the worker cut
    the dial short; the call went through but its claim was never settled,
    expired, and another replica dialled the same attempt again."""
    # Twilio takes the call at once but answers late.
    world.twilio.slow_create("Calls", 1.0, after=True, times=10)
    quick = {"grace": 0.1, "idle": 0.3, "dialing_ttl": 0.3, "concurrency": 1}
    first = world.make_dispatcher("first", **quick)
    await first.poll_once()
    stop = asyncio.Event()
    running = asyncio.create_task(first.run(stop))
    while not world.twilio.calls:  # noqa: ASYNC110 (no event to wait on)
        await asyncio.sleep(0.01)
    stop.set()  # mid-dial: the call exists, Twilio's answer has not come
    await running
    await asyncio.sleep(0.5)  # past the claim's TTL and the takeover time
    second = world.make_dispatcher("second", **quick)
    for _ in range(5):
        await second.poll_once()
        while await second.consume_once("second-0"):
            pass
        await asyncio.sleep(0.2)
    assert len(calls_to(world, DEMO_RESPONDENT)) + len(calls_to(world, OTHER)) == 2
    assert all(len(calls_to(world, n)) == 1 for n in (DEMO_RESPONDENT, OTHER))


async def test_twilio_unable_to_say_leaves_the_entries_to_come_back(world: World) -> None:
    """An unsettled dial, and Twilio's log cannot be read: nothing is dialled and
    the entries stay pending, to be taken over and reconciled later."""
    await dial_once(world)
    await world.redis.flushall()  # the settles are lost
    held = len(world.twilio.calls)
    await world.emulator.close()  # Twilio unreachable
    outcomes = await dial_once(world, "after-flush")
    assert outcomes == {"deferred": 2}
    assert len(world.twilio.calls) == held
    stream = f"{world.settings.gateway_redis_prefix}dispatch:stream"
    pending = await world.redis.xpending(stream, "dialers")
    assert pending["pending"] == 2  # not acknowledged: they come back


async def test_the_last_attempt_cut_short_after_counting_is_still_placed(world: World) -> None:
    """A dial of the last allowed attempt died after counting it (3 of 3): its own
    count must not stop it, or the respondent is never called and nothing says why."""
    scheduled = world.sdx.store.interaction(OUTBOUND_ID).scheduled_at
    assert scheduled is not None
    marker = f"{int(scheduled.timestamp())} {int(time.time())} 3"
    world.sdx.store.set_datum(OUTBOUND_ID, PLACING, marker)
    world.sdx.store.set_datum(OUTBOUND_ID, "gateway_attempts", "3")  # GATEWAY_MAX_ATTEMPTS
    await dial_once(world)
    assert len(calls_to(world, DEMO_RESPONDENT)) == 1
    assert data(world.sdx, OUTBOUND_ID)["gateway_attempts"] == "3"
