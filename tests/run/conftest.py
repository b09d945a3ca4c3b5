"""The commands against a real sandbox: the SDX API and the Twilio emulator in one server."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.config import Settings
from gateway.sandbox.app import create_sandbox, twilio_state
from gateway.sandbox.twilio import TwilioState
from tests.helpers.settings import make_settings

PUBLIC = "https://gw.example.com"


@pytest.fixture
async def setup(aiohttp_server: Any, redis_url: str) -> tuple[Settings, TwilioState]:
    app = create_sandbox()
    server = await aiohttp_server(app)
    settings = make_settings(
        sdx_api_url=str(server.make_url("/api")),
        twilio_api_url=str(server.make_url("/twilio")),
        gateway_public_url=PUBLIC,
        redis_url=redis_url,
    )
    return settings, twilio_state(app)
