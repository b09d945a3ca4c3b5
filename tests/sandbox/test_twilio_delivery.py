"""Messages on their way: status callbacks as Twilio sends them, and deliveries set to fail."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from twilio.rest import Client

from gateway.sandbox.twilio import TwilioState
from tests.sandbox.conftest import (
    OUR_NUMBER,
    RESPONDENT,
    TWILIO_LIBRARY_WARNINGS,
    FakeGateway,
)

pytestmark = TWILIO_LIBRARY_WARNINGS


async def send(twilio: Client, gateway: FakeGateway, to: str = RESPONDENT) -> Any:
    return await twilio.messages.create_async(
        to=to, from_=OUR_NUMBER, body="Question 1?", status_callback=gateway.url("/status?i=7")
    )


async def test_a_delivered_message_reports_sent_then_delivered(
    twilio: Client, twilio_state: TwilioState, gateway: FakeGateway
) -> None:
    created = await send(twilio, gateway)
    assert created.status == "queued"
    await twilio_state.settle()
    hits = gateway.at("/status")
    assert [(h.path, h.signed, h.params["MessageStatus"]) for h in hits] == [
        ("/status?i=7", True, "sent"),
        ("/status?i=7", True, "delivered"),
    ]
    assert hits[0].params == {
        "AccountSid": twilio_state.account_sid,
        "ApiVersion": "2010-04-01",
        "From": OUR_NUMBER,
        "To": RESPONDENT,
        "MessageSid": created.sid,
        "SmsSid": created.sid,
        "MessageStatus": "sent",
        "SmsStatus": "sent",
    }


@pytest.mark.parametrize(
    ("code", "statuses"),
    [
        (30003, ["sent", "undelivered"]),
        (30007, ["sent", "undelivered"]),
        (21610, ["failed"]),
        (21614, ["failed"]),
    ],
)
async def test_a_message_set_to_fail_reports_its_error_code(
    twilio: Client,
    twilio_state: TwilioState,
    gateway: FakeGateway,
    code: int,
    statuses: list[str],
) -> None:
    twilio_state.fail_delivery(RESPONDENT, code, times=1)
    created = await send(twilio, gateway)
    assert created.status == "queued"  # accepted: the failure comes later
    await twilio_state.settle()
    hits = gateway.at("/status")
    assert [h.params["MessageStatus"] for h in hits] == statuses
    assert all("ErrorCode" not in hit.params for hit in hits[:-1])
    assert hits[-1].params["ErrorCode"] == str(code)
    fetched = await twilio.messages(created.sid).fetch_async()
    assert (fetched.status, fetched.error_code) == (statuses[-1], code)
    # times=1: the next one is delivered.
    await send(twilio, gateway)
    await twilio_state.settle()
    assert gateway.at("/status")[-1].params["MessageStatus"] == "delivered"


async def test_a_reply_with_an_action_is_delivered_and_reported(
    twilio_state: TwilioState, gateway: FakeGateway
) -> None:
    gateway.answers["/sms"] = (
        '<Response><Message action="/status?q=5">Question 2?</Message>'
        '<Message statusCallback="/old-status">Also this.</Message>'
        "<Message>And this.</Message></Response>"
    )
    number = twilio_state.number(OUR_NUMBER)
    assert number is not None
    number.sms_url = gateway.url("/sms")
    twilio_state.fail_delivery(RESPONDENT, 30006, times=1)
    # The first reply is set to fail: it never arrives.
    assert await twilio_state.inbound_sms(RESPONDENT, OUR_NUMBER, "9") == [
        "Also this.",
        "And this.",
    ]
    await twilio_state.settle()
    # Each message's statuses in order (the two deliveries run side by side).
    heard: dict[str, list[str]] = {}
    for hit in gateway.hits[1:]:
        heard.setdefault(hit.path, []).append(hit.params["MessageStatus"])
    assert heard == {"/status?q=5": ["sent", "undelivered"], "/old-status": ["sent", "delivered"]}
    failed = next(h for h in gateway.hits if h.params.get("MessageStatus") == "undelivered")
    assert (failed.signed, failed.params["ErrorCode"]) == (True, "30006")
    replies = [m for m in twilio_state.messages if m.direction == "outbound-reply"]
    assert [(m.status, m.error_code) for m in replies] == [
        ("undelivered", 30006),
        ("delivered", None),
        ("sent", None),  # no callback: sent at once, as before
    ]


async def test_delivery_failures_over_http(
    twilio_server: TestServer, twilio_state: TwilioState
) -> None:
    url = twilio_server.make_url("/_twilio/delivery_failures")
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json={"to": RESPONDENT, "code": 30007}) as response:
            assert response.status == 201
            assert await response.json() == {
                "to": RESPONDENT,
                "code": 30007,
                "status": "undelivered",
                "times": None,
            }
        for bad in (
            {"to": RESPONDENT},
            {"to": RESPONDENT, "code": "30007"},
            {"to": RESPONDENT, "code": 30007, "status": "lost"},
            {"to": RESPONDENT, "code": 30007, "times": 0},
            {"code": 30007},
        ):
            async with session.post(url, json=bad) as response:
                assert response.status == 400, bad
        async with session.post(twilio_server.make_url("/_twilio/reset")) as response:
            assert response.status == 200
    assert twilio_state.delivery_failures == []
