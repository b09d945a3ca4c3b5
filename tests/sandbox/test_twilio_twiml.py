"""The emulator's pure parts: TwiML reading, Gather results, inputs, segments, faults."""

from __future__ import annotations

import asyncio

import pytest
from twilio.twiml.voice_response import VoiceResponse

from gateway.sandbox.twilio import ForcedError, num_segments, parse_input
from gateway.sandbox.twilio.interpreter import gathered
from gateway.sandbox.twilio.line import HangUp, Interrupted, Line
from gateway.sandbox.twilio.respondent import Input
from gateway.sandbox.twilio.twiml import (
    Gather,
    Hangup,
    Message,
    Pause,
    Play,
    Redirect,
    Reject,
    Say,
    TwimlError,
    Unsupported,
    parse_messaging,
    parse_voice,
)


def test_voice_verbs_in_order() -> None:
    response = VoiceResponse()
    response.say("Hello & welcome", voice="Polly.Joanna")
    gather = response.gather(action="/a?x=1&y=2", method="GET", input="speech", num_digits=2)
    gather.say("Question?")
    gather.play("https://cdn/q.mp3")
    gather.pause(length=1)
    response.redirect("/silence")
    response.record()
    response.reject(reason="busy")
    response.hangup()

    assert parse_voice(str(response)) == [
        Say("Hello & welcome", voice="Polly.Joanna"),
        Gather(
            action="/a?x=1&y=2",
            method="GET",
            input="speech",
            num_digits=2,
            finish_on_key="#",
            action_on_empty_result=False,
            prompts=(Say("Question?"), Play("https://cdn/q.mp3"), Pause()),
        ),
        Redirect("/silence", "POST"),
        Unsupported("Record"),
        Reject("busy"),
        Hangup(),
    ]


def test_ssml_inside_say_is_read_as_words() -> None:
    xml = "<Response><Say>Hello <emphasis>there</emphasis>, friend</Say></Response>"
    assert parse_voice(xml) == [Say("Hello there, friend")]


@pytest.mark.parametrize(
    "text", ["", "not xml", "<Response><Say>", "<Reply/>", "<Response><Redirect/></Response>"]
)
def test_documents_twilio_cannot_use(text: str) -> None:
    with pytest.raises(TwimlError) as caught:
        parse_voice(text)
    assert caught.value.code == 12100


def test_messaging_replies() -> None:
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        "<Message>One</Message>"
        '<Message to="+61400000009"><Body>Two</Body><Media>https://x/y.png</Media></Message>'
        "<Redirect>/ignored</Redirect></Response>"
    )
    assert parse_messaging(xml) == [
        Message("One", None, None),
        Message("Two", "+61400000009", None),
    ]
    assert parse_messaging("<Response/>") == []


def _gather(**overrides: object) -> Gather:
    settings: dict[str, object] = {
        "action": None,
        "method": "POST",
        "input": "dtmf",
        "num_digits": None,
        "finish_on_key": "#",
        "action_on_empty_result": False,
        "prompts": (),
    }
    settings.update(overrides)
    return Gather(**settings)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("gather", "answer", "params"),
    [
        (_gather(), "10#", {"Digits": "10"}),
        (_gather(), "#", None),
        (_gather(num_digits=1), "12", {"Digits": "1"}),
        (_gather(input="speech"), "3", None),
        (_gather(input="dtmf speech"), "speech:no", {"SpeechResult": "no", "Confidence": "0.92"}),
        (_gather(), "speech:no", None),
        (_gather(), "silence", None),
    ],
)
def test_what_a_gather_sends(gather: Gather, answer: str, params: dict[str, str] | None) -> None:
    assert gathered(gather, parse_input(answer)) == params


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("9", Input("digits", "9")),
        ("*1#", Input("digits", "*1#")),
        ("speech: yes it was ", Input("speech", "yes it was")),
        ("speech:", Input("silence")),
        ("", Input("silence")),
        ("silence", Input("silence")),
        ("hangup", Input("hangup")),
    ],
)
def test_inputs(text: str, parsed: Input) -> None:
    assert parse_input(text) == parsed


@pytest.mark.parametrize("text", ["yes", "9 9", "speak:yes", "Hangup"])
def test_not_inputs(text: str) -> None:
    with pytest.raises(ValueError, match="not a respondent input"):
        parse_input(text)


@pytest.mark.parametrize(
    ("body", "segments"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),  # extension characters take two septets
        ("€" * 81, 2),
        ("é" * 160, 1),  # é is in the GSM basic set
        ("ê" * 70, 1),  # ê is not: UCS-2
        ("ê" * 71, 2),
        ("🙂" * 35, 1),  # two UTF-16 code units each
        ("🙂" * 36, 2),
    ],
)
def test_segments(body: str, segments: int) -> None:
    assert num_segments(body) == segments


@pytest.mark.parametrize(
    "kwargs",
    [
        {"resource": "Faxes", "status": 400, "code": 1},
        {"resource": "Calls", "status": 200, "code": 1},
        {"resource": "Calls", "status": 400, "code": 1, "times": 0},
    ],
)
def test_forced_errors_are_checked(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="must"):
        ForcedError(**kwargs)  # type: ignore[arg-type]


async def test_a_line_interrupts_the_work_it_runs() -> None:
    line = Line()
    started = asyncio.Event()

    async def work() -> str:
        started.set()
        await asyncio.sleep(30)
        return "done"

    running = asyncio.create_task(line.run(work()))
    await started.wait()
    line.send(HangUp("completed"))
    with pytest.raises(Interrupted) as caught:
        await running
    assert caught.value.command == HangUp("completed")
    assert await line.run(asyncio.sleep(0, "next")) == "next"  # the command was used up
