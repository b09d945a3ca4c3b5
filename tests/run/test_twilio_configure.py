"""`gateway twilio configure` against the sandbox and the Twilio emulator."""

from __future__ import annotations

from gateway.config import Settings
from gateway.run.twilio_configure import configure
from gateway.sandbox.twilio import TwilioState
from tests.run.conftest import PUBLIC


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
