"""GATEWAY_MAX_ATTEMPTS holds whatever SDX does with the gateway's data writes.

SDX documents a data write only as adding a pair. Whether it overwrites,
appends (and lists the oldest record) or loses the write, a respondent who
never answers is called ``GATEWAY_MAX_ATTEMPTS`` times and no more: the
gateway counts its calls in Redis too, and the larger count decides. Each
test runs the dispatcher for many polls, each after the retry delay (1 s).
"""

from __future__ import annotations

import asyncio

import pytest

from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.twilio import Outcome
from tests.dispatch.conftest import World
from tests.dispatch.test_exactly_once import list_requests
from tests.dispatch.test_loop import OTHER, OUTBOUND_ID, calls_to
from tests.helpers.ledger import data
from tests.helpers.sdx_data import ignore_data_writes, list_oldest_data

pytestmark = pytest.mark.parametrize("world", [{"gateway_max_attempts": 2}], indirect=True)

ROUNDS = 5  # polls: more than enough for a third call, or a fifth


@pytest.fixture(autouse=True)
def _nobody_answers(world: World) -> None:
    world.twilio.default_outcome = Outcome.NO_ANSWER


async def dispatch_for_long(world: World, rounds: int = ROUNDS) -> None:
    """Poll and dial ``rounds`` times, each once the last retry is due; calls play out."""
    for _ in range(rounds):
        await world.dispatch_all()
        await asyncio.sleep(1.1)


def called(world: World) -> list[int]:
    return [len(calls_to(world, DEMO_RESPONDENT)), len(calls_to(world, OTHER))]


async def test_sdx_keeping_the_count_stops_at_the_limit(world: World) -> None:
    await dispatch_for_long(world)
    assert called(world) == [2, 2]
    assert data(world.sdx, OUTBOUND_ID)["gateway_attempts"] == "2"
    assert data(world.sdx, OUTBOUND_ID)["gateway_status"] == "unreachable"


async def test_sdx_ignoring_data_writes_stops_at_the_limit(world: World) -> None:
    """SDX answers every write as done and keeps none: it always shows 0 calls."""
    ignore_data_writes(world.sdx)
    await dispatch_for_long(world)
    assert called(world) == [2, 2]
    assert data(world.sdx, OUTBOUND_ID) == {}  # SDX kept nothing the gateway wrote
    # Given up on, not rescheduled again: nobody is called however long it runs.
    await dispatch_for_long(world, rounds=2)
    assert called(world) == [2, 2]


async def test_sdx_listing_the_oldest_record_stops_at_the_limit(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SDX appends each write and lists each key's first: it always shows 1 call."""
    hidden = list_oldest_data(world.sdx, monkeypatch)
    await dispatch_for_long(world)
    assert called(world) == [2, 2]
    assert data(world.sdx, OUTBOUND_ID)["gateway_attempts"] == "1"  # what SDX shows
    assert ("gateway_attempts", "2") in {(d.custom_key, d.custom_value) for d in hidden}
    # The first status written is the one SDX shows: the operator sees why.
    assert data(world.sdx, OUTBOUND_ID)["gateway_status"] == "unreachable"


async def test_redis_lost_sdx_count_still_stops_at_the_limit(world: World) -> None:
    """The gateway's own count gone with Redis after every poll: SDX's is the floor."""
    for _ in range(ROUNDS):
        await world.dispatch_all()
        await world.redis.flushall()
        await asyncio.sleep(1.1)
    assert called(world) == [2, 2]
    assert data(world.sdx, OUTBOUND_ID)["gateway_status"] == "unreachable"


async def test_a_dial_refused_then_made_again_counts_once(world: World) -> None:
    """Twilio throttles the first call; the same attempt is dialled on the next
    poll (after asking Twilio's log, as its record says it began). SDX keeps
    no count, so only the gateway's own says: one call so far, one more due."""
    ignore_data_writes(world.sdx)
    world.twilio.fail_next("Calls", DEMO_RESPONDENT, code=20429)
    await world.dispatch_all()
    assert called(world) == [0, 1]
    await dispatch_for_long(world)
    assert called(world) == [2, 2]
    assert list_requests(world, "Calls") >= 1  # the begun dial was reconciled


async def test_a_dial_reconciled_after_a_lost_claim_counts_once(world: World) -> None:
    """The dialler's claim is lost while its calls still ring (it died before
    settling them): the next dispatcher finds the attempt begun in the
    gateway's own record (SDX kept no marker), asks Twilio's log, dials
    nobody again, and the dial counts once."""
    ignore_data_writes(world.sdx)
    world.twilio.ring_delay = 0.5  # rings a while before going unanswered
    first = world.make_dispatcher("first")
    await first.poll_once()
    while await first.consume_once("first-0"):
        pass
    # Its lease and claims lapse, as a dead dispatcher's do; its record stays.
    prefix = world.settings.gateway_redis_prefix
    for pattern in ("dispatch:lease", "dispatch:claim:*", "dispatch:queued:*"):
        async for key in world.redis.scan_iter(match=f"{prefix}{pattern}"):
            await world.redis.delete(key)
    # And the agenda offers them again, as it does when the settled window ends.
    due = f"{prefix}agenda:due"
    await world.redis.zadd(due, dict.fromkeys(await world.redis.zrange(due, 0, -1), 0))
    second = world.make_dispatcher()  # the name later polls use: its lease serves them
    await second.poll_once()
    while await second.consume_once("second-0"):
        pass
    assert second.outcomes["reconciled"] == 2
    await world.twilio.settle()
    assert called(world) == [1, 1]
    await asyncio.sleep(1.1)
    await dispatch_for_long(world)
    assert called(world) == [2, 2]
