"""Slow creates: a Calls or Messages create held back before it is made, or before its answer."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from gateway.sandbox.twilio import TWILIO_STATE, Outcome, TwilioState, create_twilio_emulator
from tests.sandbox.conftest import (
    OUR_NUMBER,
    RESPONDENT,
    TWILIO_LIBRARY_WARNINGS,
    FakeGateway,
    body_of,
    twilio_client,
)

pytestmark = TWILIO_LIBRARY_WARNINGS

GATEWAY = "https://gw.example.com"
OTHER = "+61400000009"


async def until(check: Callable[[], object], within: float = 5.0) -> None:
    """Wait until ``check()`` is true; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.01)


def send(twilio: Client, to: str = RESPONDENT) -> asyncio.Task[Any]:
    return asyncio.create_task(twilio.messages.create_async(to=to, from_=OUR_NUMBER, body="x"))


def dial(
    twilio: Client, to: str = RESPONDENT, url: str = GATEWAY, **extra: Any
) -> asyncio.Task[Any]:
    return asyncio.create_task(twilio.calls.create_async(to=to, from_=OUR_NUMBER, url=url, **extra))


async def timed(work: asyncio.Task[Any]) -> tuple[Any, float]:
    """What ``work`` (just started) gives, and how long it took."""
    started = time.monotonic()
    result = await work
    return result, time.monotonic() - started


# --- after=True: made at once, answered late ---------------------------------


async def test_after_the_call_lives_before_its_create_is_answered(
    twilio: Client, twilio_state: TwilioState, gateway: FakeGateway
) -> None:
    twilio_state.slow_create("Calls", 1.0, after=True)
    started = time.monotonic()
    creating = dial(twilio, url=gateway.url("/voice"), status_callback=gateway.url("/status"))

    listed: list[str] = []
    while not listed and not creating.done():
        listed = [call.sid for call in await twilio.calls.list_async(to=RESPONDENT)]
    assert not creating.done(), "the create was answered before the call was listed"
    # Its lifecycle runs meanwhile: answered, TwiML fetched, over.
    await until(lambda: gateway.statuses() == ["completed"] or creating.done())
    assert not creating.done(), "the create was answered before the call ended"
    fetched = await twilio.calls(listed[0]).fetch_async()
    assert fetched.status == "completed"

    call = await creating
    assert time.monotonic() - started >= 1.0
    # The answer is the one made when Twilio accepted the call.
    assert (call.sid, call.status) == (listed[0], "queued")


async def test_after_the_message_exists_before_its_create_is_answered(
    twilio: Client, twilio_state: TwilioState
) -> None:
    twilio_state.slow_create("Messages", 1.0, after=True)
    started = time.monotonic()
    creating = send(twilio)
    await until(lambda: twilio_state.messages or creating.done())
    assert not creating.done(), "the create was answered before the message existed"
    listed = [m.sid for m in await twilio.messages.list_async(to=RESPONDENT)]
    assert listed == [twilio_state.messages[0].sid]

    message = await creating
    assert time.monotonic() - started >= 1.0
    assert message.sid == listed[0]


async def test_a_late_answer_is_late_for_an_error_too(
    twilio: Client, twilio_state: TwilioState
) -> None:
    twilio_state.slow_create("Messages", 0.5, after=True)
    twilio_state.fail_next("Messages", code=20429)
    started = time.monotonic()
    with pytest.raises(TwilioRestException) as caught:
        await twilio.messages.create_async(to=RESPONDENT, from_=OUR_NUMBER, body="x")
    assert (caught.value.status, caught.value.code) == (429, 20429)
    assert time.monotonic() - started >= 0.5
    assert len(twilio_state.messages) == 0


# --- after=False: made late, but made ----------------------------------------


async def test_before_the_call_exists_only_when_the_delay_is_over(
    twilio: Client, twilio_state: TwilioState
) -> None:
    twilio_state.default_outcome = Outcome.FAILED  # over at once, no webhook
    twilio_state.slow_create("Calls", 0.5)
    started = time.monotonic()
    creating = dial(twilio)
    await until(lambda: twilio_state.requests)  # it has reached the emulator
    await asyncio.sleep(0.2)
    assert not creating.done()
    assert list(twilio_state.calls) == []
    assert await twilio.calls.list_async() == []

    call = await creating
    assert time.monotonic() - started >= 0.5
    assert list(twilio_state.calls) == [call.sid]


async def test_before_the_call_is_made_when_the_client_gives_up(
    twilio: Client, twilio_state: TwilioState
) -> None:
    twilio_state.default_outcome = Outcome.FAILED
    twilio_state.slow_create("Calls", 0.5)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(
            twilio.calls.create_async(to=RESPONDENT, from_=OUR_NUMBER, url=GATEWAY), 0.1
        )
    assert list(twilio_state.calls) == []

    await until(lambda: twilio_state.calls)
    (call,) = twilio_state.calls.values()
    assert call.to == RESPONDENT
    # Never answered: the client really had gone (and its handler with it).
    assert [r.status for r in twilio_state.requests] == [None]


async def test_before_the_message_is_sent_when_the_create_is_cancelled(
    twilio: Client, twilio_state: TwilioState
) -> None:
    twilio_state.slow_create("Messages", 0.3)
    creating = send(twilio)
    await until(lambda: twilio_state.requests)
    creating.cancel()
    with pytest.raises(asyncio.CancelledError):
        await creating
    assert len(twilio_state.messages) == 0

    await until(lambda: twilio_state.messages)
    assert [m.to for m in twilio_state.messages] == [RESPONDENT]


# --- which creates -------------------------------------------------------------


