"""What a caller sends reaches the logs masked and clipped, whatever its length.

Numbers written with spaces or dashes are masked like E.164 ones; a path,
a To or an AnsweredBy of thousands of characters is logged as its first 64.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from structlog.testing import capture_logs

from gateway.logging import CALLER_TEXT_LIMIT, TEXT_LIMIT, clip, configure_logging, get_logger
from gateway.run import create_app
from tests.helpers.settings import GatewayFactory, make_settings
from tests.helpers.signing import signed_post

CALL_SID = "CA" + "1" * 32


def test_clip_marks_what_it_left_out() -> None:
    assert clip("short") == "short"
    assert clip("x" * CALLER_TEXT_LIMIT) == "x" * CALLER_TEXT_LIMIT
    assert clip("x" * 100) == "x" * 64 + "...[+36]"


def test_no_logged_value_is_unbounded(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr("sys.stdout", stream)
    configure_logging("json", "INFO")
    get_logger("t").info("something", detail="y" * 10_000, number="call 61 409 999 999 now")
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["detail"] == "y" * TEXT_LIMIT + f"...[+{10_000 - TEXT_LIMIT}]"
    assert line["number"] == "call 61 40****999 now"


async def test_an_unsigned_request_with_a_huge_path_is_logged_clipped(aiohttp_client: Any) -> None:
    client = await aiohttp_client(create_app(make_settings()))
    path = "/twilio/" + "a" * 4000
    with capture_logs() as logs:
        response = await client.post(path, data={"x": "1"})
    assert response.status == 403
    refused = [e for e in logs if e["event"] == "twilio_signature_invalid"]
    assert refused[0]["path"] == clip(path)
    assert len(refused[0]["path"]) < 80


async def test_a_signed_call_to_an_unrouted_huge_number_is_logged_clipped(
    start_gateway: GatewayFactory,
) -> None:
    client, settings = await start_gateway(memory=True)
    to = "+61 - 409 - 999 - 999" + "9" * 4000
    with capture_logs() as logs:
        response = await signed_post(
            client,
            "/twilio/voice",
            {"CallSid": CALL_SID, "From": "+61409999999", "To": to, "Direction": "inbound"},
            settings=settings,
        )
    assert response.status == 200
    not_routed = [e for e in logs if e["event"] == "number_not_routed"]
    assert len(not_routed) == 1
    assert not_routed[0]["to"] == clip(to)
