"""The fault checker for the dispatcher: generated programs of faults, one invariant.

Each example builds a fresh world (SDX sandbox, Twilio emulator, the
session's redis-server flushed) with the seed's three due interactions: two
outbound calls and one first text. Nobody answers (the phones hold every
call), so every attempt stays the same one throughout. A program is a few
dispatcher rounds, each under one fault: SDX failing a dial's request in
every way it can (refused, applied then 5xx, late, dropped), Twilio refusing
or answering late, Redis flushed after the round, the dispatcher stopped in
the middle of a dial, an entry delivered to two dispatchers. Then the faults
clear and clean rounds run until nothing is left to do.

The invariant, on the Twilio emulator's log: each due respondent got exactly
one call (one first text): never two for the attempt, and never none.

``FAULTS_PROFILE=long`` (``make faults``) runs many more examples.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from gateway.dispatch.worker import Dispatcher, DispatchTuning
from gateway.run.components import build_dispatcher, build_stores
from gateway.run.connections import sdx_client
from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.sdx import SANDBOX_STATE, Fault, SandboxState, create_sdx_sandbox
from gateway.sandbox.twilio import TWILIO_STATE, Outcome, TwilioState, create_twilio_emulator
from gateway.state.conversations_redis import RedisConversationStore
from gateway.survey.outcomes import FINAL_STATUSES, STATUS
from gateway.twilio.rest import TwilioRest
from tests.faults.conftest import settle
from tests.helpers.ledger import data
from tests.helpers.servers import RedisServer, free_port
from tests.helpers.settings import make_settings

OTHER = "+61400000002"
CALLED = {DEMO_RESPONDENT: 1002, OTHER: 1005}  # outbound interactions
TEXTED = {DEMO_RESPONDENT: 1003}  # the sms interaction
SDX_TIMEOUT = 0.3
QUICK = {"idle": 0.3, "dialing_ttl": 0.3, "grace": 0.05, "block": 0.02, "concurrency": 2}
LONG = os.environ.get("FAULTS_PROFILE") == "long"
# One replica's name throughout, as a real dispatcher keeps it: it holds the
# listing lease from its first poll on.
REPLICA = "replica"

# Rounds run under each fault, reported at the end of the module.
CASES: Counter[str] = Counter()


# --- the faults ---------------------------------------------------------------

# The SDX requests of a dial: reading the interaction again, writing the
# attempt down (count, marker), starting a first text's survey.
SDX_STEPS = {
    "read": ("GET", r"/interactions/\d+"),
    "write": ("POST", r"/interaction_data"),
    "start": ("POST", r"/interactions/\d+/start_survey"),
}
SDX_KINDS: dict[str, dict[str, Any]] = {
    "refused-500": {"status": 500},
    "refused-503-retry-after": {"status": 503, "headers": {"Retry-After": "0"}},
    "refused-429": {"status": 429, "headers": {"Retry-After": "0"}},
    "applied-500": {"status": 500, "after": True},
    "applied-502": {"status": 502, "after": True},
    "applied-503-retry-after": {"status": 503, "after": True, "headers": {"Retry-After": "1"}},
    "applied-504": {"status": 504, "after": True},
    "applied-late": {"delay": SDX_TIMEOUT * 2, "after": True},
    "lands-late": {"delay": SDX_TIMEOUT * 2},
    "dropped": {"drop": True},
}


@dataclass(frozen=True)
class Step:
    """One dispatcher round under one fault."""

    fault: str  # "none", "sdx:<step>:<kind>", "twilio-refuses", "twilio-late", ...
    times: int = 1  # how many requests the fault hits

    def __str__(self) -> str:
        return f"{self.fault}x{self.times}"


FAULTS = [
    "none",
    *(f"sdx:{step}:{kind}" for step in SDX_STEPS for kind in SDX_KINDS),
    "twilio-refuses",  # a 5xx to calls.create / messages.create: nothing created
    "twilio-late",  # created, the answer comes after the dispatcher stopped
    "redis-flushed",  # after the round: claims, stream, leases gone
    "stopped-mid-dial",  # the dispatcher is stopped while Twilio creates the call
    "two-dispatchers",  # both consume at once, entries taken over between them
]
programs = st.lists(
    st.builds(Step, st.sampled_from(FAULTS), st.integers(min_value=1, max_value=3)),
    min_size=1,
    max_size=4,
)


# --- the world ------------------------------------------------------------------


@dataclass
class World:
    sdx: SandboxState
    twilio: TwilioState
    redis: Redis
    make: Callable[[str], Dispatcher]


def calls_placed(twilio: TwilioState) -> Counter[str]:
    return Counter(call.to for call in twilio.calls.values())


def first_texts(twilio: TwilioState) -> Counter[str]:
    return Counter(m.to for m in twilio.messages if m.direction == "outbound-api")


def given_up(sdx: SandboxState, interactions: dict[str, int]) -> set[str]:
    """Respondents the gateway gave up on, visibly: a final ``gateway_status`` in SDX
    (Twilio refused every resend of a first text, say)."""
    return {
        number
        for number, interaction_id in interactions.items()
        if data(sdx, interaction_id).get(STATUS) in FINAL_STATUSES
    }


def violations(calls: Counter[str], texts: Counter[str], gave_up: Iterable[str] = ()) -> list[str]:
    """What breaks the invariant: a respondent called (texted) twice, or never
    without the gateway saying why."""
    excused = set(gave_up)
    found = [
        f"{n}: {calls[n]} calls"
        for n in CALLED
        if calls[n] > 1 or (not calls[n] and n not in excused)
    ]
    found += [
        f"{n}: {texts[n]} first texts"
        for n in TEXTED
        if texts[n] > 1 or (not texts[n] and n not in excused)
    ]
    found += [f"{n}: called, not due" for n in calls if n not in CALLED]
    return found


async def drain(dispatcher: Dispatcher, consumer: str) -> None:
    await dispatcher.poll_once()
    while await dispatcher.consume_once(consumer):
        pass


async def round_under(world: World, step: Step) -> None:
    fault = step.fault
    if fault.startswith("sdx:"):
        _, name, kind = fault.split(":")
        method, path = SDX_STEPS[name]
        world.sdx.faults.add(Fault(method=method, path=path, times=step.times, **SDX_KINDS[kind]))
    elif fault == "twilio-refuses":
        for resource in ("Calls", "Messages"):
            world.twilio.fail_next(resource, None, status=500, code=20500, times=step.times)
    elif fault == "twilio-late":
        world.twilio.slow_create("Calls", 0.5, after=True, times=step.times)
    dispatcher = world.make(REPLICA)
    if fault == "stopped-mid-dial":
        world.twilio.slow_create("Calls", 0.3, after=True, times=step.times)
        await dispatcher.poll_once()
        stop = asyncio.Event()
        running = asyncio.create_task(dispatcher.run(stop))
        await asyncio.sleep(0.15)
        stop.set()
        await running
    elif fault == "two-dispatchers":
        other = world.make(f"{REPLICA}-b")  # not the lease holder: it only consumes
        await dispatcher.poll_once()
        await asyncio.gather(drain(dispatcher, "a"), drain(other, "b"))
    else:
        await drain(dispatcher, "c")
    await settle(world.sdx)
    world.sdx.faults.clear()
    if fault == "redis-flushed":
        await world.redis.flushdb()


async def resends_due_now(redis: Redis, prefix: str) -> None:
    """Time passes: a first text Twilio refused for the moment is due for its resend
    (a minute or more later in real time)."""
    key = f"{prefix}dispatch:retry"
    waiting = await redis.zrange(key, 0, -1)
    if waiting:
        await redis.zadd(key, dict.fromkeys(waiting, 0))


async def run_program(program: Iterable[Step], redis_url: str) -> list[str]:
    sdx_server = TestServer(create_sdx_sandbox())
    twilio_server = TestServer(create_twilio_emulator())
    await sdx_server.start_server()
    await twilio_server.start_server()
    twilio: TwilioState = twilio_server.app[TWILIO_STATE]
    twilio.default_outcome = Outcome.HOLD
    sdx: SandboxState = sdx_server.app[SANDBOX_STATE]
    config = make_settings(
        sdx_api_url=str(sdx_server.make_url("/api")),
        twilio_api_url=str(twilio_server.make_url("")).rstrip("/"),
        gateway_public_url=f"http://127.0.0.1:{free_port()}",  # nobody answers: unused
        redis_url=redis_url,
        gateway_call_window="00:00-24:00",
        gateway_calls_per_second=500,
        gateway_sdx_timeout=SDX_TIMEOUT,
    )
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    rest = TwilioRest(config)
    await rest.start()
    session = aiohttp.ClientSession()
    conversations = RedisConversationStore(redis, prefix=config.gateway_redis_prefix)
    attempts = build_stores(config, redis).attempts

    def make(name: str) -> Dispatcher:
        return build_dispatcher(
            config,
            sdx_client(config, session),
            redis,
            rest,
            conversations,
            attempts=attempts,
            tuning=DispatchTuning(rate=500, **QUICK),  # type: ignore[arg-type]
            name=name,
        )

    world = World(sdx, twilio, redis, make)
    try:
        for step in program:
            await round_under(world, step)
            CASES[step.fault] += 1
        # Faults over: clean rounds, each past the takeover time, until every
        # due respondent was reached; then one more, for a late second call.
        for _ in range(8):
            await asyncio.sleep(QUICK["idle"] + 0.1)
            await resends_due_now(redis, config.gateway_redis_prefix)
            await drain(make(REPLICA), "clean")
            if all(calls_placed(twilio)[n] for n in CALLED) and all(
                first_texts(twilio)[n] for n in TEXTED
            ):
                break
        await asyncio.sleep(QUICK["idle"] + 0.1)
        await drain(make(REPLICA), "clean")
        return violations(
            calls_placed(twilio),
            first_texts(twilio),
            given_up(sdx, CALLED) | given_up(sdx, TEXTED),
        )
    finally:
        await asyncio.gather(*twilio.cancel_all(), return_exceptions=True)
        await session.close()
        await rest.close()
        await redis.aclose()
        await twilio_server.close()
        await sdx_server.close()


@pytest.mark.timeout(3600 if LONG else 300)
@settings(
    max_examples=300 if LONG else 20,
    deadline=None,
    derandomize=not LONG,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(program=programs)
def test_no_attempt_is_dialled_twice_or_never(
    program: list[Step], redis_server: RedisServer
) -> None:
    assert asyncio.run(run_program(program, redis_server.url)) == [], [str(s) for s in program]


@pytest.fixture(scope="module", autouse=True)
def _report_cases() -> Iterator[None]:
    """The count of rounds run under each fault, printed at the end (``-s``)."""
    yield
    total = sum(CASES.values())
    print(f"\ndispatcher fault checker: {total} faulted rounds", dict(sorted(CASES.items())))


def test_the_invariant_sees_a_second_call_and_a_missing_text() -> None:
    calls = Counter({DEMO_RESPONDENT: 2, OTHER: 1})
    assert violations(calls, Counter()) == [
        f"{DEMO_RESPONDENT}: 2 calls",
        f"{DEMO_RESPONDENT}: 0 first texts",
    ]
    assert violations(Counter(list(CALLED)), Counter(list(TEXTED))) == []
    # Never texted, but given up on with a reason recorded: not a violation.
    assert violations(Counter(list(CALLED)), Counter(), gave_up=[DEMO_RESPONDENT]) == []
