"""A gateway wired to the SDX sandbox (real HTTP) and a real Redis, as Twilio sees it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from gateway.app import create_app
from gateway.config import Settings
from gateway.sandbox.credentials import DEMO_RESPONDENT
from tests.conftest import make_settings
from tests.voice_call import Call

INBOUND = "+61200000000"  # survey 52's inbound number
OUTBOUND = "+61200000001"  # survey 53's outbound number

GatewayFactory = Callable[..., Awaitable[tuple[TestClient[Any, Any], Settings]]]


@pytest.fixture(params=["redis", "memory"])
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def start_gateway(aiohttp_client: Any, sdx_url: str, redis_url: str) -> GatewayFactory:
    async def start(
        memory: bool = False, **overrides: Any
    ) -> tuple[TestClient[Any, Any], Settings]:
        values: dict[str, Any] = {
            "sdx_api_url": sdx_url,
            "redis_url": None if memory else redis_url,
        }
        values.update(overrides)
        settings = make_settings(**values)
        client: TestClient[Any, Any] = await aiohttp_client(create_app(settings))
        return client, settings

    return start


@pytest.fixture
async def gateway(start_gateway: GatewayFactory) -> tuple[TestClient[Any, Any], Settings]:
    return await start_gateway()


@pytest.fixture
def call(gateway: tuple[TestClient[Any, Any], Settings]) -> Call:
    client, settings = gateway
    return Call(client, settings, caller=DEMO_RESPONDENT, called=INBOUND)
