"""The emulator's REST API, through the real twilio library over HTTP."""

from __future__ import annotations

import re
from datetime import datetime

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from gateway.sandbox.credentials import DEMO_TWILIO_ACCOUNT_SID
from gateway.sandbox.twilio import Outcome, TwilioState
from tests.sandbox.conftest import (
    OUR_NUMBER,
    RESPONDENT,
    SECOND_NUMBER,
    TWILIO_LIBRARY_WARNINGS,
    twilio_client,
)

pytestmark = TWILIO_LIBRARY_WARNINGS

GATEWAY = "https://gw.example.com"


async def test_wrong_credentials_are_20003(twilio_server: TestServer) -> None:
    client = twilio_client(str(twilio_server.make_url("")).rstrip("/"), token="wrong")
    try:
        with pytest.raises(TwilioRestException) as caught:
            await client.messages.create_async(to=RESPONDENT, from_=OUR_NUMBER, body="hi")
    finally:
        await client.http_client.close()
    assert (caught.value.status, caught.value.code) == (401, 20003)
    assert "Authenticate" in caught.value.msg


async def test_another_account_in_the_path_is_20003(twilio: Client) -> None:
    other = "AC" + "1" * 32
    with pytest.raises(TwilioRestException) as caught:
        await twilio.api.v2010.accounts(other).calls("CA" + "0" * 32).fetch_async()
    assert (caught.value.status, caught.value.code) == (401, 20003)


async def test_error_body_is_twilios_shape(twilio_server: TestServer) -> None:
    url = twilio_server.make_url(f"/2010-04-01/Accounts/{DEMO_TWILIO_ACCOUNT_SID}/Calls.json")
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 401
        assert await response.json() == {
            "code": 20003,
            "message": "Authenticate",
            "more_info": "https://www.twilio.com/docs/errors/20003",
            "status": 401,
        }


async def test_account_fetch(twilio: Client) -> None:
    account = await twilio.api.v2010.accounts(DEMO_TWILIO_ACCOUNT_SID).fetch_async()
    assert (account.sid, account.status) == (DEMO_TWILIO_ACCOUNT_SID, "active")


async def test_create_call_answers_the_queued_resource(
    twilio: Client, twilio_state: TwilioState
) -> None:
    twilio_state.default_outcome = Outcome.HOLD  # keep it queued: no webhook goes out
    call = await twilio.calls.create_async(
        to=RESPONDENT, from_=OUR_NUMBER, url=f"{GATEWAY}/twilio/voice?interaction=7"
    )
    assert re.fullmatch(r"CA[0-9a-f]{32}", call.sid)
    assert (call.status, call.direction, call.to, call._from) == (
        "queued",
        "outbound-api",
        RESPONDENT,
        OUR_NUMBER,
    )
    assert call.account_sid == DEMO_TWILIO_ACCOUNT_SID
    assert call.api_version == "2010-04-01"
    assert call.date_created is not None
    assert call.uri == f"/2010-04-01/Accounts/{DEMO_TWILIO_ACCOUNT_SID}/Calls/{call.sid}.json"
    recorded = twilio_state.calls[call.sid]
    assert recorded.url == f"{GATEWAY}/twilio/voice?interaction=7"
    assert recorded.created_at > 0

    fetched = await twilio.calls(call.sid).fetch_async()
    assert fetched.sid == call.sid

    hung_up = await twilio.calls(call.sid).update_async(status="canceled")
    assert hung_up.status == "canceled"
    await recorded.wait()
    assert recorded.status == "canceled"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"to": "", "from_": OUR_NUMBER, "url": GATEWAY}, 21201),
        ({"to": RESPONDENT, "from_": "", "url": GATEWAY}, 21213),
        ({"to": RESPONDENT, "from_": OUR_NUMBER}, 21205),
        ({"to": RESPONDENT, "from_": OUR_NUMBER, "url": "not a url"}, 21205),
        ({"to": "0400 000 001", "from_": OUR_NUMBER, "url": GATEWAY}, 21211),
        ({"to": RESPONDENT, "from_": "+61299999999", "url": GATEWAY}, 21210),
        ({"to": RESPONDENT, "from_": OUR_NUMBER, "url": GATEWAY, "method": "PUT"}, 21209),
    ],
)
async def test_create_call_checks_its_parameters(
    twilio: Client, twilio_state: TwilioState, kwargs: dict[str, str], code: int
) -> None:
    with pytest.raises(TwilioRestException) as caught:
        await twilio.calls.create_async(**kwargs)
    assert (caught.value.status, caught.value.code) == (400, code)
    assert twilio_state.calls == {}


