from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from gateway.config import Settings
from gateway.sandbox.credentials import DEMO_RESPONDENT
from tests.helpers.flavours import sdx_flavour  # noqa: F401  (every test here runs on both)
from tests.helpers.phone import Phone
from tests.helpers.settings import GatewayFactory

SMS_NUMBER = "+61200000002"  # survey 54


@pytest.fixture
async def gateway(start_gateway: GatewayFactory) -> tuple[TestClient[Any, Any], Settings]:
    return await start_gateway()


@pytest.fixture
def phone(gateway: tuple[TestClient[Any, Any], Settings]) -> Phone:
    client, settings = gateway
    return Phone(client, settings, respondent=DEMO_RESPONDENT, number=SMS_NUMBER)
