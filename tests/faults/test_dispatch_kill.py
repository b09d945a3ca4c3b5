"""``gateway dispatch`` killed (SIGKILL) mid-dial while a second one runs: one call per attempt.

Real processes, configured only by their environment: SDX_API_URL points at
the SDX sandbox and TWILIO_API_URL at the Twilio emulator (both served by this
test's event loop), REDIS_URL at a private redis-server. The respondents'
phones hold every call (nobody answers, nobody hangs up), so the only way to
a second call for an attempt is the dispatcher dialling it twice.

Each case stops the first dispatcher at one point of a dial, starts a second,
kills the first without warning and waits past the takeover time: the second
takes the first's work over, and the Twilio call log must still show exactly
one call to each due respondent.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.sdx import Fault, SandboxState
from gateway.sandbox.twilio import TWILIO_STATE, Outcome, TwilioState, create_twilio_emulator
from tests.faults.test_process_restart import child_env
from tests.helpers.servers import RedisServer, free_port
from tests.helpers.settings import make_settings

OTHER = "+61400000002"  # the seed's second outbound respondent (survey 53)
DUE = (DEMO_RESPONDENT, OTHER)
TAKEOVER = 3.0  # GATEWAY_DISPATCH_TAKEOVER, shortened (default 60 s)
WITHIN = 20.0  # any wait for a process or a dial


@dataclass
class Stage:
    sdx: SandboxState
    twilio: TwilioState
    env: dict[str, str]
    directory: Path

    def calls_to(self, number: str) -> int:
        return sum(1 for call in self.twilio.calls.values() if call.to == number)

    def creates(self) -> int:
        return sum(1 for r in self.twilio.requests if r.method == "POST" and "Calls" in r.path)


class Dispatcher:
    """``python -m gateway dispatch``, its /healthz on a port of its own."""

    def __init__(self, stage: Stage, name: str) -> None:
        self.port = free_port()
        self.env = {**stage.env, "GATEWAY_WORKER_PORT": str(self.port)}
        self.log = stage.directory / f"{name}.log"
        self.directory = stage.directory
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("ab") as output:
            self.process = await asyncio.create_subprocess_exec(
                *(sys.executable, "-m", "gateway", "dispatch"),
                env=self.env,
                cwd=self.directory,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        await until(self._healthy, f"dispatcher healthy:\n{self.output()}")

    async def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.returncode is not None:
            pytest.fail(f"gateway dispatch exited:\n{self.output()}")
        timeout = aiohttp.ClientTimeout(total=1)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.get(f"http://127.0.0.1:{self.port}/healthz") as response,
            ):
                return response.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False

    async def kill(self, how: signal.Signals = signal.SIGKILL) -> None:
        process, self.process = self.process, None
        if process is not None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(how)
            await asyncio.wait_for(process.wait(), WITHIN)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


async def until(check: Callable[[], Awaitable[bool] | bool], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WITHIN
    while True:
        result = check()
        if await result if isinstance(result, Awaitable) else result:
            return
        if loop.time() > deadline:
            pytest.fail(f"timed out waiting for: {what}")
        await asyncio.sleep(0.05)


@pytest.fixture
async def stage(
    private_redis: RedisServer,
    sandbox_server: TestServer,
    sandbox: SandboxState,
    aiohttp_server: Any,
    tmp_path: Path,
) -> AsyncIterator[Stage]:
    emulator = await aiohttp_server(create_twilio_emulator())
    twilio: TwilioState = emulator.app[TWILIO_STATE]
    twilio.default_outcome = Outcome.HOLD
    settings = make_settings(
        sdx_api_url=str(sandbox_server.make_url("/api")),
        twilio_api_url=str(emulator.make_url("")).rstrip("/"),
        redis_url=private_redis.url,
        gateway_public_url=f"http://127.0.0.1:{free_port()}",  # nobody answers: unused
    )
    env = child_env(settings)
    env.update(
        {
            "TWILIO_API_URL": str(settings.twilio_api_url),
            "GATEWAY_DISPATCH_INTERVAL": "0.5",
            "GATEWAY_DISPATCH_TAKEOVER": str(TAKEOVER),
            "GATEWAY_CALL_WINDOW": "00:00-24:00",
            "GATEWAY_CALLS_PER_SECOND": "50",
            "GATEWAY_SDX_TIMEOUT": "5",
        }
    )
    env.pop("PORT", None)
    yield Stage(sandbox, twilio, env, tmp_path)
    await asyncio.gather(*twilio.cancel_all(), return_exceptions=True)


# Where the first dispatcher dies: how to hold it there, and how to know it is there.
Hold = Callable[[Stage], None]
Reached = Callable[[Stage], bool]


def sdx_slow(stage: Stage) -> None:
    # Reading the interaction again, before anything is written or dialled.
    stage.sdx.faults.add(Fault(method="GET", path=r"/interactions/\d+", delay=30))


def twilio_in_flight(stage: Stage) -> None:
    # Twilio has the request but has not created the call yet.
    stage.twilio.slow_create("Calls", 1.0, times=10)


def twilio_took_it(stage: Stage) -> None:
    # The call exists; Twilio's answer (the call SID) has not come back.
    stage.twilio.slow_create("Calls", 30.0, after=True, times=10)


def nothing(stage: Stage) -> None:
    return None


CASES: dict[str, tuple[Hold, Reached]] = {
    "before-twilio": (
        sdx_slow,
        lambda s: any(r.path.startswith("/interactions/") for r in s.sdx.requests),
    ),
    "twilio-has-the-request": (twilio_in_flight, lambda s: s.creates() > 0),
    "twilio-took-the-call": (twilio_took_it, lambda s: len(s.twilio.calls) > 0),
    "after-the-settle": (nothing, lambda s: all(s.calls_to(n) == 1 for n in DUE)),
}


@pytest.mark.parametrize(
    ("point", "how"),
    [pytest.param(point, signal.SIGKILL, id=f"{point}-SIGKILL") for point in CASES]
    # A SIGTERM lets the dial in hand finish (the grace period) and settle.
    + [pytest.param("twilio-has-the-request", signal.SIGTERM, id="twilio-has-the-request-SIGTERM")],
)
async def test_a_killed_dispatcher_never_causes_a_second_call(
    stage: Stage, point: str, how: signal.Signals
) -> None:
    hold, reached = CASES[point]
    hold(stage)
    first, second = Dispatcher(stage, "first"), Dispatcher(stage, "second")
    try:
        await first.start()
        await until(lambda: reached(stage), f"the first dispatcher at {point}")
        await second.start()
        await first.kill(how)
        stage.sdx.faults.clear()  # SDX answers again: the second dispatcher can work
        # Past the takeover time, the claims' lapse and a few polls.
        await asyncio.sleep(TAKEOVER * 2 + 2)
        await until(lambda: all(stage.calls_to(n) >= 1 for n in DUE), "every due call placed")
        await asyncio.sleep(1.0)  # and nothing more follows
        assert {n: stage.calls_to(n) for n in DUE} == dict.fromkeys(DUE, 1), second.output()
    finally:
        await first.kill()
        await second.kill()