async def test_unknown_sid_is_20404(twilio: Client) -> None:
    with pytest.raises(TwilioRestException) as caught:
        await twilio.calls("CA" + "0" * 32).fetch_async()
    assert (caught.value.status, caught.value.code) == (404, 20404)
    with pytest.raises(TwilioRestException) as caught:
        await twilio.messages("SM" + "0" * 32).fetch_async()
    assert (caught.value.status, caught.value.code) == (404, 20404)


async def test_create_message(twilio: Client, twilio_state: TwilioState) -> None:
    message = await twilio.messages.create_async(to=RESPONDENT, from_=OUR_NUMBER, body="Hello")
    assert re.fullmatch(r"SM[0-9a-f]{32}", message.sid)
    assert (message.status, message.direction, message.body) == ("queued", "outbound-api", "Hello")
    assert (message.to, message.from_, message.num_segments) == (RESPONDENT, OUR_NUMBER, "1")
    [recorded] = twilio_state.messages
    assert (recorded.sid, recorded.body) == (message.sid, "Hello")
    await twilio_state.settle()
    assert recorded.status == "delivered"
    assert (await twilio.messages(message.sid).fetch_async()).status == "delivered"


async def test_message_segments(twilio: Client) -> None:
    long_gsm = await twilio.messages.create_async(to=RESPONDENT, from_=OUR_NUMBER, body="a" * 161)
    emoji = await twilio.messages.create_async(to=RESPONDENT, from_=OUR_NUMBER, body="é🙂" * 36)
    assert (long_gsm.num_segments, emoji.num_segments) == ("2", "2")


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"to": RESPONDENT, "from_": OUR_NUMBER}, 21602),
        ({"to": "61400000001", "from_": OUR_NUMBER, "body": "x"}, 21211),
        ({"to": RESPONDENT, "from_": "", "body": "x"}, 21603),
        ({"to": RESPONDENT, "from_": "+61299999999", "body": "x"}, 21606),
        ({"to": RESPONDENT, "from_": OUR_NUMBER, "body": "x" * 1601}, 21617),
    ],
)
async def test_create_message_checks_its_parameters(
    twilio: Client, twilio_state: TwilioState, kwargs: dict[str, str], code: int
) -> None:
    with pytest.raises(TwilioRestException) as caught:
        await twilio.messages.create_async(**kwargs)
    assert (caught.value.status, caught.value.code) == (400, code)
    assert twilio_state.messages == []


@pytest.mark.parametrize(
    ("code", "status"), [(21610, 400), (21211, 400), (21614, 400), (20429, 429), (20500, 500)]
)
async def test_fail_next_answers_the_error_once(
    twilio: Client, twilio_state: TwilioState, code: int, status: int
) -> None:
    twilio_state.fail_next("Messages", to=RESPONDENT, code=code)
    with pytest.raises(TwilioRestException) as caught:
        await twilio.messages.create_async(to=RESPONDENT, from_=OUR_NUMBER, body="x")
    assert (caught.value.status, caught.value.code) == (status, code)
    sent = await twilio.messages.create_async(to=RESPONDENT, from_=OUR_NUMBER, body="x")
    assert [m.sid for m in twilio_state.messages] == [sent.sid]


async def test_fail_next_matches_resource_and_number(
    twilio: Client, twilio_state: TwilioState
) -> None:
    twilio_state.default_outcome = Outcome.FAILED
    twilio_state.fail_next("Calls", to="+61400000009", code=20429, times=2)
    await twilio.messages.create_async(to="+61400000009", from_=OUR_NUMBER, body="x")
    await twilio.calls.create_async(to=RESPONDENT, from_=OUR_NUMBER, url=GATEWAY)
    for _ in range(2):
        with pytest.raises(TwilioRestException) as caught:
            await twilio.calls.create_async(to="+61400000009", from_=OUR_NUMBER, url=GATEWAY)
        assert caught.value.status == 429
    await twilio.calls.create_async(to="+61400000009", from_=OUR_NUMBER, url=GATEWAY)
    assert len(twilio_state.calls) == 2