async def test_times_to_and_resource_are_honoured(
    twilio: Client, twilio_state: TwilioState
) -> None:
    twilio_state.slow_create("Calls", 0.5)  # not for messages
    twilio_state.slow_create("Messages", 0.5, to=RESPONDENT, times=2)

    _, waited = await timed(send(twilio, OTHER))
    assert waited < 0.5
    assert [k["times"] for k in twilio_state.slow.as_json()] == [1, 2]

    slow = await asyncio.gather(timed(send(twilio)), timed(send(twilio)))
    assert [waited >= 0.5 for _, waited in slow] == [True, True]
    assert [k["resource"] for k in twilio_state.slow.as_json()] == ["Calls"]

    _, waited = await timed(send(twilio))
    assert waited < 0.5
    assert len(twilio_state.messages) == 4


@pytest.mark.parametrize(
    ("resource", "delay", "times"),
    [("Calls", -0.1, 1), ("Calls", math.nan, 1), ("Calls", 1.0, 0), ("Faxes", 1.0, 1)],
)
def test_bad_slow_creates_are_refused(
    twilio_app: web.Application, resource: Any, delay: float, times: int
) -> None:
    state = twilio_app[TWILIO_STATE]
    with pytest.raises(ValueError):
        state.slow_create(resource, delay, times=times)
    assert len(state.slow) == 0


# --- reset and shutdown ----------------------------------------------------------


async def test_reset_cuts_the_waits_short(twilio: Client, twilio_state: TwilioState) -> None:
    twilio_state.default_outcome = Outcome.HOLD
    twilio_state.slow_create("Calls", 30, to=RESPONDENT)
    twilio_state.slow_create("Calls", 30, to=OTHER, after=True)
    not_made, made = dial(twilio), dial(twilio, OTHER)
    await until(lambda: len(twilio_state.requests) == 2 and twilio_state.calls)

    twilio_state.reset()

    # Not made yet: never made, and the client is told so.
    with pytest.raises(TwilioRestException) as caught:
        await asyncio.wait_for(not_made, 5)
    assert (caught.value.status, caught.value.code) == (503, 20503)
    # Made already: its answer goes out now.
    call = await asyncio.wait_for(made, 5)
    assert call.to == OTHER
    assert (len(twilio_state.calls), len(twilio_state.slow), len(twilio_state.tasks)) == (0, 0, 0)


async def test_shutdown_does_not_wait_for_a_slow_create(aiohttp_server: AiohttpServer) -> None:
    emulator = create_twilio_emulator()
    server = await aiohttp_server(emulator)
    state = emulator[TWILIO_STATE]
    state.slow_create("Messages", 30)
    client = twilio_client(str(server.make_url("")).rstrip("/"))
    try:
        creating = send(client)
        await until(lambda: state.requests)
        await asyncio.wait_for(server.close(), 5)
        creating.cancel()
        await asyncio.gather(creating, return_exceptions=True)
    finally:
        await client.http_client.close()
    assert (len(state.messages), len(state.tasks)) == (0, 0)


# --- the control API -------------------------------------------------------------


async def test_slow_creates_through_the_control_api(
    twilio: Client, twilio_server: TestServer, twilio_state: TwilioState
) -> None:
    twilio_state.default_outcome = Outcome.FAILED
    slow = {"resource": "Calls", "delay": 1, "after": True, "to": RESPONDENT, "times": 2}
    async with aiohttp.ClientSession() as http:
        added = await body_of(
            await http.post(twilio_server.make_url("/_twilio/slow"), json=slow), 201
        )
        assert added == {**slow, "delay": 1.0}

        creating = dial(twilio)
        calls: list[Any] = []
        while not calls and not creating.done():
            calls = await body_of(await http.get(twilio_server.make_url("/_twilio/calls")))
        assert not creating.done(), "the create was answered before the call was listed"
        assert (await creating).sid == calls[0]["sid"]

        await body_of(await http.post(twilio_server.make_url("/_twilio/reset")))
        assert len(twilio_state.slow) == 0
        _, waited = await timed(dial(twilio))
        assert waited < 1.0


async def test_the_defaults_through_the_control_api(
    twilio_server: TestServer, twilio_state: TwilioState
) -> None:
    async with aiohttp.ClientSession() as http:
        slow = {"resource": "Messages", "delay": 0.25}
        added = await body_of(
            await http.post(twilio_server.make_url("/_twilio/slow"), json=slow), 201
        )
    assert added == {"resource": "Messages", "delay": 0.25, "after": False, "to": None, "times": 1}
    assert twilio_state.slow.as_json() == [added]


@pytest.mark.parametrize(
    "body",
    [
        {"resource": "Calls", "delay": -1},
        {"resource": "Calls", "delay": math.inf},
        {"resource": "Calls", "delay": 10**400},
        {"resource": "Calls", "delay": 1, "times": 0},
        {"resource": "Faxes", "delay": 1},
        {"delay": 1},
        {"resource": "Calls"},
        {"resource": "Calls", "delay": "1"},
        {"resource": "Calls", "delay": True},
        {"resource": "Calls", "delay": 1, "after": "yes"},
        {"resource": "Calls", "delay": 1, "to": 61400000001},
        {"resource": "Calls", "delay": 1, "times": 1.5},
        {"resource": "Calls", "delay": 1, "times": True},
        ["Calls", 1],
    ],
)
async def test_bad_slow_creates_are_400(
    twilio_server: TestServer, twilio_state: TwilioState, body: Any
) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(twilio_server.make_url("/_twilio/slow"), json=body) as response,
    ):
        answer = await body_of(response, 400)
    assert isinstance(answer["error"], str)
    assert len(twilio_state.slow) == 0
