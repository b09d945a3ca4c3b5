"""Respondents calling and texting in, interactive responders, and the watch queue."""

from __future__ import annotations

import asyncio
import re

import pytest
from structlog.testing import capture_logs

from gateway.sandbox.twilio import (
    GatherEvent,
    MessageRecord,
    NotConfigured,
    TwilioState,
    WebhookFailed,
)
from tests.sandbox.conftest import OUR_NUMBER, RESPONDENT, SECOND_NUMBER, FakeGateway

QUESTION = (
    '<Response><Gather action="/answer" numDigits="1"><Say>Press 1 or 2.</Say></Gather>'
    "<Redirect>/silence</Redirect></Response>"
)


def wire_voice(state: TwilioState, gateway: FakeGateway, number: str = OUR_NUMBER) -> None:
    configured = state.number(number)
    assert configured is not None
    configured.voice_url = gateway.url("/voice")
    configured.status_callback = gateway.url("/status")


async def test_an_inbound_call(twilio_state: TwilioState, gateway: FakeGateway) -> None:
    gateway.answers.update(
        {"/voice": QUESTION, "/answer": "<Response><Say>Thanks.</Say><Hangup/></Response>"}
    )
    wire_voice(twilio_state, gateway)
    twilio_state.script(RESPONDENT, ["2"])

    call = await twilio_state.inbound_call(RESPONDENT, OUR_NUMBER)

    voice, answer, status = gateway.hits
    assert all(hit.signed for hit in gateway.hits)
    assert (voice.path, voice.params["CallStatus"], voice.params["Direction"]) == (
        "/voice",
        "ringing",
        "inbound",
    )
    assert (voice.params["From"], voice.params["To"]) == (RESPONDENT, OUR_NUMBER)
    assert (answer.params["CallStatus"], answer.params["Digits"]) == ("in-progress", "2")
    assert (status.path, status.params["CallStatus"]) == ("/status", "completed")
    assert call.heard == [("say", "Press 1 or 2."), ("say", "Thanks.")]
    assert (call.direction, call.status, call.sid in twilio_state.calls) == (
        "inbound",
        "completed",
        True,
    )
    assert call.phone_number_sid == twilio_state.number(OUR_NUMBER).sid  # type: ignore[union-attr]


@pytest.mark.parametrize(("reason", "status"), [("busy", "busy"), ("rejected", "no-answer")])
async def test_a_rejected_inbound_call(
    twilio_state: TwilioState, gateway: FakeGateway, reason: str, status: str
) -> None:
    gateway.answers["/voice"] = f'<Response><Reject reason="{reason}"/></Response>'
    wire_voice(twilio_state, gateway)
    call = await twilio_state.inbound_call(RESPONDENT, OUR_NUMBER)
    assert (call.status, call.start_time) == (status, None)
    assert gateway.statuses() == [status]


async def test_an_inbound_call_needs_a_voice_url(twilio_state: TwilioState) -> None:
    with pytest.raises(NotConfigured, match="no VoiceUrl"):
        await twilio_state.inbound_call(RESPONDENT, OUR_NUMBER)
    with pytest.raises(NotConfigured, match="not one of the account's numbers"):
        await twilio_state.inbound_call(RESPONDENT, "+61299999999")


async def test_an_interactive_responder_drives_the_call(
    twilio_state: TwilioState, gateway: FakeGateway
) -> None:
    gateway.answers.update(
        {
            "/voice": "<Response><Say>Welcome.</Say>" + QUESTION.removeprefix("<Response>"),
            "/answer": QUESTION.replace("Press 1 or 2.", "And again?"),
        }
    )
    wire_voice(twilio_state, gateway)
    events: list[GatherEvent] = []
    answers = iter(["1", "hangup"])

    async def responder(event: GatherEvent) -> str:
        events.append(event)
        return next(answers)

    twilio_state.responders[RESPONDENT] = responder

    call = await twilio_state.inbound_call(RESPONDENT, OUR_NUMBER)

    assert [event.heard for event in events] == [
        (("say", "Welcome."), ("say", "Press 1 or 2.")),
        (("say", "And again?"),),
    ]
    first = events[0]
    assert (first.respondent, first.input, first.num_digits, first.finish_on_key) == (
        RESPONDENT,
        "dtmf",
        1,
        "#",
    )
    assert first.call is call
    assert call.transcript[-1] == ("input", "hangup")


async def test_an_invalid_input_is_refused_when_scripted(twilio_state: TwilioState) -> None:
    with pytest.raises(ValueError, match="not a respondent input"):
        twilio_state.script(RESPONDENT, ["yes"])
    assert RESPONDENT not in twilio_state.scripts