async def test_number_errors_are_sticky(twilio: Client, twilio_state: TwilioState) -> None:
    twilio_state.number_errors[RESPONDENT] = (400, 21610)
    for _ in range(2):
        with pytest.raises(TwilioRestException) as caught:
            await twilio.messages.create_async(to=RESPONDENT, from_=OUR_NUMBER, body="x")
        assert (caught.value.code, caught.value.msg.endswith("unsubscribed recipient")) == (
            21610,
            True,
        )


async def test_lists_filter_and_page(twilio: Client, twilio_state: TwilioState) -> None:
    for index in range(5):
        await twilio.messages.create_async(to=RESPONDENT, from_=OUR_NUMBER, body=f"m{index}")
    await twilio.messages.create_async(to="+61400000002", from_=OUR_NUMBER, body="other")

    mine = await twilio.messages.list_async(to=RESPONDENT, page_size=2)
    assert [m.body for m in mine] == ["m4", "m3", "m2", "m1", "m0"]  # newest first, 3 pages
    page = await twilio.messages.page_async(to=RESPONDENT, page_size=2)
    assert page._payload["next_page_uri"].startswith(
        f"/2010-04-01/Accounts/{DEMO_TWILIO_ACCOUNT_SID}/Messages.json?To="
    )
    assert len(await twilio.messages.list_async()) == 6
    assert await twilio.calls.list_async(status="in-progress") == []


async def test_incoming_phone_numbers(twilio: Client, twilio_state: TwilioState) -> None:
    everything = await twilio.incoming_phone_numbers.list_async()
    assert [n.phone_number for n in everything] == [OUR_NUMBER, SECOND_NUMBER, "+61200000002"]
    [number] = await twilio.incoming_phone_numbers.list_async(phone_number=SECOND_NUMBER)
    assert re.fullmatch(r"PN[0-9a-f]{32}", number.sid)
    assert (number.voice_url, number.sms_url, number.capabilities["sms"]) == ("", "", True)
    assert isinstance(number.date_created, datetime)  # the library read it as RFC 2822

    updated = await twilio.incoming_phone_numbers(number.sid).update_async(
        voice_url=f"{GATEWAY}/twilio/voice",
        voice_method="POST",
        status_callback=f"{GATEWAY}/twilio/voice/status",
        sms_url=f"{GATEWAY}/twilio/sms",
        friendly_name="Survey line",
    )
    assert (updated.voice_url, updated.sms_url, updated.friendly_name) == (
        f"{GATEWAY}/twilio/voice",
        f"{GATEWAY}/twilio/sms",
        "Survey line",
    )
    fetched = await twilio.incoming_phone_numbers(number.sid).fetch_async()
    assert fetched.status_callback == f"{GATEWAY}/twilio/voice/status"
    assert twilio_state.number(SECOND_NUMBER) is not None
    assert twilio_state.number(SECOND_NUMBER).sms_url == f"{GATEWAY}/twilio/sms"  # type: ignore[union-attr]
    assert await twilio.incoming_phone_numbers.list_async(phone_number="+61200") == []


async def test_number_update_checks_urls(twilio: Client) -> None:
    [number] = await twilio.incoming_phone_numbers.list_async(phone_number=OUR_NUMBER)
    with pytest.raises(TwilioRestException) as caught:
        await twilio.incoming_phone_numbers(number.sid).update_async(voice_url="ftp://x/voice")
    assert (caught.value.status, caught.value.code) == (400, 21402)
    with pytest.raises(TwilioRestException) as caught:
        await twilio.incoming_phone_numbers("PN" + "0" * 32).update_async(voice_url=GATEWAY)
    assert (caught.value.status, caught.value.code) == (404, 20404)


async def test_every_request_is_recorded(twilio: Client, twilio_state: TwilioState) -> None:
    twilio_state.number_errors[RESPONDENT] = (400, 21610)
    with pytest.raises(TwilioRestException):
        await twilio.messages.create_async(to=RESPONDENT, from_=OUR_NUMBER, body="x")
    await twilio.incoming_phone_numbers.list_async(phone_number=OUR_NUMBER)
    first, second = twilio_state.requests
    assert (first.method, first.status, first.form) == (
        "POST",
        400,
        {"To": RESPONDENT, "From": OUR_NUMBER, "Body": "x"},
    )
    assert first.path == f"/2010-04-01/Accounts/{DEMO_TWILIO_ACCOUNT_SID}/Messages.json"
    assert (second.method, second.status, second.query["PhoneNumber"]) == ("GET", 200, OUR_NUMBER)
    assert first.time <= second.time
