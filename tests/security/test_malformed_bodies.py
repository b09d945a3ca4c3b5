"""A webhook body nobody can read is a 4xx decided before any parsing, never a 500.

Sent with a forged signature, as anyone on the internet can; with the signature check on
and off (off, the handlers would parse the body themselves). Each kind gets
its exact status, one INFO line without the body, no ERROR line (ours or
aiohttp's traceback), no 5xx in the metrics and no SDX request; the same
webhook sent well-formed and signed is then answered as usual.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient
from structlog.testing import capture_logs

from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.sdx import SandboxState
from tests.helpers.call import new_call_sid
from tests.helpers.phone import new_message_sid
from tests.helpers.settings import GatewayFactory
from tests.helpers.signing import signed_post
from tests.web.test_metrics import scrape

FORM = "application/x-www-form-urlencoded"
SECRET = "my-private-answer"  # must never reach a log line
NUMBERS = "+61200000000=52,+61200000002=54"


def params(route: str) -> dict[str, str]:
    if route == "/twilio/sms":
        return {"MessageSid": new_message_sid(), "From": DEMO_RESPONDENT, "To": "+61200000002"}
    if route == "/twilio/sms/status":
        return {
            "MessageSid": new_message_sid(),
            "MessageStatus": "undelivered",
            "ErrorCode": "30003",
            "From": "+61200000002",
            "To": DEMO_RESPONDENT,
        }
    fields = {"CallSid": new_call_sid(), "From": DEMO_RESPONDENT, "To": "+61200000000"}
    if route == "/twilio/voice/status":
        fields["CallStatus"] = "completed"
    return fields


def malformed(kind: str, fields: dict[str, str]) -> tuple[dict[str, str], Any]:
    """(headers, body) of a request of this kind carrying ``fields`` and SECRET."""
    text = urlencode({**fields, "Body": SECRET})
    if kind == "utf-16":
        return {"Content-Type": f"{FORM}; charset=utf-16"}, text.encode("utf-16")
    if kind == "bogus-charset":
        return {"Content-Type": f"{FORM}; charset=bogus"}, text.encode()
    if kind == "latin-1":
        return {"Content-Type": f"{FORM}; charset=iso-8859-1"}, text.encode()
    if kind == "invalid-utf-8":
        return {"Content-Type": FORM}, text.encode() + b"&Digits=\xff\xfe9"
    if kind == "escaped-invalid-utf-8":
        return {"Content-Type": FORM}, text.encode() + b"&Digits=%FF%FE9"
    if kind == "multipart":
        body = FormData(fields)
        body.add_field("Body", SECRET.encode(), filename="answer.txt")
        return {}, body
    if kind == "empty-multipart":
        # No body at all: aiohttp's multipart parser raised on it, a 500.
        return {"Content-Type": "multipart/form-data; boundary=xyz"}, b""
    if kind == "text":
        return {"Content-Type": "text/plain; charset=utf-8"}, text.encode()
    assert kind == "no-content-type"
    return {}, text.encode()  # aiohttp's client sends application/octet-stream


# kind -> (status, text)
EXPECTED = {
    "utf-16": (415, "Unsupported charset: send UTF-8"),
    "bogus-charset": (415, "Unsupported charset: send UTF-8"),
    "latin-1": (415, "Unsupported charset: send UTF-8"),
    "invalid-utf-8": (400, "Bad request: the body is not UTF-8"),
    "escaped-invalid-utf-8": (400, "Bad request: the body is not UTF-8"),
    "multipart": (415, "Unsupported media type: send application/x-www-form-urlencoded"),
    "empty-multipart": (415, "Unsupported media type: send application/x-www-form-urlencoded"),
    "text": (415, "Unsupported media type: send application/x-www-form-urlencoded"),
    "no-content-type": (415, "Unsupported media type: send application/x-www-form-urlencoded"),
}
REASONS = {400: "undecodable", 415: "charset"}


def reason_of(kind: str) -> str:
    status, text = EXPECTED[kind]
    return "content_type" if "media type" in text else REASONS[status]


def webhook_counts(samples: dict[Any, float], route: str) -> dict[str, float]:
    return {
        dict(labels)["outcome"]: value
        for (name, labels), value in samples.items()
        if name == "gateway_webhooks_total" and dict(labels)["route"] == route
    }


def errors(logs: list[MutableMapping[str, Any]], caplog: pytest.LogCaptureFixture) -> list[Any]:
    ours = [entry for entry in logs if entry["log_level"] in {"error", "critical"}]
    theirs = [record for record in caplog.records if record.levelno >= logging.ERROR]
    return [*ours, *theirs]


@pytest.mark.parametrize("validate", [True, False], ids=["signatures-on", "signatures-off"])
@pytest.mark.parametrize(
    "route", ["/twilio/voice", "/twilio/voice/status", "/twilio/sms", "/twilio/sms/status"]
)
@pytest.mark.parametrize("kind", list(EXPECTED))
async def test_malformed_body_is_a_4xx_before_parsing(
    start_gateway: GatewayFactory,
    sandbox: SandboxState,
    caplog: pytest.LogCaptureFixture,
    kind: str,
    route: str,
    validate: bool,
) -> None:
    client: TestClient[Any, Any]
    # A loopback public URL: signatures may be off only there. Static
    # routing: SDX hears only from what the request itself makes us do.
    client, settings = await start_gateway(
        gateway_validate_signatures=validate,
        gateway_public_url="http://127.0.0.1:8080",
        gateway_numbers=NUMBERS,
    )
    before = webhook_counts(await scrape(client), route)
    sdx_requests = len(sandbox.requests)
    fields = params(route)
    headers, body = malformed(kind, fields)
    with capture_logs() as logs, caplog.at_level(logging.INFO):
        # A signature header, forged: without one the signature check
        # refuses before it reads the body.
        forged = {**headers, "X-Twilio-Signature": "Zm9yZ2Vk"}
        response = await client.post(route, data=body, headers=forged)
        status, text = EXPECTED[kind]
        assert (response.status, await response.text()) == (status, text + "\n")
    assert errors(logs, caplog) == []
    refused = [entry for entry in logs if entry["event"] == "webhook_body_refused"]
    assert refused == [
        {
            "event": "webhook_body_refused",
            "log_level": "info",
            "path": route,
            "reason": reason_of(kind),
            "status": status,
        }
    ]
    assert SECRET not in repr(logs) + caplog.text
    assert len(sandbox.requests) == sdx_requests  # nothing acted on
    after = webhook_counts(await scrape(client), route)
    assert {
        outcome: after[outcome] - before.get(outcome, 0.0)
        for outcome in after
        if after[outcome] != before.get(outcome, 0.0)
    } == {str(status): 1}

    # The route itself is fine: the same webhook, well-formed and signed.
    answered = await signed_post(client, route, fields, settings=settings)
    assert answered.status == 200
    assert answered.content_type == "text/xml"
