"""Bad input on the voice routes: forged signatures, malformed requests, Redis down."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from structlog.testing import capture_logs

from gateway.config import Settings
from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.sdx import SandboxState
from tests.helpers.call import Call, new_call_sid
from tests.helpers.servers import free_port
from tests.helpers.settings import GatewayFactory
from tests.helpers.signing import signed_post, twilio_signature
from tests.voice.conftest import INBOUND

ROUTES = [
    "/twilio/voice",
    "/twilio/voice/answer?turn=1&i=1001&q=501&s=52",
    "/twilio/voice/silence?turn=1&i=1001&q=501&s=52",
    "/twilio/voice/status",
]


def survey_work(sandbox: SandboxState) -> list[str]:
    """SDX requests other than the background routing refresh (GET /surveys)."""
    return [r.path for r in sandbox.requests if r.path != "/surveys"]


def form(**extra: str) -> dict[str, str]:
    return {
        "CallSid": new_call_sid(),
        "From": DEMO_RESPONDENT,
        "To": INBOUND,
        "CallStatus": "completed",
        "Digits": "9",
        **extra,
    }


@pytest.mark.parametrize("path", ROUTES)
async def test_missing_signature_is_403_and_nothing_runs(
    gateway: tuple[TestClient[Any, Any], Settings], sandbox: SandboxState, path: str
) -> None:
    client, _ = gateway
    sandbox.requests.clear()
    with capture_logs() as logs:
        response = await client.post(path, data=form())
    assert response.status == 403
    assert survey_work(sandbox) == []
    rejected = [entry for entry in logs if entry["event"] == "twilio_signature_invalid"]
    assert len(rejected) == 1
    assert "61409999999" not in repr(logs)


@pytest.mark.parametrize("path", ROUTES)
async def test_forged_signature_is_403_and_nothing_runs(
    gateway: tuple[TestClient[Any, Any], Settings], sandbox: SandboxState, path: str
) -> None:
    client, settings = gateway
    sandbox.requests.clear()
    response = await signed_post(client, path, form(), settings=settings, token="not-the-token")
    assert response.status == 403
    assert survey_work(sandbox) == []


async def test_signature_over_other_parameters_is_403(
    gateway: tuple[TestClient[Any, Any], Settings], sandbox: SandboxState
) -> None:
    client, settings = gateway
    call = Call(client, settings, caller=DEMO_RESPONDENT, called=INBOUND)
    await call.start()
    action = call.gather.attrib["action"][len(settings.gateway_public_url) :]
    signed = form(CallSid=call.call_sid, Digits="9")
    signature = twilio_signature(
        settings.gateway_public_url + action, signed, settings.twilio_auth_token.get_secret_value()
    )
    tampered = {**signed, "Digits": "0"}
    response = await client.post(action, data=tampered, headers={"X-Twilio-Signature": signature})
    assert response.status == 403
    assert sandbox.store.responses_for(1001) == []


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/twilio/voice", {"From": DEMO_RESPONDENT, "To": INBOUND}),  # no CallSid
        ("/twilio/voice", {"CallSid": "CA123", "From": DEMO_RESPONDENT, "To": INBOUND}),
        ("/twilio/voice", {"CallSid": "CA" + "a" * 32}),  # no From / To
        ("/twilio/voice/answer?i=1001&q=501", {"CallSid": "CA" + "a" * 32, "Digits": "1"}),
        ("/twilio/voice/answer?turn=x&i=1001&q=501", {"CallSid": "CA" + "a" * 32}),
        ("/twilio/voice/silence?turn=1&i=1001", {"CallSid": "CA" + "a" * 32}),
        ("/twilio/voice?interaction=-4", {"CallSid": "CA" + "a" * 32}),
        ("/twilio/voice/status", {"CallStatus": "completed"}),
    ],
)
async def test_malformed_webhook_is_400(
    gateway: tuple[TestClient[Any, Any], Settings],
    sandbox: SandboxState,
    path: str,
    params: dict[str, str],
) -> None:
    client, settings = gateway
    sandbox.requests.clear()
    response = await signed_post(client, path, params, settings=settings)
    assert response.status == 400
    assert "Bad request" in await response.text()
    assert "Traceback" not in await response.text()
    assert survey_work(sandbox) == []


async def test_signatures_can_be_switched_off(
    start_gateway: GatewayFactory, sandbox: SandboxState
) -> None:
    with capture_logs() as logs:
        client, _ = await start_gateway(gateway_validate_signatures=False)
    assert [e["log_level"] for e in logs if e["event"] == "signature_validation_disabled"] == [
        "warning"
    ]
    response = await client.post("/twilio/voice", data=form(Digits=""))
    assert response.status == 200
    assert "<Gather" in await response.text()


async def test_redis_down_gets_an_apology(start_gateway: GatewayFactory) -> None:
    client, settings = await start_gateway(redis_url=f"redis://127.0.0.1:{free_port()}/0")
    call = Call(client, settings, caller=DEMO_RESPONDENT, called=INBOUND)
    with capture_logs():
        await call.start()
    assert call.spoken() == [settings.gateway_apology_message]
    assert call.hung_up_by_gateway
    ready = await client.get("/readyz")
    assert ready.status == 503
