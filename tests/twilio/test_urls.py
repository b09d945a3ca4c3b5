"""Every URL Twilio calls: the operator contract's paths, built in one place, served as named."""

from __future__ import annotations

from gateway.run import create_app
from gateway.twilio import urls
from gateway.twilio.number_config import wanted_settings
from gateway.twilio.urls import WebhookUrls
from tests.helpers.settings import make_settings

BASE = "https://gw.example.com"


def test_absolute_urls_are_built_on_the_public_base() -> None:
    made = WebhookUrls(BASE)
    assert made.voice() == f"{BASE}/twilio/voice"
    assert made.voice(1002) == f"{BASE}/twilio/voice?interaction=1002"
    assert made.voice_status() == f"{BASE}/twilio/voice/status"
    assert made.voice_status(7) == f"{BASE}/twilio/voice/status?interaction=7"
    assert made.voice_answer("turn=1&i=2") == f"{BASE}/twilio/voice/answer?turn=1&i=2"
    assert made.voice_silence("turn=1&i=2") == f"{BASE}/twilio/voice/silence?turn=1&i=2"
    assert made.voice_machine(1002) == f"{BASE}/twilio/voice/machine?interaction=1002"
    assert made.sms() == f"{BASE}/twilio/sms"
    assert made.sms_status() == f"{BASE}/twilio/sms/status"
    assert made.sms_status(1003, "1700000000") == (
        f"{BASE}/twilio/sms/status?interaction=1003&attempt=1700000000"
    )
    assert made.sms_status(question=503) == f"{BASE}/twilio/sms/status?question=503"


def test_the_server_answers_every_path_twilio_is_given() -> None:
    app = create_app(make_settings())
    served = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None and route.resource.canonical.startswith(urls.PREFIX)
    }
    assert served == {
        ("POST", urls.VOICE),
        ("POST", urls.VOICE_STATUS),
        ("POST", urls.VOICE_ANSWER),
        ("POST", urls.VOICE_SILENCE),
        ("POST", urls.VOICE_MACHINE),
        ("POST", urls.SMS),
        ("POST", urls.SMS_STATUS),
    }


def test_numbers_are_pointed_at_the_routes_of_their_channels() -> None:
    made = WebhookUrls(BASE)
    assert wanted_settings(made, voice=True, sms=False) == {
        "voice_url": f"{BASE}/twilio/voice",
        "voice_method": "POST",
        "status_callback": f"{BASE}/twilio/voice/status",
    }
    assert wanted_settings(made, voice=False, sms=True) == {
        "sms_url": f"{BASE}/twilio/sms",
        "sms_method": "POST",
    }
