"""``phone answer``: picking up a call the dispatcher places, against the sandbox and a gateway."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from gateway.dispatch.calls import STATUS_EVENTS
from gateway.sandbox.softphone.answer import answer_calls
from gateway.sandbox.softphone.call import HOW_TO
from gateway.twilio.rest import TwilioRest
from tests.sandbox.softphone.conftest import (
    OUTBOUND,
    OUTBOUND_LINE,
    RESPONDENT,
    ScriptedConsole,
    World,
)

WAITING = f"Waiting for calls to {RESPONDENT} (Ctrl-C to stop)"
RINGING = f"Incoming call from {OUTBOUND_LINE} (Enter to answer, Ctrl-D to quit) "


@pytest.fixture
async def twilio(world: World) -> AsyncIterator[TwilioRest]:
    rest = TwilioRest(world.settings)
    await rest.start()
    yield rest
    await rest.close()


async def _dial(world: World, twilio: TwilioRest, *, detect: bool = False) -> str:
    """Call the respondent for the outbound interaction, as the dispatcher does
    (``detect``: with asynchronous answering machine detection)."""
    base = world.gateway_url
    placed = await twilio.create_call(
        to=RESPONDENT,
        from_=OUTBOUND_LINE,
        url=f"{base}/twilio/voice?interaction={OUTBOUND}",
        status_callback=f"{base}/twilio/voice/status?interaction={OUTBOUND}",
        events=STATUS_EVENTS,
        machine_detection="Enable" if detect else None,
        machine_callback=f"{base}/twilio/voice/machine?interaction={OUTBOUND}" if detect else None,
    )
    return placed.sid


async def test_answering_an_outbound_call_once(world: World, twilio: TwilioRest) -> None:
    console = ScriptedConsole(["", "8#", "5", "2", "Call me sooner"])
    answering = asyncio.ensure_future(answer_calls(world.phone(), console, RESPONDENT, once=True))
    await console.shown(WAITING)  # the softphone is on the line before the call is placed
    await _dial(world, twilio)

    assert await asyncio.wait_for(answering, 5) == "completed"

    assert console.output == [
        WAITING,
        RINGING,
        HOW_TO,
        "[speaking en-US (Polly.Joanna)]",  # the default's
        "Hello, this is Example Co calling with a short survey about your recent support case.",
        "Answer each question with your keypad or by saying your answer. "
        "After a number, press the hash key.",
        "How likely are you to recommend us to a friend, from 0 to 10?",
        "(keys, # to finish, or say something) > 8#",
        "On a scale of 1 to 5, how satisfied were you with our follow-up?",
        "(press a key, or say something) > 5",
        "Was your issue resolved? Press 1 or say yes for yes, press 2 or say no for no.",
        "(press a key, or say something) > 2",
        "Please tell us how we could do better. Speak after the tone.",
        "(say something) > Call me sooner",
        "That is all. Thank you for your time. Goodbye.",
        "-- call ended (completed)",
    ]
    assert world.answers(OUTBOUND) == [
        ("recommend", "8"),
        ("satisfaction", "5"),
        ("resolved", "No"),
        ("comments", "Call me sooner"),
    ]


async def test_a_call_waiting_before_the_softphone_and_declined(
    world: World, twilio: TwilioRest
) -> None:
    await world.phone().pick_up(RESPONDENT)  # an earlier 'phone answer' that has quit
    sid = await _dial(world, twilio)
    console = ScriptedConsole([None])

    assert await answer_calls(world.phone(), console, RESPONDENT, once=False) is None

    assert console.output == [WAITING, RINGING + "^D", "-- call declined"]
    call = world.twilio.calls[sid]
    await asyncio.wait_for(call.finished.wait(), 5)
    assert (call.status, call.transcript[-1]) == ("completed", ("input", "hangup"))


async def test_a_call_with_machine_detection_says_a_person_answered(
    world: World, twilio: TwilioRest
) -> None:
    """The softphone is a person: asynchronous detection reports "human" (shown
    where it arrives, at the first question) and the survey goes on."""
    console = ScriptedConsole(["", "8#", "hangup"])
    answering = asyncio.ensure_future(answer_calls(world.phone(), console, RESPONDENT, once=True))
    await console.shown(WAITING)
    sid = await _dial(world, twilio, detect=True)
    await asyncio.wait_for(answering, 5)
    detected = "[Twilio's answering machine detection: human]"
    assert console.output[4:8] == [
        "Hello, this is Example Co calling with a short survey about your recent support case.",
        "Answer each question with your keypad or by saying your answer. "
        "After a number, press the hash key.",
        "How likely are you to recommend us to a friend, from 0 to 10?",
        detected,
    ]
    assert world.twilio.calls[sid].answered_by == "human"
    assert world.answers(OUTBOUND)[0] == ("recommend", "8")
