"""One example of the fault checker: fresh servers, the program's steps, the verdict.

Everything an example touches is built inside it, on the event loop that
runs it: a new SDX sandbox (seed data, no faults, no requests recorded), a
new gateway app, and the test's private redis-server started if a step left
it stopped and flushed. Nothing carries over from one example to the next.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from gateway.config import Settings
from gateway.run import create_app
from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.sdx import SANDBOX_STATE, SandboxState, create_sdx_sandbox
from tests.faults.checker_invariant import Ledger, Recorded, violations
from tests.faults.checker_model import (
    DUPLICATE_KINDS,
    HANG_UP_KINDS,
    SDX_KINDS,
    THINK,
    Program,
    Step,
    held_fault,
    sdx_fault,
)
from tests.faults.checker_respondent import Answer, Caller, Respondent, Texter
from tests.faults.checker_stats import STATS
from tests.faults.conftest import FAST, settle
from tests.helpers.ledger import SUBMIT
from tests.helpers.servers import RedisServer
from tests.helpers.settings import make_settings

SURVEYS = {"voice": 52, "sms": 54}
NEW_RESPONDENT = {"voice": "+61400000097", "sms": "+61400000096"}
# What the respondent gives for each question, in asking order, and what SDX
# records. Each answer would also be valid for the question after it, so an
# answer recorded one question late is kept by SDX (and caught), not refused.
# (given, recorded, spoken): keys or words, and what SDX makes of them.
VOICE_ANSWERS = [
    ("3", "3", False),
    ("2", "2", False),
    ("1", "Yes", False),  # keypad 1 on a yes/no question
    ("Thanks", "Thanks", True),
]
SMS_ANSWERS = [
    ("3", "3", False),
    ("2", "2", False),
    ("yes", "Yes", False),
    ("Fast please", "Fast please", False),
]
# Respondent actions after the program, faults cleared, to finish the survey.
FINISH_TRIES = 12


@dataclass
class World:
    sandbox: SandboxState
    client: TestClient[Any, Any]
    settings: Settings
    redis: RedisServer
    respondent: Respondent
    interaction_of: Callable[[], list[int]]
    expected: dict[int, str]


def script_for(sandbox: SandboxState, channel: str) -> list[Answer]:
    questions = sandbox.store.questions_for(SURVEYS[channel])
    answers = VOICE_ANSWERS if channel == "voice" else SMS_ANSWERS
    assert len(questions) == len(answers)
    return [
        Answer(q.id, q.question_text, given, recorded, spoken)
        for q, (given, recorded, spoken) in zip(questions, answers, strict=True)
    ]


async def redis_up(redis: RedisServer, *, flush: bool) -> None:
    if redis.process is None:
        await asyncio.to_thread(redis.start)  # comes back empty (no persistence)
    elif flush:
        await asyncio.to_thread(redis.flush)


@asynccontextmanager
async def world(program: Program, redis: RedisServer) -> AsyncIterator[World]:
    await redis_up(redis, flush=True)
    async with AsyncExitStack() as stack:
        sandbox_server = TestServer(create_sdx_sandbox())
        await sandbox_server.start_server()
        stack.push_async_callback(sandbox_server.close)
        settings = make_settings(
            sdx_api_url=str(sandbox_server.make_url("/api")),
            redis_url=redis.url,
            gateway_inbound_create=program.new_respondent,
            gateway_index_min_age=0.2,
            **FAST,
        )
        client: TestClient[Any, Any] = TestClient(TestServer(create_app(settings)))
        await client.start_server()
        stack.push_async_callback(client.close)
        yield _world(program, sandbox_server.app[SANDBOX_STATE], client, settings, redis)


def _world(
    program: Program,
    sandbox: SandboxState,
    client: TestClient[Any, Any],
    settings: Settings,
    redis: RedisServer,
) -> World:
    channel, survey = program.channel, SURVEYS[program.channel]
    phone = NEW_RESPONDENT[channel] if program.new_respondent else DEMO_RESPONDENT
    script = script_for(sandbox, channel)
    closing = sandbox.store.survey(survey).closing_text or ""
    kind = Caller if channel == "voice" else Texter
    respondent = kind(client, settings, phone, script, closing)

    def interaction_of() -> list[int]:
        return [
            i.id
            for i in sandbox.store.interactions.values()
            if i.survey_id == survey and i.phone_number == phone
        ]

    expected = {a.question_id: a.recorded for a in script}
    return World(sandbox, client, settings, redis, respondent, interaction_of, expected)


async def _when_held(sandbox: SandboxState, start: int, then: Callable[[], None]) -> None:
    """Run ``then`` once the step's held request has reached SDX.

    Called on the loop, not in a thread: it takes milliseconds, the gateway
    waits meanwhile, and it is over before the step ends (a thread would
    outlive the step's cancelling and race the restart after it).
    """
    while not any(r.faulted for r in sandbox.requests[start:]):  # noqa: ASYNC110 (no event)
        await asyncio.sleep(0.005)
    then()


async def run_step(world: World, step: Step) -> None:
    """One respondent action with the step's fault in force; the fault is gone after it."""
    sandbox, redis, respondent = world.sandbox, world.redis, world.respondent
    action = respondent.action()
    start = len(sandbox.requests)
    mode, watcher = "normal", None
    kind = step.kind
    if kind in SDX_KINDS:
        sandbox.faults.add(sdx_fault(kind, step.target))
    elif kind == "redis-down":
        await asyncio.to_thread(redis.stop)
    elif kind == "redis-flushed":
        await asyncio.to_thread(redis.flush)
    elif kind in {"redis-down-mid", "redis-flushed-mid"}:
        sandbox.faults.add(held_fault())
        hit = redis.stop if kind == "redis-down-mid" else redis.flush
        watcher = asyncio.create_task(_when_held(sandbox, start, hit))
    elif kind in DUPLICATE_KINDS:
        mode = kind
    elif kind in HANG_UP_KINDS:
        if respondent.last_answer():
            mode = kind
            if kind == "hang-up-while-answering":  # the answer is slow at SDX
                sandbox.faults.add(held_fault(SUBMIT))
        else:
            STATS.idle[kind] += 1
            kind = "none"
    try:
        await respondent.act(mode)
    finally:
        sandbox.faults.clear()
        if watcher is not None:
            watcher.cancel()
            with suppress(asyncio.CancelledError):
                await watcher
        await redis_up(redis, flush=False)
    _count(world, kind, action, start)
    if step.pause == "settle":
        await settle(sandbox)
    elif step.pause == "think":
        await think(sandbox)


async def think(sandbox: SandboxState) -> None:
    """The respondent's moment before acting. Only a request still on its way at
    SDX can tell it from acting at once, so without one it costs nothing."""
    if sandbox.in_flight:
        await asyncio.sleep(THINK)


def _count(world: World, kind: str, action: str, start: int) -> None:
    hits = [r for r in world.sandbox.requests[start:] if r.faulted]
    for record in hits:
        endpoint = re.sub(r"/\d+", "/{id}", record.path)
        STATS.fired[(kind, f"{record.method} {endpoint}")] += 1
    if kind not in SDX_KINDS or hits:
        STATS.covered[(kind, action)] += 1
    else:
        STATS.idle[f"{kind} (no matching request)"] += 1


async def finish(world: World) -> None:
    """Faults cleared: the respondent carries on until the survey is done, or gives up."""
    respondent = world.respondent
    for _ in range(FINISH_TRIES):
        if respondent.done or respondent.no_survey >= 2:
            return
        STATS.finish_actions += 1
        await respondent.act("normal")
        await think(world.sandbox)


def ledgers(world: World) -> list[Ledger]:
    """The respondent's interactions as SDX holds them, oldest first."""
    store = world.sandbox.store
    return [
        Ledger(
            i,
            [Recorded(r.question_id, r.response) for r in store.responses_for(i)],
            store.interactions[i].completed,
            bool(store.interactions[i].survey_ended),
        )
        for i in sorted(world.interaction_of())
    ]


async def run_program(program: Program, redis: RedisServer) -> tuple[list[str], list[str]]:
    """Run one example; (violations, the respondent's trace)."""
    async with world(program, redis) as w:
        for step in program.steps:
            if w.respondent.done:
                break
            STATS.cases += 1
            await run_step(w, step)
        await finish(w)
        await settle(w.sandbox)  # late requests land: they count
        held = ledgers(w)
        found = violations(held, w.expected)
        trace = [*w.respondent.trace, *(f"ledger: {ledger}" for ledger in held)]
    STATS.examples += 1
    if len(held) > 1:
        STATS.surveyed_again.append(repr(program))
    return found, trace
