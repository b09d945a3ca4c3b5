"""The softphone's HTTP line: a call driven one Gather at a time from another process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from gateway.sandbox.twilio import MessageRecord, TwilioState
from tests.sandbox.conftest import OUR_NUMBER, RESPONDENT, SECOND_NUMBER, FakeGateway

QUESTION = (
    '<Response><Gather action="/answer" input="dtmf speech" numDigits="1">'
    "<Say>Was it good?</Say></Gather><Redirect>/silence</Redirect></Response>"
)
CLOSING = "<Response><Say>Thanks, bye.</Say><Hangup/></Response>"


class Phone:
    """What the terminal softphone does, over HTTP."""

    def __init__(self, http: aiohttp.ClientSession, server: TestServer) -> None:
        self.http, self.server = http, server

    async def request(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        url = self.server.make_url(f"/_twilio/phone/{path}")
        async with self.http.request(method, url, **kwargs) as response:
            assert response.status == status, await response.text()
            return await response.json()

    async def next(self, sid: str) -> Any:
        return await self.request("GET", f"calls/{sid}/next", params={"timeout": "5"})

    async def press(self, sid: str, text: str, status: int = 200) -> Any:
        return await self.request("POST", f"calls/{sid}/input", status, json={"input": text})


@pytest.fixture
async def phone(twilio_server: TestServer) -> AsyncIterator[Phone]:
    async with aiohttp.ClientSession() as http:
        yield Phone(http, twilio_server)


@pytest.fixture
def wired(twilio_state: TwilioState, gateway: FakeGateway) -> FakeGateway:
    number = twilio_state.number(OUR_NUMBER)
    assert number is not None
    number.voice_url = gateway.url("/voice")
    gateway.answers.update({"/voice": QUESTION, "/answer": CLOSING, "/silence": CLOSING})
    return gateway


async def test_calling_in_from_the_softphone(phone: Phone, wired: FakeGateway) -> None:
    placed = await phone.request("POST", "call", 201, json={"from": RESPONDENT, "to": OUR_NUMBER})
    sid = placed["sid"]

    turn = await phone.next(sid)
    assert turn == {
        "state": "gather",
        "heard": [["say", "Was it good?"]],
        "input": "dtmf speech",
        "num_digits": 1,
        "finish_on_key": "#",
    }
    assert await phone.press(sid, "speech:very good") == {"sid": sid, "input": "speech:very good"}

    assert await phone.next(sid) == {
        "state": "ended",
        "status": "completed",
        "heard": [["say", "Thanks, bye."]],
    }
    assert wired.at("/answer")[0].params["SpeechResult"] == "very good"


async def test_answering_an_outbound_call(
    phone: Phone, twilio_state: TwilioState, wired: FakeGateway
) -> None:
    await phone.request("POST", "answer", json={"number": RESPONDENT})
    waiting = await phone.request("GET", "ringing", params={"number": RESPONDENT, "timeout": "0"})
    assert waiting == {"state": "waiting"}

    async with aiohttp.ClientSession() as http:  # the dispatcher, placing the call
        auth = aiohttp.encode_basic_auth(twilio_state.account_sid, twilio_state.auth_token)
        path = f"/2010-04-01/Accounts/{twilio_state.account_sid}/Calls.json"
        form = {"To": RESPONDENT, "From": OUR_NUMBER, "Url": wired.url("/voice")}
        url = phone.server.make_url(path)
        async with http.post(url, data=form, headers={"Authorization": auth}) as created:
            assert created.status == 201

    ringing = await phone.request("GET", "ringing", params={"number": RESPONDENT})
    assert (ringing["state"], ringing["from"]) == ("ringing", OUR_NUMBER)
    sid = ringing["sid"]
    assert (await phone.next(sid))["state"] == "gather"
    await phone.press(sid, "hangup")
    ended = await phone.next(sid)
    assert (ended["state"], ended["status"], ended["heard"]) == ("ended", "completed", [])
    # Handed out once: asking again waits for the next call.
    again = await phone.request("GET", "ringing", params={"number": RESPONDENT, "timeout": "0"})
    assert again == {"state": "waiting"}


async def test_what_the_line_refuses(phone: Phone, wired: FakeGateway) -> None:
    placed = await phone.request("POST", "call", 201, json={"from": RESPONDENT, "to": OUR_NUMBER})
    assert (await phone.press(placed["sid"], "yes please", 400))["error"].startswith("not a")
    await phone.request("GET", f"calls/CA{'0' * 32}/next", 404)
    await phone.request("POST", "call", 400, json={"from": RESPONDENT, "to": "+61299999999"})
    await phone.request("GET", "ringing", 400, params={"number": RESPONDENT, "timeout": "x"})
    await phone.press(placed["sid"], "hangup")
    assert (await phone.next(placed["sid"]))["state"] == "ended"


async def test_messages_to_the_softphone(
    phone: Phone, twilio_state: TwilioState, wired: FakeGateway
) -> None:
    number = twilio_state.number(OUR_NUMBER)
    assert number is not None
    number.sms_url = wired.url("/sms")
    wired.answers["/sms"] = "<Response><Message>How was it?</Message></Response>"
    feed = {"number": RESPONDENT, "from": OUR_NUMBER}
    assert await phone.request("GET", "messages", params={**feed, "timeout": "0"}) == {
        "messages": [],
        "next": 0,
    }

    # A long-poll under way hears of the reply to the respondent's text.
    polling = asyncio.ensure_future(phone.request("GET", "messages", params=feed))
    await asyncio.sleep(0.05)
    assert await twilio_state.inbound_sms(RESPONDENT, OUR_NUMBER, "hi") == ["How was it?"]
    reply = twilio_state.messages[1]
    assert await asyncio.wait_for(polling, 5) == {
        "messages": [
            {
                "sid": reply.sid,
                "from": OUR_NUMBER,
                "to": RESPONDENT,
                "body": "How was it?",
                "direction": "outbound-reply",
            }
        ],
        "next": 2,
    }
    # From the cursor on: only what came later, from that sender, and not refused.
    later = [
        MessageRecord(twilio_state.account_sid, to=RESPONDENT, from_=SECOND_NUMBER, body="other"),
        MessageRecord(twilio_state.account_sid, to=RESPONDENT, from_=OUR_NUMBER, body="x"),
        MessageRecord(twilio_state.account_sid, to=RESPONDENT, from_=OUR_NUMBER, body="Again?"),
    ]
    later[1].status = "failed"
    for message in later:
        twilio_state.add_message(message)
    after = await phone.request("GET", "messages", params={**feed, "after": "2", "timeout": "0"})
    assert ([m["body"] for m in after["messages"]], after["next"]) == (["Again?"], 5)


async def test_messages_wait_and_refuse(phone: Phone, twilio_state: TwilioState) -> None:
    quiet = await phone.request(
        "GET", "messages", params={"number": RESPONDENT, "after": "0", "timeout": "0.05"}
    )
    assert quiet == {"messages": [], "next": 0}
    # A cursor from before a reset starts again from the first message.
    twilio_state.add_message(MessageRecord(twilio_state.account_sid, RESPONDENT, OUR_NUMBER, "hi"))
    reset = await phone.request(
        "GET", "messages", params={"number": RESPONDENT, "after": "7", "timeout": "0"}
    )
    assert ([m["body"] for m in reset["messages"]], reset["next"]) == (["hi"], 1)
    await phone.request("GET", "messages", 400, params={"timeout": "0"})
    await phone.request("GET", "messages", 400, params={"number": RESPONDENT, "after": "x"})


async def test_a_reset_ends_the_long_polls_at_once(phone: Phone, twilio_state: TwilioState) -> None:
    # Shutdown does the same (it cancels the state's tasks), so a stopping
    # server is not held up by a softphone waiting for a call or a text.
    waits = [
        phone.request("GET", "ringing", params={"number": RESPONDENT, "timeout": "30"}),
        phone.request("GET", "messages", params={"number": RESPONDENT, "timeout": "30"}),
    ]
    polling = asyncio.gather(*waits)
    await asyncio.sleep(0.05)
    twilio_state.reset()
    ringing, messages = await asyncio.wait_for(polling, 2)
    assert (ringing, messages) == ({"state": "waiting"}, {"messages": [], "next": 0})
    assert not twilio_state.tasks
