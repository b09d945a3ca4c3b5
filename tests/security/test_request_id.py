"""X-Request-Id: a caller's id is kept only when it is short and plain.

The id is bound to every log line of the request and echoed back; a
hostile one (newlines, markup, a flood of characters) could forge or
garble log lines, so it is replaced by a fresh one.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs

from gateway.run import create_app
from tests.helpers.settings import make_settings

FRESH = re.compile(r"[0-9a-f]{32}")
# What every line gets in production: the request's bound context.
WITH_CONTEXT = [structlog.contextvars.merge_contextvars]


def request_ids(logs: list[MutableMapping[str, Any]]) -> list[Any]:
    """The request id of each of the request's lines: its rejection and its summary."""
    lines = [e for e in logs if e["event"] in {"twilio_signature_invalid", "webhook"}]
    assert len(lines) == 2, logs
    return [line.get("request_id") for line in lines]


@pytest.mark.parametrize(
    "given",
    ["abc-123", "a", "x" * 64, "req.1_2:3-4", "0b5f1c2e-6f0a-4c3e-9b1d-2a7e5c9d8f10"],
)
async def test_a_safe_id_is_kept(aiohttp_client: Any, given: str) -> None:
    client = await aiohttp_client(create_app(make_settings()))
    with capture_logs(processors=WITH_CONTEXT) as logs:
        response = await client.post("/twilio/sms", headers={"X-Request-Id": given})
    assert response.headers["X-Request-Id"] == given
    assert request_ids(logs) == [given, given]


@pytest.mark.parametrize(
    "given",
    [
        "",
        "x" * 65,
        "a b",
        "id\tforged",
        "<script>alert(1)</script>",
        'id" level="error',
        "id=1;drop",
        "über",
        "id/../../etc",
        "١٢٣",  # digits, but not ASCII ones
    ],
)
async def test_anything_else_gets_a_fresh_id(aiohttp_client: Any, given: str) -> None:
    client = await aiohttp_client(create_app(make_settings()))
    with capture_logs(processors=WITH_CONTEXT) as logs:
        response = await client.post("/twilio/sms", headers={"X-Request-Id": given})
    fresh = response.headers["X-Request-Id"]
    assert FRESH.fullmatch(fresh)
    assert request_ids(logs) == [fresh, fresh]
