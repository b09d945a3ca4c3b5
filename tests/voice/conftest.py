"""A gateway wired to the SDX sandbox (real HTTP) and a real Redis, as Twilio sees it."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from gateway.config import Settings
from gateway.sandbox.credentials import DEMO_RESPONDENT
from tests.helpers.call import Call
from tests.helpers.flavours import sdx_flavour  # noqa: F401  (every test here runs on both)
from tests.helpers.settings import GatewayFactory

INBOUND = "+61200000000"  # survey 52's inbound number
OUTBOUND = "+61200000001"  # survey 53's outbound number


@pytest.fixture
async def gateway(start_gateway: GatewayFactory) -> tuple[TestClient[Any, Any], Settings]:
    return await start_gateway()


@pytest.fixture
def call(gateway: tuple[TestClient[Any, Any], Settings]) -> Call:
    client, settings = gateway
    return Call(client, settings, caller=DEMO_RESPONDENT, called=INBOUND)