async def test_an_inbound_sms_gets_its_replies(
    twilio_state: TwilioState, gateway: FakeGateway
) -> None:
    gateway.answers["/sms"] = (
        "<Response><Message>Thanks!</Message>"
        "<Message><Body>Question 2: how was it?</Body></Message></Response>"
    )
    number = twilio_state.number(SECOND_NUMBER)
    assert number is not None
    number.sms_url = gateway.url("/sms")

    replies = await twilio_state.inbound_sms(RESPONDENT, SECOND_NUMBER, "yes")

    assert replies == ["Thanks!", "Question 2: how was it?"]
    [hit] = gateway.hits
    assert hit.signed
    assert re.fullmatch(r"SM[0-9a-f]{32}", hit.params["MessageSid"])
    assert {k: hit.params[k] for k in ("From", "To", "Body", "NumMedia", "NumSegments")} == {
        "From": RESPONDENT,
        "To": SECOND_NUMBER,
        "Body": "yes",
        "NumMedia": "0",
        "NumSegments": "1",
    }
    assert [(m.direction, m.from_, m.to, m.body) for m in twilio_state.messages] == [
        ("inbound", RESPONDENT, SECOND_NUMBER, "yes"),
        ("outbound-reply", SECOND_NUMBER, RESPONDENT, "Thanks!"),
        ("outbound-reply", SECOND_NUMBER, RESPONDENT, "Question 2: how was it?"),
    ]


async def test_an_empty_sms_reply_and_a_failing_one(
    twilio_state: TwilioState, gateway: FakeGateway
) -> None:
    number = twilio_state.number(OUR_NUMBER)
    assert number is not None
    number.sms_url = gateway.url("/sms")
    assert await twilio_state.inbound_sms(RESPONDENT, OUR_NUMBER, "hi") == []

    gateway.answers["/sms"] = lambda params: (502, "bad gateway", "text/plain")
    with pytest.raises(WebhookFailed) as caught:
        await twilio_state.inbound_sms(RESPONDENT, OUR_NUMBER, "hi")
    assert caught.value.code == 11200


async def test_an_overlong_reply_is_not_sent(
    twilio_state: TwilioState, gateway: FakeGateway
) -> None:
    gateway.answers["/sms"] = f"<Response><Message>{'x' * 1601}</Message></Response>"
    number = twilio_state.number(OUR_NUMBER)
    assert number is not None
    number.sms_url = gateway.url("/sms")
    assert await twilio_state.inbound_sms(RESPONDENT, OUR_NUMBER, "hi") == []
    assert (twilio_state.messages[-1].status, twilio_state.messages[-1].error_code) == (
        "failed",
        21617,
    )


async def test_watching_a_number(twilio_state: TwilioState, gateway: FakeGateway) -> None:
    watched = twilio_state.watch(RESPONDENT)
    number = twilio_state.number(OUR_NUMBER)
    assert number is not None
    number.sms_url = gateway.url("/sms")
    gateway.answers["/sms"] = "<Response><Message>Hello back</Message></Response>"

    await twilio_state.inbound_sms(RESPONDENT, OUR_NUMBER, "hello")

    item = watched.get_nowait()
    assert isinstance(item, MessageRecord)
    assert item.body == "Hello back"
    assert watched.empty()  # the message *from* the respondent is not for them


async def test_shutdown_cancels_calls_in_flight(
    twilio_state: TwilioState, gateway: FakeGateway
) -> None:
    asked, never = asyncio.Event(), asyncio.Event()

    async def responder(event: GatherEvent) -> str:
        asked.set()
        await never.wait()
        return "1"

    gateway.answers["/voice"] = QUESTION
    wire_voice(twilio_state, gateway)
    twilio_state.responders[RESPONDENT] = responder
    waiting = asyncio.create_task(twilio_state.inbound_call(RESPONDENT, OUR_NUMBER))
    await asyncio.wait_for(asked.wait(), 5)
    [call] = twilio_state.active_calls()
    assert len(twilio_state.tasks) == 1

    twilio_state.reset()  # what shutdown does to every task, and more

    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert call.finished.is_set()
    assert twilio_state.tasks == set()
    assert twilio_state.calls == {}


async def test_a_responder_that_breaks_fails_the_call_visibly(
    twilio_state: TwilioState, gateway: FakeGateway
) -> None:
    async def responder(event: GatherEvent) -> str:
        return "yes"  # not an input: the softphone would have checked it

    gateway.answers["/voice"] = QUESTION
    wire_voice(twilio_state, gateway)
    twilio_state.responders[RESPONDENT] = responder
    with capture_logs() as logs:
        call = await twilio_state.inbound_call(RESPONDENT, OUR_NUMBER)
    assert call.status == "failed"
    assert call.transcript[-1][0] == "error"
    assert "not a respondent input" in call.transcript[-1][1]
    assert gateway.statuses() == ["failed"]
    assert [entry["event"] for entry in logs] == ["emulated_call_crashed"]
