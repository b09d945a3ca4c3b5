"""Placing calls: status callbacks, signed webhooks and TwiML followed, per outcome."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from gateway.sandbox.twilio import CallRecord, GatherEvent, Outcome, TwilioState
from gateway.twilio.rest import TwilioApiError, TwilioRest
from tests.helpers.settings import make_settings
from tests.sandbox.conftest import (
    OUR_NUMBER,
    RESPONDENT,
    TWILIO_LIBRARY_WARNINGS,
    FakeGateway,
)

pytestmark = TWILIO_LIBRARY_WARNINGS

ALL_EVENTS = ["initiated", "ringing", "answered", "completed"]
QUESTION = (
    "<Response>"
    '<Gather action="/answer?turn=1" input="dtmf speech" finishOnKey="#">'
    "<Say>How likely are you to recommend us?</Say><Play>/sounds/beep.mp3</Play>"
    "</Gather>"
    "<Redirect>/silence?turn=1</Redirect>"
    "</Response>"
)
THANKS = "<Response><Say>Thank you.</Say><Hangup/></Response>"
GOODBYE = "<Response><Say>We did not hear you.</Say><Hangup/></Response>"


@pytest.fixture
def survey(gateway: FakeGateway) -> FakeGateway:
    gateway.answers.update({"/voice": QUESTION, "/answer": THANKS, "/silence": GOODBYE})
    return gateway


async def dial(
    twilio: Client, state: TwilioState, gateway: FakeGateway, **extra: Any
) -> CallRecord:
    """Place a call to RESPONDENT through the REST API and wait until it is over."""
    options: dict[str, Any] = {
        "url": gateway.url("/voice"),
        "status_callback": gateway.url("/status"),
        "status_callback_event": ALL_EVENTS,
    }
    options.update(extra)
    created = await twilio.calls.create_async(to=RESPONDENT, from_=OUR_NUMBER, **options)
    async with asyncio.timeout(5):
        return await state.calls[created.sid].wait()


async def test_an_answered_call_follows_the_twiml(
    twilio: Client, twilio_state: TwilioState, survey: FakeGateway
) -> None:
    twilio_state.script(RESPONDENT, ["9#"])

    call = await dial(twilio, twilio_state, survey)

    assert survey.statuses() == ["initiated", "ringing", "in-progress", "completed"]
    assert [hit.path for hit in survey.hits if hit.path != "/status"] == [
        "/voice",
        "/answer?turn=1",
    ]
    assert all(hit.signed for hit in survey.hits)
    voice, answer = survey.at("/voice")[0], survey.at("/answer")[0]
    assert voice.params["CallSid"] == call.sid
    assert voice.params["Direction"] == "outbound-api"
    assert voice.params["CallStatus"] == "in-progress"
    assert (voice.params["From"], voice.params["To"]) == (OUR_NUMBER, RESPONDENT)
    assert voice.params["ApiVersion"] == "2010-04-01"
    assert "AnsweredBy" not in voice.params  # no machine detection asked for
    assert answer.params["Digits"] == "9"  # the finishing '#' is not sent
    assert call.transcript == [
        ("say", "How likely are you to recommend us?"),
        ("play", survey.url("/sounds/beep.mp3")),
        ("input", "9#"),
        ("say", "Thank you."),
    ]
    assert call.status == "completed"
    assert [(w.method, w.url, w.status) for w in call.webhooks] == [
        ("POST", "/voice", 200),
        ("POST", "/answer?turn=1", 200),
    ]
    assert call.callbacks == ["initiated", "ringing", "in-progress", "completed"]


async def test_status_callback_parameters(
    twilio: Client, twilio_state: TwilioState, survey: FakeGateway
) -> None:
    twilio_state.script(RESPONDENT, ["1"])
    call = await dial(twilio, twilio_state, survey)

    callbacks = survey.at("/status")
    assert [hit.params["SequenceNumber"] for hit in callbacks] == ["0", "1", "2", "3"]
    final = callbacks[-1].params
    assert final["CallSid"] == call.sid
    assert final["CallbackSource"] == "call-progress-events"
    assert final["Direction"] == "outbound-api"
    assert final["CallDuration"] == "0"
    assert final["Timestamp"].endswith("+0000")
    assert "CallDuration" not in callbacks[0].params


async def test_only_the_final_status_without_events(
    twilio: Client, twilio_state: TwilioState, survey: FakeGateway
) -> None:
    await dial(twilio, twilio_state, survey, status_callback_event=[])
    assert survey.statuses() == ["completed"]


@pytest.mark.parametrize(
    ("outcome", "statuses"),
    [
        (Outcome.BUSY, ["initiated", "ringing", "busy"]),
        (Outcome.NO_ANSWER, ["initiated", "ringing", "no-answer"]),
        (Outcome.FAILED, ["initiated", "failed"]),
    ],
)
async def test_unanswered_outcomes(
    twilio: Client,
    twilio_state: TwilioState,
    survey: FakeGateway,
    outcome: Outcome,
    statuses: list[str],
) -> None:
    twilio_state.outcomes[RESPONDENT] = outcome
    call = await dial(twilio, twilio_state, survey)
    assert survey.statuses() == statuses
    assert survey.at("/voice") == []
    assert (call.status, call.transcript, call.answered_by) == (statuses[-1], [], None)


@pytest.mark.parametrize(
    ("mode", "answered_by"),
    [("Enable", "machine_start"), ("DetectMessageEnd", "machine_end_beep")],
)
async def test_a_machine_hears_the_message_left(
    twilio: Client, twilio_state: TwilioState, gateway: FakeGateway, mode: str, answered_by: str
) -> None:
    twilio_state.outcomes[RESPONDENT] = Outcome.MACHINE
    twilio_state.script(RESPONDENT, ["1"])  # a machine presses nothing: never used

    def voice(params: Mapping[str, str]) -> str:
        if params.get("AnsweredBy", "").startswith("machine"):
            return "<Response><Say>Sorry we missed you.</Say><Hangup/></Response>"
        return QUESTION

    gateway.answers["/voice"] = voice
    call = await dial(twilio, twilio_state, gateway, machine_detection=mode)

    assert survey_params(gateway, "/voice")["AnsweredBy"] == answered_by
    assert [hit.params.get("AnsweredBy") for hit in gateway.at("/status")] == [
        None,
        None,
        answered_by,
        answered_by,
    ]
    assert call.answered_by == answered_by
    assert call.voicemail == ["Sorry we missed you."]
    assert call.status == "completed"
    assert list(twilio_state.scripts[RESPONDENT]) == ["1"]


async def test_a_machine_never_answers_a_gather(
    twilio: Client, twilio_state: TwilioState, survey: FakeGateway
) -> None:
    twilio_state.outcomes[RESPONDENT] = Outcome.MACHINE
    call = await dial(twilio, twilio_state, survey)  # no detection: it looks like a person
    assert "AnsweredBy" not in survey_params(survey, "/voice")
    assert [w.url for w in call.webhooks] == ["/voice", "/silence?turn=1"]


async def test_a_person_with_detection_is_human(
    twilio: Client, twilio_state: TwilioState, survey: FakeGateway
) -> None:
    twilio_state.script(RESPONDENT, ["1"])
    call = await dial(twilio, twilio_state, survey, machine_detection="Enable")
    assert survey_params(survey, "/voice")["AnsweredBy"] == "human"
    assert survey_params(survey, "/answer")["AnsweredBy"] == "human"
    assert call.voicemail == []


def survey_params(gateway: FakeGateway, path: str) -> Mapping[str, str]:
    [hit] = gateway.at(path)
    return hit.params


async def test_speech_is_sent_with_confidence(
    twilio: Client, twilio_state: TwilioState, survey: FakeGateway
) -> None:
    twilio_state.script(RESPONDENT, ["speech:yes it was"])
    await dial(twilio, twilio_state, survey)
    params = survey_params(survey, "/answer")
    assert params["SpeechResult"] == "yes it was"
    assert float(params["Confidence"]) > 0.5
    assert "Digits" not in params


async def test_silence_falls_through_to_the_redirect(
    twilio: Client, twilio_state: TwilioState, survey: FakeGateway
) -> None:
    twilio_state.script(RESPONDENT, ["silence"])
    call = await dial(twilio, twilio_state, survey)
    assert survey.at("/answer") == []
    assert [w.url for w in call.webhooks] == ["/voice", "/silence?turn=1"]
    assert call.heard[-1] == ("say", "We did not hear you.")


async def test_the_respondent_hangs_up(
    twilio: Client, twilio_state: TwilioState, survey: FakeGateway
) -> None:
    twilio_state.script(RESPONDENT, ["hangup"])
    call = await dial(twilio, twilio_state, survey)
    assert [w.url for w in call.webhooks] == ["/voice"]
    assert survey.statuses()[-1] == "completed"
    assert call.transcript[-1] == ("input", "hangup")


async def test_an_exhausted_script_hangs_up(
    twilio: Client, twilio_state: TwilioState, survey: FakeGateway
) -> None:
    call = await dial(twilio, twilio_state, survey)
    assert (call.status, call.transcript[-1]) == ("completed", ("input", "hangup"))


@pytest.mark.parametrize(
    ("gather", "pressed", "sent"),
    [
        ('numDigits="1"', "12", "1"),
        ('finishOnKey="*"', "42*7", "42"),
        ('finishOnKey=""', "7#", "7#"),
        ('input="speech"', "5", None),  # keys do nothing to a speech-only Gather
    ],
)
async def test_gather_settings_shape_the_digits(
    twilio: Client,
    twilio_state: TwilioState,
    gateway: FakeGateway,
    gather: str,
    pressed: str,
    sent: str | None,
) -> None:
    gateway.answers["/voice"] = f'<Response><Gather action="/answer" {gather}/></Response>'
    twilio_state.script(RESPONDENT, [pressed])
    await dial(twilio, twilio_state, gateway)
    hits = gateway.at("/answer")
    assert [hit.params["Digits"] for hit in hits] == ([] if sent is None else [sent])


async def test_relative_urls_resolve_against_the_document(
    twilio: Client, twilio_state: TwilioState, gateway: FakeGateway
) -> None:
    gateway.answers.update(
        {
            "/ivr/start": '<Response><Gather action="next?x=1"/><Redirect>../other</Redirect>'
            "</Response>",
            "/ivr/next": '<Response><Redirect method="GET">/end?y=2</Redirect></Response>',
            "/end": "<Response><Say>Done</Say></Response>",  # the end of a document ends it
        }
    )
    twilio_state.script(RESPONDENT, ["3"])
    call = await dial(twilio, twilio_state, gateway, url=gateway.url("/ivr/start"))
    assert [(w.method, w.url.split("&")[0]) for w in call.webhooks] == [
        ("POST", "/ivr/start"),
        ("POST", "/ivr/next?x=1"),
        ("GET", "/end?y=2"),
    ]
    end = gateway.at("/end")[0]
    assert (end.signed, end.params["y"], end.params["CallSid"]) == (True, "2", call.sid)
    assert call.status == "completed"


async def test_get_method_for_the_url(
    twilio: Client, twilio_state: TwilioState, survey: FakeGateway
) -> None:
    await dial(twilio, twilio_state, survey, method="GET")
    [voice] = survey.at("/voice")
    assert (voice.method, voice.signed, voice.params["Direction"]) == ("GET", True, "outbound-api")


async def test_inline_twiml(
    twilio: Client, twilio_state: TwilioState, gateway: FakeGateway
) -> None:
    call = await dial(
        twilio, twilio_state, gateway, url=None, twiml="<Response><Say>Hi there</Say></Response>"
    )
    assert (call.transcript, call.webhooks, call.status) == ([("say", "Hi there")], [], "completed")


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        ((500, "boom", "text/plain"), 11200),
        ((200, "<Response><Say>x</Say>", "text/xml"), 12100),
        ((200, "<Reply/>", "text/xml"), 12100),
        ((200, "Say this", "text/plain"), 12300),
    ],
)
async def test_an_application_error_ends_the_call(
    twilio: Client,
    twilio_state: TwilioState,
    gateway: FakeGateway,
    answer: tuple[int, str, str],
    code: int,
) -> None:
    gateway.answers["/voice"] = lambda params: answer
    call = await dial(twilio, twilio_state, gateway)
    assert call.transcript == [
        ("error", "We are sorry, an application error has occurred. Goodbye.")
    ]
    assert (call.status, call.error_code) == ("failed", code)
    assert gateway.statuses()[-1] == "failed"


async def test_a_wrong_signature_is_an_application_error(
    twilio: Client, twilio_state: TwilioState, survey: FakeGateway
) -> None:
    survey.validator = RequestValidator("the-gateway-knows-another-token")
    call = await dial(twilio, twilio_state, survey, status_callback=None)
    assert [(hit.path, hit.signed) for hit in survey.hits] == [("/voice", False)]
    assert (call.status, call.webhooks[0].status) == ("failed", 403)


async def test_a_redirect_loop_is_stopped(
    twilio: Client, twilio_state: TwilioState, gateway: FakeGateway
) -> None:
    twilio_state.max_webhooks = 20
    gateway.answers["/voice"] = "<Response><Redirect>/voice</Redirect></Response>"
    call = await dial(twilio, twilio_state, gateway)
    assert len(call.webhooks) == 20
    assert call.status == "failed"
    assert call.error_detail == "more than 20 TwiML requests"


class Waiting:
    """An interactive responder that waits until told what to answer."""

    def __init__(self) -> None:
        self.events: list[GatherEvent] = []
        self.asked = asyncio.Event()
        self.answer: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def __call__(self, event: GatherEvent) -> str:
        self.events.append(event)
        self.asked.set()
        return await self.answer


async def test_hanging_up_through_the_api_reaches_a_call_in_progress(
    twilio: Client, twilio_state: TwilioState, survey: FakeGateway
) -> None:
    responder = Waiting()
    twilio_state.responders[RESPONDENT] = responder
    created = await twilio.calls.create_async(
        to=RESPONDENT,
        from_=OUR_NUMBER,
        url=survey.url("/voice"),
        status_callback=survey.url("/status"),
    )
    await asyncio.wait_for(responder.asked.wait(), 5)

    updated = await twilio.calls(created.sid).update_async(status="completed")

    assert updated.status == "completed"
    call = await asyncio.wait_for(twilio_state.calls[created.sid].wait(), 5)
    assert survey.statuses() == ["completed"]
    assert survey.at("/answer") == []
    assert call.status == "completed"
    assert responder.answer.cancelled()  # the respondent's turn was abandoned


async def test_redirecting_a_call_in_progress(
    twilio: Client, twilio_state: TwilioState, survey: FakeGateway
) -> None:
    responder = Waiting()
    twilio_state.responders[RESPONDENT] = responder
    survey.answers["/elsewhere"] = "<Response><Say>Moved.</Say></Response>"
    created = await twilio.calls.create_async(
        to=RESPONDENT, from_=OUR_NUMBER, url=survey.url("/voice")
    )
    await asyncio.wait_for(responder.asked.wait(), 5)

    await twilio.calls(created.sid).update_async(url=survey.url("/elsewhere"))

    call = await asyncio.wait_for(twilio_state.calls[created.sid].wait(), 5)
    assert [w.url for w in call.webhooks] == ["/voice", "/elsewhere"]
    assert call.heard[-1] == ("say", "Moved.")
    with pytest.raises(TwilioRestException) as caught:
        await twilio.calls(created.sid).update_async(url=survey.url("/elsewhere"))
    assert (caught.value.status, caught.value.code) == (400, 21220)


async def test_a_ringing_call_is_canceled(
    twilio: Client, twilio_state: TwilioState, survey: FakeGateway
) -> None:
    twilio_state.ring_delay = 30  # it rings until hung up
    initiated = asyncio.Event()

    def status(params: Mapping[str, str]) -> str:
        if params["CallStatus"] == "initiated":
            initiated.set()
        return "<Response/>"

    survey.answers["/status"] = status
    created = await twilio.calls.create_async(
        to=RESPONDENT,
        from_=OUR_NUMBER,
        url=survey.url("/voice"),
        status_callback=survey.url("/status"),
        status_callback_event=ALL_EVENTS,
    )
    async with asyncio.timeout(5):
        await initiated.wait()
        # "completed" on a call not yet answered cancels it, as on Twilio.
        await twilio.calls(created.sid).update_async(status="completed")
        call = await twilio_state.calls[created.sid].wait()
    assert call.status == "canceled"
    assert survey.statuses() == ["initiated", "canceled"]


async def test_a_held_call_sends_nothing_until_canceled(
    twilio: Client, twilio_state: TwilioState, survey: FakeGateway
) -> None:
    twilio_state.outcomes[RESPONDENT] = Outcome.HOLD
    created = await twilio.calls.create_async(
        to=RESPONDENT,
        from_=OUR_NUMBER,
        url=survey.url("/voice"),
        status_callback=survey.url("/status"),
        status_callback_event=ALL_EVENTS,
    )
    await asyncio.sleep(0.05)
    assert survey.hits == []
    assert (await twilio.calls(created.sid).fetch_async()).status == "queued"
    assert [c.sid for c in twilio_state.active_calls()] == [created.sid]

    await twilio.calls(created.sid).update_async(status="canceled")

    await asyncio.wait_for(twilio_state.calls[created.sid].wait(), 5)
    assert survey.statuses() == ["canceled"]
    assert twilio_state.active_calls() == []


@pytest.mark.parametrize("moment", ["answer", "gather", "after"])
@pytest.mark.parametrize("outcome", [Outcome.MACHINE, Outcome.ANSWER])
async def test_asynchronous_detection_reports_once_on_its_own_callback(
    twilio: Client, twilio_state: TwilioState, survey: FakeGateway, moment: str, outcome: Outcome
) -> None:
    """AsyncAmd: the call's Url is fetched at once and never says who answered;
    the result is posted (signed: FakeGateway checks) to AsyncAmdStatusCallback,
    once, at the moment the emulator is set to."""
    twilio_state.outcomes[RESPONDENT] = outcome
    twilio_state.detection_moment = moment  # type: ignore[assignment]
    twilio_state.script(RESPONDENT, ["1"])
    call = await dial(
        twilio,
        twilio_state,
        survey,
        machine_detection="Enable",
        async_amd="true",
        async_amd_status_callback=survey.url("/amd"),
    )
    expected = "machine_start" if outcome is Outcome.MACHINE else "human"
    [report] = survey.at("/amd")
    assert report.params["AnsweredBy"] == expected
    assert report.params["CallSid"] == call.sid
    assert report.params["MachineDetectionDuration"].isdigit()
    assert call.answered_by == expected
    for hit in survey.at("/voice") + survey.at("/status"):
        assert "AnsweredBy" not in hit.params
    # Where it fell in the call: before the first webhook, at the first Gather
    # (its prompts heard), or at the next one: this survey has none, so as
    # the call ends, before its final status.
    kinds = [kind for kind, _ in call.transcript]
    where = {"answer": 0, "gather": 2, "after": len(kinds) - 1}[moment]
    assert kinds.index("machine_detection") == where
    assert survey.hits.index(report) < survey.hits.index(survey.at("/status")[-1])


async def test_a_redirect_made_on_the_callback_takes_effect_at_once(
    twilio: Client, twilio_state: TwilioState, survey: FakeGateway
) -> None:
    """What an application does with a machine: update the live call with new TwiML."""
    twilio_state.outcomes[RESPONDENT] = Outcome.MACHINE
    twilio_state.detection_moment = "gather"
    leave = "<Response><Say>Sorry we missed you.</Say><Hangup/></Response>"

    async def redirect(params: Mapping[str, str]) -> str:
        await twilio.calls(params["CallSid"]).update_async(twiml=leave)
        return "<Response/>"

    survey.answers["/amd"] = redirect
    call = await dial(
        twilio,
        twilio_state,
        survey,
        machine_detection="DetectMessageEnd",
        async_amd="true",
        async_amd_status_callback=survey.url("/amd"),
    )
    assert call.heard == [
        ("say", "How likely are you to recommend us?"),
        ("play", survey.url("/sounds/beep.mp3")),
        ("say", "Sorry we missed you."),
    ]
    assert call.voicemail == ["How likely are you to recommend us?", "Sorry we missed you."]
    assert [w.url for w in call.webhooks] == ["/voice"]  # the Gather never ran its course


async def test_the_gateway_redirects_a_live_call_but_not_one_that_is_over(
    twilio_server: TestServer, twilio_state: TwilioState, gateway: FakeGateway
) -> None:
    """``TwilioRest.redirect_call``: True while the call is not over, False
    (Twilio's 21220) once it is; any other refusal raises."""
    rest = TwilioRest(make_settings(twilio_api_url=str(twilio_server.make_url("")).rstrip("/")))
    await rest.start()
    leave = "<Response><Say>Goodbye.</Say><Hangup/></Response>"

    async def place() -> str:
        placed = await rest.create_call(
            to=RESPONDENT,
            from_=OUR_NUMBER,
            url=gateway.url("/voice"),
            status_callback=gateway.url("/status"),
            events=ALL_EVENTS,
            machine_detection=None,
        )
        return placed.sid

    try:
        twilio_state.outcomes[RESPONDENT] = Outcome.HOLD  # queued until told otherwise
        held = await place()
        assert await rest.redirect_call(held, leave)  # it starts there once answered
        assert twilio_state.calls[held].twiml == leave
        twilio_state.outcomes[RESPONDENT] = Outcome.BUSY
        over = await place()
        await twilio_state.calls[over].wait()
        assert not await rest.redirect_call(over, leave)
        with pytest.raises(TwilioApiError) as refused:
            await rest.redirect_call("CA" + "0" * 32, leave)
        assert refused.value.code == 20404
    finally:
        await rest.close()
