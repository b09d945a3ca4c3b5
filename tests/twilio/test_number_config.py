"""`gateway twilio configure` and `gateway doctor` against the sandbox and the Twilio emulator."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.config import Settings
from gateway.run.doctor import run_checks
from gateway.run.twilio_configure import configure
from gateway.sandbox.app import create_sandbox, twilio_state
from gateway.sandbox.twilio import TwilioState
from tests.conftest import free_port, make_settings

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


async def test_dry_run_shows_and_changes_nothing(setup: tuple[Settings, TwilioState]) -> None:
    settings, twilio = setup
    lines: list[str] = []
    assert await configure(settings, dry_run=True, say=lines.append) == 0
    assert "+61200000000: would change" in lines
    assert f"    voice_url: (empty) -> {PUBLIC}/twilio/voice" in lines
    assert f"    status_callback: (empty) -> {PUBLIC}/twilio/voice/status" in lines
    assert f"    sms_url: (empty) -> {PUBLIC}/twilio/sms" in lines
    assert lines[-1] == "dry run: nothing was changed"
    number = twilio.number("+61200000000")
    assert number is not None
    assert number.voice_url in ("", None)
    assert not [r for r in twilio.requests if r.method == "POST"]


async def test_configure_points_each_number_at_the_gateway(
    setup: tuple[Settings, TwilioState],
) -> None:
    settings, twilio = setup
    lines: list[str] = []
    assert await configure(settings, dry_run=False, say=lines.append) == 0
    inbound, outbound, sms = (
        twilio.number(n) for n in ("+61200000000", "+61200000001", "+61200000002")
    )
    assert inbound is not None
    assert outbound is not None
    assert sms is not None
    assert (inbound.voice_url, inbound.voice_method) == (f"{PUBLIC}/twilio/voice", "POST")
    assert inbound.status_callback == f"{PUBLIC}/twilio/voice/status"
    assert outbound.voice_url == f"{PUBLIC}/twilio/voice"
    assert (sms.sms_url, sms.sms_method) == (f"{PUBLIC}/twilio/sms", "POST")
    assert sms.voice_url in ("", None)  # an sms-only number keeps its voice settings
    again: list[str] = []
    assert await configure(settings, dry_run=False, say=again.append) == 0
    assert again == [
        f"{n}: already points at this gateway"
        for n in ("+61200000000", "+61200000001", "+61200000002")
    ]


async def test_numbers_missing_from_the_account(setup: tuple[Settings, TwilioState]) -> None:
    settings, _ = setup
    settings.gateway_numbers = {"+61299990000": (52,)}
    lines: list[str] = []
    assert await configure(settings, dry_run=True, say=lines.append) == 1
    assert lines[0].startswith("+61299990000: not in this Twilio account")


async def test_doctor_fails_then_passes(setup: tuple[Settings, TwilioState]) -> None:
    settings, _ = setup
    lines: list[str] = []
    failed = await run_checks(settings, lines.append)
    text = "\n".join(lines)
    assert failed == 3  # three numbers not pointing here yet
    assert "ok    public URL: https://gw.example.com" in text
    assert "ok    redis: answers PING" in text
    assert "ok    SDX credentials:" in text
    assert "ok    Twilio credentials:" in text
    assert "FAIL  number +61200000000: does not point at this gateway" in text
    assert "fix: run: gateway twilio configure" in text
    await configure(settings, dry_run=False, say=lambda _: None)
    lines.clear()
    assert await run_checks(settings, lines.append) == 0


async def test_doctor_names_each_broken_dependency(setup: tuple[Settings, TwilioState]) -> None:
    settings, _ = setup
    broken = settings.model_copy(
        update={
            "gateway_public_url": "http://gw.example.com",
            "redis_url": f"redis://127.0.0.1:{free_port()}/0",
            "sdx_auth_token": type(settings.sdx_auth_token)("wrong")
            if settings.sdx_auth_token
            else None,
            "twilio_auth_token": type(settings.twilio_auth_token)("wrong"),
            "gateway_validate_signatures": False,
        }
    )
    lines: list[str] = []
    failed = await run_checks(broken, lines.append)
    text = "\n".join(lines)
    assert failed == 5
    assert "FAIL  public URL: http://gw.example.com is not https" in text
    assert "FAIL  webhook signatures" in text
    assert "FAIL  redis:" in text
    assert "FAIL  SDX credentials:" in text
    assert "answered 401" in text
    assert "FAIL  Twilio credentials:" in text
    assert "check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN" in text
