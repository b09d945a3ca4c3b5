"""Gateway settings for tests: the demo credentials, nothing from the environment."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp.test_utils import TestClient

from gateway.config import Settings
from gateway.sandbox.credentials import (
    DEMO_AUTH_TOKEN,
    DEMO_CUSTOMER_UUID,
    DEMO_TWILIO_ACCOUNT_SID,
    DEMO_TWILIO_AUTH_TOKEN,
)


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "sdx_api_url": "http://127.0.0.1:9/api",
        "sdx_customer_uuid": DEMO_CUSTOMER_UUID,
        "sdx_auth_token": DEMO_AUTH_TOKEN,
        "twilio_account_sid": DEMO_TWILIO_ACCOUNT_SID,
        "twilio_auth_token": DEMO_TWILIO_AUTH_TOKEN,
        "gateway_public_url": "https://gw.example.com",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


# start_gateway(memory=False, **settings): a gateway test client and its settings.
GatewayFactory = Callable[..., Awaitable[tuple[TestClient[Any, Any], Settings]]]
