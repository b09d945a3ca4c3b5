"""The emulator as an app: mounted under a prefix, control endpoints, shutdown."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer

from gateway.sandbox.credentials import DEMO_TWILIO_ACCOUNT_SID, DEMO_TWILIO_AUTH_TOKEN
from gateway.sandbox.twilio import TWILIO_STATE, GatherEvent, Outcome, create_twilio_emulator
from tests.sandbox.conftest import (
    OUR_NUMBER,
    RESPONDENT,
    TWILIO_LIBRARY_WARNINGS,
    FakeGateway,
    twilio_client,
)

pytestmark = TWILIO_LIBRARY_WARNINGS

ACCOUNT_PATH = f"/2010-04-01/Accounts/{DEMO_TWILIO_ACCOUNT_SID}"
SURVEY = (
    '<Response><Gather action="answer" numDigits="1"><Say>Pick one.</Say></Gather>'
    "<Redirect>silence</Redirect></Response>"
)


async def body_of(response: aiohttp.ClientResponse, status: int = 200) -> Any:
    text = await response.text()
    assert response.status == status, text
    return await response.json()


async def test_mounted_under_a_prefix(aiohttp_server: AiohttpServer, gateway: FakeGateway) -> None:
    emulator = create_twilio_emulator()
    parent = web.Application()
    parent.add_subapp("/twilio", emulator)
    server = await aiohttp_server(parent)
    state = emulator[TWILIO_STATE]
    gateway.answers.update(
        {"/v/voice": SURVEY, "/v/answer": "<Response><Say>Bye.</Say><Hangup/></Response>"}
    )
    state.script(RESPONDENT, ["1", "2", "3"])
    client = twilio_client(str(server.make_url("/twilio")))
    try:
        for _ in range(3):
            created = await client.calls.create_async(
                to=RESPONDENT, from_=OUR_NUMBER, url=gateway.url("/v/voice")
            )
            await asyncio.wait_for(state.calls[created.sid].wait(), 5)
        listed = await client.calls.list_async(page_size=1)  # three pages, followed
    finally:
        await client.http_client.close()

    assert [call.sid for call in listed] == list(reversed(state.calls))
    assert [hit.params.get("Digits") for hit in gateway.at("/v/answer")] == ["1", "2", "3"]
    assert state.requests[0].path == f"{ACCOUNT_PATH}/Calls.json"
    async with aiohttp.ClientSession() as session:
        calls = await body_of(await session.get(server.make_url("/twilio/_twilio/calls")))
    assert [call["status"] for call in calls] == ["completed"] * 3


async def test_unknown_paths_and_methods_answer_in_twilios_shape(
    twilio_server: TestServer,
) -> None:
    auth = aiohttp.encode_basic_auth(DEMO_TWILIO_ACCOUNT_SID, DEMO_TWILIO_AUTH_TOKEN)
    headers = {"Authorization": auth}
    async with aiohttp.ClientSession(headers=headers) as session:
        missing = await session.get(twilio_server.make_url(f"{ACCOUNT_PATH}/Queues.json"))
        assert (await body_of(missing, 404))["code"] == 20404
        wrong = await session.delete(twilio_server.make_url(f"{ACCOUNT_PATH}/Calls.json"))
        assert (await body_of(wrong, 405))["code"] == 20004


async def test_control_endpoints(twilio_server: TestServer, gateway: FakeGateway) -> None:
    state = twilio_server.app[TWILIO_STATE]
    number = state.number(OUR_NUMBER)
    assert number is not None
    number.voice_url, number.sms_url = gateway.url("/voice"), gateway.url("/sms")
    gateway.answers.update(
        {
            "/voice": SURVEY,
            "/answer": "<Response><Say>Thanks.</Say></Response>",
            "/sms": "<Response><Message>Got it</Message></Response>",
        }
    )

    def url(path: str) -> Any:
        return twilio_server.make_url(f"/_twilio/{path}")

    async with aiohttp.ClientSession() as http:
        outcomes = await body_of(await http.post(url("outcomes"), json={RESPONDENT: "busy"}))
        assert outcomes == {RESPONDENT: "busy"}
        assert state.outcome_for(RESPONDENT) is Outcome.BUSY
        await body_of(await http.post(url("outcomes"), json={RESPONDENT: "nope"}), 400)

        detection = await body_of(await http.post(url("detection"), json={"moment": "after"}))
        assert detection == {"moment": "after"}
        assert state.detection_moment == "after"
        await body_of(await http.post(url("detection"), json={"moment": "later"}), 400)

        scripted = await body_of(
            await http.post(url("scripts"), json={"number": "+61400000007", "inputs": ["5#"]})
        )
        assert scripted == {"number": "+61400000007", "inputs": ["5#"]}
        await body_of(await http.post(url("scripts"), json={"number": "x", "inputs": ["?"]}), 400)

        sms = await http.post(
            url("inbound/sms"), json={"from": RESPONDENT, "to": OUR_NUMBER, "body": "hi"}
        )
        assert await body_of(sms) == {"replies": ["Got it"]}

        call = await body_of(
            await http.post(
                url("inbound/call"), json={"from": RESPONDENT, "to": OUR_NUMBER, "inputs": ["3"]}
            )
        )
        assert (call["status"], call["direction"]) == ("completed", "inbound")
        assert call["transcript"] == [["say", "Pick one."], ["input", "3"], ["say", "Thanks."]]
        assert [w["url"] for w in call["webhooks"]] == ["/voice", "/answer"]
        unknown = {"from": RESPONDENT, "to": "+61299999999", "inputs": []}
        await body_of(await http.post(url("inbound/call"), json=unknown), 400)

        failure = {"resource": "Messages", "code": 20429}
        added = await body_of(await http.post(url("failures"), json=failure), 201)
        assert (added["status"], added["times"], added["to"]) == (429, 1, None)
        await body_of(await http.post(url("failures"), json={"resource": "Faxes", "code": 1}), 400)

        messages = await body_of(await http.get(url("messages"), params={"to": RESPONDENT}))
        assert [m["body"] for m in messages] == ["Got it"]
        assert len(await body_of(await http.get(url("calls")))) == 1
        assert await body_of(await http.get(url("requests"))) == []  # control is not recorded

        assert await body_of(await http.post(url("reset"))) == {"reset": True}
        assert (state.calls, state.messages, state.outcomes, len(state.forced)) == ({}, [], {}, 0)
        assert state.number(OUR_NUMBER).voice_url == ""  # type: ignore[union-attr]


async def test_shutdown_cancels_every_call(
    aiohttp_server: AiohttpServer, gateway: FakeGateway
) -> None:
    emulator = create_twilio_emulator()
    server = await aiohttp_server(emulator)
    state = emulator[TWILIO_STATE]
    state.outcomes["+61400000009"] = Outcome.HOLD
    gateway.answers["/voice"] = SURVEY
    asked = asyncio.Event()

    async def responder(event: GatherEvent) -> str:
        asked.set()
        await asyncio.Event().wait()  # the respondent thinks forever
        return "1"

    state.responders[RESPONDENT] = responder
    client = twilio_client(str(server.make_url("")).rstrip("/"))
    try:
        for to in (RESPONDENT, "+61400000009"):
            await client.calls.create_async(to=to, from_=OUR_NUMBER, url=gateway.url("/voice"))
    finally:
        await client.http_client.close()
    await asyncio.wait_for(asked.wait(), 5)
    assert len(state.tasks) == 2

    await server.close()

    assert state.tasks == set()
    assert all(call.finished.is_set() for call in state.calls.values())
    assert state.http is None


async def test_custom_account_and_numbers(aiohttp_server: AiohttpServer) -> None:
    account, number = "AC" + "9" * 32, "+61200000009"
    emulator = create_twilio_emulator(account_sid=account, auth_token="secret", numbers=[number])
    server = await aiohttp_server(emulator)
    client = twilio_client(str(server.make_url("")).rstrip("/"), "secret", account)
    try:
        [found] = await client.incoming_phone_numbers.list_async()
    finally:
        await client.http_client.close()
    assert found.phone_number == number
