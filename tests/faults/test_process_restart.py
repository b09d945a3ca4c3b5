"""``gateway serve`` killed (SIGKILL) between two turns and started again.

The gateway runs as a real process, configured only by its environment:
REDIS_URL points at a private redis-server, SDX_API_URL at the SDX sandbox
(served by this test's event loop). Webhooks go over real HTTP, signed by
Twilio's rules against GATEWAY_PUBLIC_URL. Mid-survey the process is killed
without warning and a new one is started on the same port; the next turn
of the same call (the same SMS conversation) goes on at the next question,
from the state in Redis, and SDX ends up with every answer exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from gateway.config import Settings
from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.sdx import Fault, SandboxState
from tests.faults.conftest import (
    Q2,
    Q3,
    SMS_Q1,
    SMS_Q2,
    SMS_Q3,
    SMS_SEEDED,
    THANKS,
    VOICE_SEEDED,
    applied,
    requests_to,
)
from tests.helpers.call import Call
from tests.helpers.ledger import answers
from tests.helpers.phone import Phone
from tests.helpers.servers import RedisServer, free_port
from tests.helpers.settings import make_settings
from tests.sms.conftest import SMS_NUMBER
from tests.voice.conftest import INBOUND

# Every wait is bounded: a webhook (Twilio gives up after 15 s; we promise 10),
# a process start-up, a process exit.
REPLY_WITHIN = 10.0
READY_WITHIN = 20.0
EXIT_WITHIN = 10.0


def child_env(settings: Settings) -> dict[str, str]:
    """The environment of ``gateway serve``: exactly ``settings``, nothing inherited.

    Like tests/test_cli.py's clean_env, and stricter: every contract variable
    of the developer's shell is dropped here too, whatever the autouse fixture did.
    """
    contract = {name.upper() for name in [*Settings.model_fields, "sdx_bearer_token"]}
    env = {name: value for name, value in os.environ.items() if name.upper() not in contract}
    assert settings.redis_url is not None
    assert settings.sdx_customer_uuid is not None
    assert settings.sdx_auth_token is not None
    env.update(
        {
            "PORT": str(settings.port),
            "REDIS_URL": settings.redis_url,
            "SDX_API_URL": settings.sdx_api_url,
            "SDX_CUSTOMER_UUID": settings.sdx_customer_uuid,
            "SDX_AUTH_TOKEN": settings.sdx_auth_token.get_secret_value(),
            "TWILIO_ACCOUNT_SID": settings.twilio_account_sid,
            "TWILIO_AUTH_TOKEN": settings.twilio_auth_token.get_secret_value(),
            "GATEWAY_PUBLIC_URL": settings.gateway_public_url,
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _open_log(path: Path) -> IO[bytes]:
    return path.open("ab")


class GatewayProcess:
    """``python -m gateway serve`` on a fixed port; output appended to ``log``."""

    def __init__(self, settings: Settings, directory: Path) -> None:
        self.settings = settings
        self.directory = directory  # cwd: no .env file there
        self.log = directory / "gateway.log"
        self.url = f"http://127.0.0.1:{settings.port}"
        self.process: asyncio.subprocess.Process | None = None
        self.started = 0

    async def start(self) -> None:
        assert self.process is None, "one process at a time"
        output = _open_log(self.log)
        try:
            self.process = await asyncio.create_subprocess_exec(
                *(sys.executable, "-m", "gateway", "serve", "--host", "127.0.0.1"),
                env=child_env(self.settings),
                cwd=self.directory,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        finally:
            output.close()  # the child has its own copy
        self.started += 1
        await self._wait_healthy()

    async def _wait_healthy(self) -> None:
        """Poll /healthz until it answers 200; fail with the log on exit or timeout."""
        assert self.process is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + READY_WITHIN
        timeout = aiohttp.ClientTimeout(total=1)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                if self.process.returncode is not None:
                    pytest.fail(
                        f"gateway serve exited ({self.process.returncode}):\n{self.output()}"
                    )
                try:
                    async with session.get(f"{self.url}/healthz") as response:
                        if response.status == 200:
                            return
                except (aiohttp.ClientError, TimeoutError):
                    pass
                if loop.time() > deadline:
                    pytest.fail(f"gateway serve not healthy in {READY_WITHIN} s:\n{self.output()}")
                await asyncio.sleep(0.05)

    async def kill(self, how: signal.Signals = signal.SIGKILL) -> int:
        """SIGKILL: no shutdown hook runs, nothing is flushed or closed cleanly.
        SIGTERM: the operator's stop, which lets webhooks in flight finish."""
        process, self.process = self.process, None
        if process is None:
            return 0
        with contextlib.suppress(ProcessLookupError):  # it may have died already
            process.send_signal(how)
        return await asyncio.wait_for(process.wait(), EXIT_WITHIN)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@pytest.fixture
async def gateway_process(
    private_redis: RedisServer, sandbox_server: TestServer, tmp_path: Path
) -> AsyncIterator[GatewayProcess]:
    port = free_port()
    settings = make_settings(
        sdx_api_url=str(sandbox_server.make_url("/api")),
        redis_url=private_redis.url,
        port=port,
        # Loopback: gateway serve refuses the demo secrets behind a public URL.
        gateway_public_url=f"http://127.0.0.1:{port}",
    )
    gateway = GatewayProcess(settings, tmp_path)
    try:
        await gateway.start()
        yield gateway
    finally:
        await gateway.kill()


