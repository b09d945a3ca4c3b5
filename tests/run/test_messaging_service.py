"""`gateway twilio configure` and `gateway doctor` with Messaging Services.

A reply to a text sent through a service may reach any number of its pool;
the service decides where it is posted, so configure points the service at
``/twilio/sms`` and doctor says where its inbound messages go.
"""

from __future__ import annotations

from typing import Any

from gateway.config import Settings
from gateway.run.doctor import run_checks
from gateway.run.twilio_configure import configure
from gateway.sandbox.twilio import TwilioState
from tests.helpers.settings import make_settings
from tests.run.conftest import PUBLIC

SERVICE, SURVEY_SERVICE = "MG" + "5e" * 16, "MG" + "0f" * 16
POOL = ["+61200000002", "+61200000000"]


def with_services(settings: Settings, **values: Any) -> Settings:
    """The setup's settings with Messaging Service settings, read as at start-up."""
    return make_settings(
        sdx_api_url=settings.sdx_api_url,
        twilio_api_url=settings.twilio_api_url,
        gateway_public_url=PUBLIC,
        redis_url=settings.redis_url,
        **values,
    )


async def test_configure_points_the_service_at_the_gateway(
    setup: tuple[Settings, TwilioState],
) -> None:
    settings, twilio = setup
    service = twilio.add_service(POOL, sid=SERVICE)
    service.use_inbound_webhook_on_number = True  # "defer to sender's webhook"
    settings = with_services(settings, twilio_messaging_service_sid=SERVICE)
    lines: list[str] = []
    assert await configure(settings, dry_run=True, say=lines.append) == 0
    assert lines[-4:] == [
        f"messaging service {SERVICE}: would change",
        f"    inbound_request_url: (empty) -> {PUBLIC}/twilio/sms",
        "    use_inbound_webhook_on_number: true -> false",
        "dry run: nothing was changed",
    ]
    assert service.inbound_request_url is None
    lines.clear()
    assert await configure(settings, dry_run=False, say=lines.append) == 0
    assert f"messaging service {SERVICE}: changed" in lines
    assert (service.inbound_request_url, service.inbound_method) == (f"{PUBLIC}/twilio/sms", "POST")
    assert service.use_inbound_webhook_on_number is False
    lines.clear()
    assert await configure(settings, dry_run=False, say=lines.append) == 0
    assert lines[-1] == f"messaging service {SERVICE}: already sends replies to this gateway"


async def test_configure_covers_each_surveys_service_and_names_the_missing(
    setup: tuple[Settings, TwilioState],
) -> None:
    settings, twilio = setup
    twilio.add_service(POOL, sid=SURVEY_SERVICE)
    settings = with_services(
        settings,
        twilio_messaging_service_sid=SERVICE,  # not in the account
        gateway_numbers=f"+61200000002=54,{SURVEY_SERVICE}=54",
    )
    lines: list[str] = []
    assert await configure(settings, dry_run=False, say=lines.append) == 1
    assert f"messaging service {SURVEY_SERVICE}: changed" in lines
    assert lines[-1].startswith(f"messaging service {SERVICE}: not in this Twilio account")
    assert twilio.services[SURVEY_SERVICE].inbound_request_url == f"{PUBLIC}/twilio/sms"


async def test_configure_says_a_service_without_numbers_cannot_send(
    setup: tuple[Settings, TwilioState],
) -> None:
    settings, twilio = setup
    twilio.add_service([], sid=SERVICE)
    settings = with_services(settings, twilio_messaging_service_sid=SERVICE)
    lines: list[str] = []
    assert await configure(settings, dry_run=True, say=lines.append) == 1
    assert f"messaging service {SERVICE}: has no phone numbers" in "\n".join(lines)


async def test_doctor_checks_the_service_and_says_where_replies_go(
    setup: tuple[Settings, TwilioState],
) -> None:
    settings, twilio = setup
    twilio.add_service(POOL, sid=SERVICE)
    settings = with_services(settings, twilio_messaging_service_sid=SERVICE)
    lines: list[str] = []
    await run_checks(settings, lines.append)
    assert (
        f"FAIL  messaging service {SERVICE}: inbound messages go to nowhere (Twilio drops "
        "them), not this gateway\n      fix: run: gateway twilio configure"
    ) in lines
    await configure(settings, dry_run=False, say=lambda _: None)
    lines.clear()
    await run_checks(settings, lines.append)
    assert (
        f"ok    messaging service {SERVICE}: sends from 2 number(s); inbound messages go to "
        f"{PUBLIC}/twilio/sms"
    ) in lines
    # Deferring to the numbers' own webhooks is not enough: the pool's other
    # numbers route no survey and were never pointed here.
    twilio.services[SERVICE].use_inbound_webhook_on_number = True
    lines.clear()
    await run_checks(settings, lines.append)
    assert any(
        line.startswith(f"FAIL  messaging service {SERVICE}: inbound messages go to each number's")
        for line in lines
    )


async def test_doctor_fails_a_missing_or_empty_service(
    setup: tuple[Settings, TwilioState],
) -> None:
    settings, twilio = setup
    twilio.add_service([], sid=SURVEY_SERVICE)
    settings = with_services(
        settings,
        twilio_messaging_service_sid=SERVICE,
        gateway_numbers=f"+61200000002=54,{SURVEY_SERVICE}=54",
    )
    lines: list[str] = []
    await run_checks(settings, lines.append)
    text = "\n".join(lines)
    assert f"FAIL  messaging service {SERVICE}: not in this Twilio account" in text
    assert "fix: correct TWILIO_MESSAGING_SERVICE_SID or GATEWAY_NUMBERS' MG... entries" in text
    assert f"FAIL  messaging service {SURVEY_SERVICE}: has no phone numbers" in text


async def test_doctor_without_services_checks_none(setup: tuple[Settings, TwilioState]) -> None:
    settings, _ = setup
    lines: list[str] = []
    await run_checks(settings, lines.append)
    assert not [line for line in lines if "messaging service" in line]
