"""A missing secret is one ERROR a minute, however many requests trip over it.

Anyone can send a request with a Webhook Settings header (or any signature,
when the auth token is blank), so an ERROR per request would let outsiders
flood the logs and page the operator. Each request is still rejected (403)
with its own WARNING line.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import MutableMapping
from typing import Any

from pydantic import SecretStr
from structlog.testing import capture_logs

from gateway.run import create_app
from gateway.web.signature import MISCONFIGURATION_LOG, OncePerPeriod
from tests.helpers.settings import make_settings
from tests.helpers.signing import signed_post

REQUESTS = 30
SETTINGS_HEADER = {
    "X-Twilio-Webhooks-Signature-Settings": "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256"
}
SMS = {"From": "+61400000000", "To": "+61200000002", "MessageSid": "SM" + "0" * 32}


def errors(logs: list[MutableMapping[str, Any]]) -> list[MutableMapping[str, Any]]:
    return [entry for entry in logs if entry["log_level"] == "error"]


async def test_shared_key_header_without_a_key_is_one_error(aiohttp_client: Any) -> None:
    settings = make_settings()  # no GATEWAY_WEBHOOK_SHARED_KEY
    client = await aiohttp_client(create_app(settings))
    with capture_logs() as logs:
        statuses = await asyncio.gather(
            *(
                signed_post(client, "/twilio/sms", SMS, settings=settings, headers=SETTINGS_HEADER)
                for _ in range(REQUESTS)
            )
        )
    assert [response.status for response in statuses] == [403] * REQUESTS
    [error] = errors(logs)
    assert error["event"] == "twilio_webhook_shared_key_not_configured"
    assert "GATEWAY_WEBHOOK_SHARED_KEY" in error["detail"]
    rejected = [entry for entry in logs if entry["event"] == "twilio_signature_invalid"]
    assert [(e["log_level"], e["reason"]) for e in rejected] == [
        ("warning", "shared_key_not_configured")
    ] * REQUESTS


async def test_each_misconfiguration_has_its_own_error(aiohttp_client: Any) -> None:
    settings = make_settings()
    # Settings refuse a blank token; the middleware does not rely on that alone.
    settings.twilio_auth_token = SecretStr("")
    client = await aiohttp_client(create_app(settings))
    with capture_logs() as logs:
        for _ in range(REQUESTS):
            await client.post("/twilio/sms", data=SMS, headers={"X-Twilio-Signature": "x"})
            await client.post(
                "/twilio/sms", data=SMS, headers={"X-Twilio-Signature": "x", **SETTINGS_HEADER}
            )
    assert [entry["event"] for entry in errors(logs)] == [
        "twilio_auth_token_empty",
        "twilio_webhook_shared_key_not_configured",
    ]


async def test_the_error_comes_back_after_the_period_with_the_count(aiohttp_client: Any) -> None:
    settings = make_settings()
    app = create_app(settings)
    client = await aiohttp_client(app)
    # The same limiter with a period a test can wait out.
    period = 0.3
    app[MISCONFIGURATION_LOG].period = period
    with capture_logs() as logs:
        for _ in range(3):
            await signed_post(
                client, "/twilio/sms", SMS, settings=settings, headers=SETTINGS_HEADER
            )
        await asyncio.sleep(period + 0.05)
        await signed_post(client, "/twilio/sms", SMS, settings=settings, headers=SETTINGS_HEADER)
    first, second = errors(logs)
    assert "held_back" not in first
    assert second["held_back"] == 2


def test_once_per_period_counts_what_it_holds_back() -> None:
    limiter = OncePerPeriod(period=0.2)
    assert limiter.due("a") == 0
    assert [limiter.due("a") for _ in range(4)] == [None] * 4
    assert limiter.due("b") == 0  # another key, another line
    time.sleep(0.25)
    assert limiter.due("a") == 4
    assert limiter.due("a") is None
    assert OncePerPeriod().period == 60.0  # the default: a minute