@pytest.fixture
async def twilio(gateway_process: GatewayProcess) -> AsyncIterator[aiohttp.ClientSession]:
    """Twilio's side: a new connection per webhook (a killed process leaves no
    pooled connection behind), and a bound on every webhook."""
    async with aiohttp.ClientSession(
        base_url=gateway_process.url,
        connector=aiohttp.TCPConnector(force_close=True),
        timeout=aiohttp.ClientTimeout(total=REPLY_WITHIN),
    ) as session:
        yield session


async def restart(gateway: GatewayProcess) -> None:
    assert await gateway.kill() == -signal.SIGKILL
    await gateway.start()  # the same port, the same environment


async def still_serving(twilio: aiohttp.ClientSession) -> None:
    async with twilio.get("/healthz") as health:
        assert health.status == 200
    async with twilio.get("/readyz") as ready:
        assert ready.status == 200, await ready.text()
        assert (await ready.json())["checks"] == {"redis": "ok", "sdx": "ok"}


async def test_voice_call_goes_on_after_the_gateway_is_killed_and_restarted(
    gateway_process: GatewayProcess, twilio: aiohttp.ClientSession, sandbox: SandboxState
) -> None:
    settings = gateway_process.settings
    client: Any = twilio  # Call needs only .post(path, data=, headers=)
    call = Call(client, settings, caller=DEMO_RESPONDENT, called=INBOUND)
    await call.start()  # each step: signed, 200, text/xml, a <Response> root
    await call.press("9")
    assert call.spoken()[-1].startswith(Q2)

    await restart(gateway_process)
    await call.press("4")  # the same CallSid, the Gather action the old process gave
    assert call.spoken()[-1].startswith(Q3), call.spoken()
    await call.press("1")
    await call.say("Thanks")
    assert call.hung_up_by_gateway
    assert list(await call.hang_up()) == []

    assert gateway_process.started == 2
    assert answers(sandbox, VOICE_SEEDED) == ["9", "4", "Yes", "Thanks"]
    assert applied(sandbox, "submit", None) == 4
    assert applied(sandbox, "abandon", None) == 0
    # Picked up from the session in Redis: SDX was not asked where the survey
    # stands (that recovery path starts the survey again).
    assert len(requests_to(sandbox, "start")) == 1
    assert sandbox.store.interactions[VOICE_SEEDED].survey_ended
    assert set(call.statuses) == {200}
    await still_serving(twilio)


async def test_sms_conversation_goes_on_after_the_gateway_is_killed_and_restarted(
    gateway_process: GatewayProcess, twilio: aiohttp.ClientSession, sandbox: SandboxState
) -> None:
    settings = gateway_process.settings
    client: Any = twilio
    phone = Phone(client, settings, respondent=DEMO_RESPONDENT, number=SMS_NUMBER)
    (first,) = await phone.send("hello")
    assert first.endswith(SMS_Q1)
    assert await phone.send("9") == [SMS_Q2]

    await restart(gateway_process)
    assert await phone.send("4") == [SMS_Q3]  # submitted at once: the conversation survived
    await phone.send("yes")
    assert await phone.send("Fast please") == THANKS

    assert gateway_process.started == 2
    assert answers(sandbox, SMS_SEEDED) == ["9", "4", "Yes", "Fast please"]
    assert applied(sandbox, "submit", None) == 4
    assert len(requests_to(sandbox, "start")) == 1  # the conversation came from Redis
    assert sandbox.store.interactions[SMS_SEEDED].survey_ended
    await still_serving(twilio)


async def test_an_answer_in_flight_when_the_gateway_is_stopped_is_finished(
    gateway_process: GatewayProcess, twilio: aiohttp.ClientSession, sandbox: SandboxState
) -> None:
    """SIGTERM while an answer is at SDX: the process finishes that webhook (the
    caller hears the next question) before it exits, and the next process goes
    on from there; the answer is recorded once."""
    settings = gateway_process.settings
    client: Any = twilio
    call = Call(client, settings, caller=DEMO_RESPONDENT, called=INBOUND)
    await call.start()
    sandbox.faults.add(Fault(method="POST", path=r"/interactions/\d+/submit_response", delay=1.0))
    pressing = asyncio.create_task(call.press("9"))
    while not requests_to(sandbox, "submit"):  # noqa: ASYNC110 (no event to wait on)
        await asyncio.sleep(0.01)
    stopping = asyncio.create_task(gateway_process.kill(signal.SIGTERM))
    await pressing
    assert call.spoken()[-1].startswith(Q2), call.spoken()
    assert await stopping == 0  # a clean exit
    sandbox.faults.clear()

    await gateway_process.start()
    await call.press("4")
    assert call.spoken()[-1].startswith(Q3)
    assert answers(sandbox, VOICE_SEEDED) == ["9", "4"]
    assert len(requests_to(sandbox, "submit")) == 2  # each answer sent once
