"""The softphone against the real thing, in-process: the combined sandbox and a gateway.

The sandbox (SDX at ``/api``, the Twilio emulator at ``/twilio``) runs on a
test server, the gateway on a known free port, and the emulator's demo
numbers point at the gateway as ``gateway demo`` sets them. The softphone
talks to the emulator over HTTP, as it does from another terminal.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from gateway.config import Settings
from gateway.run import create_app
from gateway.sandbox.app import create_sandbox, twilio_state
from gateway.sandbox.sdx import SANDBOX_STATE
from gateway.sandbox.sdx.store import SdxStore
from gateway.sandbox.softphone.sandbox import SandboxPhone
from gateway.sandbox.twilio import DEMO_NUMBERS, TwilioState
from tests.helpers.servers import free_port
from tests.helpers.settings import make_settings

RESPONDENT = "+61409999999"  # the demo respondent: interactions 1001, 1002 and 1003
INBOUND_LINE, OUTBOUND_LINE, SMS_LINE = DEMO_NUMBERS
INBOUND, OUTBOUND, SMS = 1001, 1002, 1003


class ScriptedConsole:
    """A console that types ``lines`` (None: Ctrl-D) and keeps what was shown.

    ``output`` reads like the terminal: each prompt with the line typed after
    it, and ``^D`` where input ended.
    """

    def __init__(self, lines: Iterable[str | None] = ()) -> None:
        self.lines: deque[str | None] = deque(lines)
        self.output: list[str] = []
        self._changed = asyncio.Event()

    def show(self, text: str) -> None:
        self.output.append(text)
        self._changed.set()

    async def read(self, prompt: str) -> str | None:
        await asyncio.sleep(0)  # a user never answers within the same loop step
        line = self.lines.popleft() if self.lines else None
        self.show(prompt + ("^D" if line is None else line))
        return line

    async def shown(self, text: str) -> None:
        """Wait (at most 5 s) until a line containing ``text`` has been shown."""
        async with asyncio.timeout(5):
            while not any(text in line for line in self.output):
                self._changed.clear()
                await self._changed.wait()


@dataclass
class World:
    settings: Settings
    sandbox: TestServer
    twilio: TwilioState
    sdx: SdxStore
    sandbox_url: str  # the emulator's base, as --sandbox takes it
    gateway_url: str
    http: aiohttp.ClientSession

    def phone(self, poll_wait: float = 5.0) -> SandboxPhone:
        return SandboxPhone(self.http, self.sandbox_url, poll_wait=poll_wait)

    def answers(self, interaction_id: int) -> list[tuple[str, str]]:
        """(question label, answer) as the SDX sandbox recorded them, in order."""
        found = self.sdx.responses_for(interaction_id)
        return [(r.question_label, r.response) for r in sorted(found, key=lambda r: r.id)]


def _wire(twilio: TwilioState, gateway_url: str) -> None:
    """Point the demo numbers at the gateway, as ``gateway demo`` does."""
    for phone in DEMO_NUMBERS:
        number = twilio.number(phone)
        assert number is not None
        number.voice_url = f"{gateway_url}/twilio/voice"
        number.status_callback = f"{gateway_url}/twilio/voice/status"
        number.sms_url = f"{gateway_url}/twilio/sms"


@pytest.fixture
async def world(aiohttp_server: Any) -> AsyncIterator[World]:
    sandbox = create_sandbox()
    server: TestServer = await aiohttp_server(sandbox)
    port = free_port()
    gateway_url = f"http://127.0.0.1:{port}"
    settings = make_settings(
        sdx_api_url=str(server.make_url("/api")),
        twilio_api_url=str(server.make_url("/twilio")),
        gateway_public_url=gateway_url,
        redis_url=None,
    )
    gateway = TestServer(create_app(settings), port=port)
    await gateway.start_server()
    twilio = twilio_state(sandbox)
    _wire(twilio, gateway_url)
    sandbox_url = str(server.make_url("/twilio"))
    async with aiohttp.ClientSession() as http:
        sdx = sandbox[SANDBOX_STATE].store
        yield World(settings, server, twilio, sdx, sandbox_url, gateway_url, http)
        # A test that failed mid-call leaves the call waiting for input: stop it
        # while the gateway is still there to hear of it.
        stopping = twilio.cancel_all()
        if stopping:
            await asyncio.wait(stopping)
    await gateway.close()
