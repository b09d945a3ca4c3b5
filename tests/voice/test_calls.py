"""Whole calls through the real app: signed webhooks, SDX sandbox over HTTP, real Redis."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from gateway.config import Settings
from gateway.run.serve import COMPONENTS
from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.sdx import Fault, SandboxState
from tests.helpers.call import Call
from tests.helpers.ledger import ABANDON, SUBMIT, answers, count
from tests.helpers.settings import GatewayFactory
from tests.voice.conftest import INBOUND

INBOUND_ID = 1001  # the demo respondent's pending inbound interaction on survey 52


async def test_whole_survey_by_keypad(
    start_gateway: GatewayFactory, sandbox: SandboxState, store_kind: str
) -> None:
    client, settings = await start_gateway(memory=store_kind == "memory")
    call = Call(client, settings, caller=DEMO_RESPONDENT, called=INBOUND)
    await call.start()
    heard = call.spoken()
    assert heard[0] == "[audio: https://example.com/sdx-sandbox/greeting-52.mp3]"
    assert heard[-1] == "How likely are you to recommend us to a friend, from 0 to 10?"
    assert call.gather.attrib["finishOnKey"] == "#"
    await call.press("9")
    assert call.gather.attrib["numDigits"] == "1"  # 1..5
    await call.press("4")
    assert call.gather.attrib["numDigits"] == "1"  # yes/no
    await call.press("1")
    assert call.gather.attrib["input"] == "speech"
    await call.say("The agent was quick & friendly.")
    assert call.hung_up_by_gateway
    assert call.spoken() == ["Thank you for your feedback. Goodbye."]
    assert answers(sandbox, INBOUND_ID) == ["9", "4", "Yes", "The agent was quick & friendly."]
    assert sandbox.store.interaction(INBOUND_ID).survey_ended
    await call.hang_up()
    assert count(sandbox, ABANDON, "POST") == 0


async def test_whole_survey_by_speech(call: Call, sandbox: SandboxState) -> None:
    await call.start()
    await call.say("Nine.")
    await call.say("I'd say four")
    await call.say("Yes it was")
    await call.say("Nothing, it was fine")
    assert call.hung_up_by_gateway
    assert answers(sandbox, INBOUND_ID) == ["9", "4", "Yes", "Nothing, it was fine"]


async def test_invalid_then_valid_answer(call: Call, sandbox: SandboxState) -> None:
    await call.start()
    first_action = call.gather.attrib["action"]
    await call.press("42")
    assert call.spoken() == [
        "Sorry, that is not a valid response.",
        "How likely are you to recommend us to a friend, from 0 to 10?",
    ]
    assert call.gather.attrib["action"] != first_action  # a new turn
    await call.press("7")
    assert call.spoken()[-1].startswith("On a scale of 1 to 5")
    assert answers(sandbox, INBOUND_ID) == ["7"]


async def test_silence_until_abandon(call: Call, sandbox: SandboxState) -> None:
    await call.start()
    for _ in range(2):  # GATEWAY_MAX_REPROMPTS
        await call.silence()
        assert call.spoken() == [
            "Sorry, I didn't catch that.",
            "How likely are you to recommend us to a friend, from 0 to 10?",
        ]
        assert not call.hung_up_by_gateway
    await call.silence()
    assert call.hung_up_by_gateway
    assert call.spoken() == ["Thank you for your feedback. Goodbye."]
    assert count(sandbox, ABANDON, "POST") == 1
    interaction = sandbox.store.interaction(INBOUND_ID)
    assert interaction.completed
    assert not interaction.survey_ended
    await call.hang_up()
    assert count(sandbox, ABANDON, "POST") == 1  # not abandoned twice


async def test_invalid_answers_count_like_silence(call: Call, sandbox: SandboxState) -> None:
    await call.start()
    await call.press("11")
    await call.silence()
    await call.press("12")
    assert call.hung_up_by_gateway
    assert count(sandbox, ABANDON, "POST") == 1
    assert answers(sandbox, INBOUND_ID) == []


async def test_hang_up_mid_survey_abandons_once(call: Call, sandbox: SandboxState) -> None:
    await call.start()
    await call.press("8")
    status_reply = await call.hang_up()
    assert list(status_reply) == []  # an empty <Response/>
    assert count(sandbox, ABANDON, "POST") == 1
    assert sandbox.store.interaction(INBOUND_ID).completed
    assert await call.client.server.app[COMPONENTS].stores.sessions.load(call.call_sid) is None
    await call.hang_up()  # Twilio may deliver it twice
    assert count(sandbox, ABANDON, "POST") == 1
    assert answers(sandbox, INBOUND_ID) == ["8"]


async def test_progress_callbacks_do_not_end_the_call(call: Call, sandbox: SandboxState) -> None:
    await call.start()
    await call.hang_up(status="in-progress")
    await call.hang_up(status="ringing")
    assert count(sandbox, ABANDON, "POST") == 0
    await call.press("8")
    assert answers(sandbox, INBOUND_ID) == ["8"]


async def test_call_back_resumes_after_an_sdx_fault(
    gateway: tuple[TestClient[Any, Any], Settings], sandbox: SandboxState
) -> None:
    client, settings = gateway
    call = Call(client, settings, caller=DEMO_RESPONDENT, called=INBOUND)
    await call.start()
    await call.press("9")
    # A proxy's 504: SDX may still be applying it, so it is neither resent nor
    # taken as recorded (a 500 SDX answered itself would be resent at once).
    sandbox.faults.add(Fault(method="POST", path=SUBMIT, status=504, times=1))
    await call.press("4")
    assert call.hung_up_by_gateway
    assert call.spoken() == [settings.gateway_apology_message]
    await call.hang_up()
    assert count(sandbox, ABANDON, "POST") == 0  # the gateway ended it, not the caller

    again = Call(client, settings, caller=DEMO_RESPONDENT, called=INBOUND)
    await again.start()
    assert again.spoken()[-1].startswith("On a scale of 1 to 5")  # where it stopped
    await again.press("4")
    await again.press("2")
    await again.say("Fine")
    assert again.hung_up_by_gateway
    assert answers(sandbox, INBOUND_ID) == ["9", "4", "No", "Fine"]


async def test_sdx_timeout_on_start_apologises(
    start_gateway: GatewayFactory, sandbox: SandboxState
) -> None:
    client, settings = await start_gateway(gateway_sdx_timeout=0.3, gateway_sdx_retries=0)
    sandbox.faults.add(Fault(method="POST", path=r"/interactions/\d+/start_survey", delay=1))
    call = Call(client, settings, caller=DEMO_RESPONDENT, called=INBOUND)
    await call.start()
    assert call.spoken() == [settings.gateway_apology_message]
    assert call.hung_up_by_gateway


async def test_replayed_gather_is_answered_from_the_session(
    call: Call, sandbox: SandboxState
) -> None:
    await call.start()
    action = call.gather.attrib["action"]
    await call.press("9")
    first = call.xml
    path = action[len(call.settings.gateway_public_url) :]
    await call.post(path, Digits="9")  # Twilio retries the same request
    assert call.xml == first
    await call.post(path, Digits="3")  # even with other digits: that turn is over
    assert call.xml == first
    assert count(sandbox, SUBMIT, "POST") == 1
    assert answers(sandbox, INBOUND_ID) == ["9"]


async def test_prompts_with_xml_characters(call: Call, sandbox: SandboxState) -> None:
    sandbox.store.surveys[52].greeting_text = 'Tom & Jerry\'s <"best"> survey'
    sandbox.store.surveys[52].greeting_sound_file = ""
    await call.start()
    assert call.spoken()[0] == 'Tom & Jerry\'s <"best"> survey'
    assert "&amp;" in call.xml
    assert "&lt;" in call.xml


async def test_characters_xml_cannot_carry_are_dropped(call: Call, sandbox: SandboxState) -> None:
    """A lone surrogate (half an emoji), a NUL, a vertical tab and U+FFFE from SDX:
    the TwiML still parses and says the rest; a sound file whose URL holds one
    is not fetched, its text is said instead."""
    survey = sandbox.store.surveys[52]
    survey.greeting_text = "Hello\ud800 there\x00,\x0bfriend\ufffe."
    survey.greeting_sound_file = "https://cdn.example.com/hi\ud800.mp3"
    survey.instructions_text, survey.instructions_sound_file = "", ""
    await call.start()
    say = '<Say language="en-US" voice="Polly.Joanna">'
    query = "turn=1&amp;i=1001&amp;q=501&amp;s=52"
    hints = "zero, one, two, three, four, five, six, seven, eight, nine, ten"
    assert call.xml == (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        f'<Gather action="https://gw.example.com/twilio/voice/answer?{query}" finishOnKey="#" '
        f'hints="{hints}" input="dtmf speech" language="en-US" method="POST" '
        'speechTimeout="auto" timeout="5">'
        f"{say}Hello there, friend.</Say>"
        f"{say}How likely are you to recommend us to a friend, from 0 to 10?</Say></Gather>"
        f'<Redirect method="POST">https://gw.example.com/twilio/voice/silence?{query}</Redirect>'
        "</Response>"
    )
    assert call.spoken()[0] == "Hello there, friend."  # it parses (Call.post parsed it too)


async def test_unknown_caller_hears_a_polite_goodbye(
    gateway: tuple[TestClient[Any, Any], Settings], sandbox: SandboxState
) -> None:
    client, settings = gateway
    call = Call(client, settings, caller="+61400000999", called=INBOUND)
    await call.start()
    assert call.spoken() == [settings.gateway_no_survey_message]
    assert call.hung_up_by_gateway
    assert count(sandbox, r"/interactions", "POST") == 0


async def test_configured_text_is_made_xml_safe_too(
    start_gateway: GatewayFactory, sandbox: SandboxState
) -> None:
    """The operator's own sentence and voice reach TwiML by the same rule."""
    client, settings = await start_gateway(
        gateway_no_survey_message="No survey\ud800 for\x0byou.\x00",
        gateway_say_voice="Polly.\x00Joanna",
    )
    call = Call(client, settings, caller="+61400000999", called=INBOUND)
    await call.start()
    assert call.xml == (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        '<Say language="en-US" voice="Polly.Joanna">No survey for you.</Say>'
        "<Hangup /></Response>"
    )


async def test_unknown_caller_gets_an_interaction_when_allowed(
    start_gateway: GatewayFactory, sandbox: SandboxState
) -> None:
    client, settings = await start_gateway(gateway_inbound_create=True)
    call = Call(client, settings, caller="+61400000999", called=INBOUND)
    await call.start()
    created = [i for i in sandbox.store.interactions.values() if i.external_ref == call.call_sid]
    assert len(created) == 1
    assert created[0].survey_type == "inbound"
    assert created[0].phone_number == "+61400000999"
    assert created[0].started
    await call.press("10")
    assert answers(sandbox, created[0].id) == ["10"]


async def test_unrouted_number_is_not_served(
    gateway: tuple[TestClient[Any, Any], Settings], sandbox: SandboxState
) -> None:
    client, settings = gateway
    call = Call(client, settings, caller=DEMO_RESPONDENT, called="+61299999999")
    await call.start()
    assert call.spoken() == [settings.gateway_no_survey_message]


async def test_future_interaction_is_not_started_early(
    gateway: tuple[TestClient[Any, Any], Settings], sandbox: SandboxState
) -> None:
    client, settings = gateway
    sandbox.store.create_interaction(
        52,
        survey_type="inbound",
        phone_number="+61400000777",
        scheduled_at=datetime.now(UTC) + timedelta(days=2),
    )
    call = Call(client, settings, caller="+61400000777", called=INBOUND)
    await call.start()
    assert call.spoken() == [settings.gateway_no_survey_message]
    assert count(sandbox, r"/interactions/\d+/start_survey", "POST") == 0


async def test_caller_calling_back_an_outbound_number(
    gateway: tuple[TestClient[Any, Any], Settings], sandbox: SandboxState
) -> None:
    """A missed outbound interaction is taken when the respondent calls back."""
    client, settings = gateway
    call = Call(client, settings, caller=DEMO_RESPONDENT, called="+61200000001")
    await call.start()
    assert call.spoken()[0].startswith("Hello, this is Example Co calling")
    await call.press("6")
    assert answers(sandbox, 1002) == ["6"]


async def test_answered_outbound_call_names_its_interaction(
    gateway: tuple[TestClient[Any, Any], Settings], sandbox: SandboxState
) -> None:
    client, settings = gateway
    call = Call(client, settings, caller="+61200000001", called=DEMO_RESPONDENT)
    await call.start("/twilio/voice?interaction=1002")
    await call.press("10")
    assert answers(sandbox, 1002) == ["10"]
    assert count(sandbox, r"/interactions", "GET") == 0  # no lookup needed


async def test_survey_ended_elsewhere_is_not_offered(
    gateway: tuple[TestClient[Any, Any], Settings], sandbox: SandboxState
) -> None:
    """The index said pending, but the survey was ended elsewhere meanwhile."""
    client, settings = gateway
    stranger = Call(client, settings, caller="+61400000999", called=INBOUND)
    await stranger.start()  # builds survey 52's index, which lists 1001
    sandbox.engine.abandon(sandbox.store.interaction(INBOUND_ID))  # e.g. ended on the web
    call = Call(client, settings, caller=DEMO_RESPONDENT, called=INBOUND)
    await call.start()
    assert call.spoken() == [settings.gateway_no_survey_message]
    assert count(sandbox, r"/interactions/\d+/start_survey", "POST") == 1


@pytest.mark.parametrize("final", ["completed", "busy", "no-answer", "failed", "canceled"])
async def test_every_final_status_ends_the_session(
    call: Call, sandbox: SandboxState, final: str
) -> None:
    await call.start()
    await call.hang_up(status=final)
    assert count(sandbox, ABANDON, "POST") == 1
    assert await call.client.server.app[COMPONENTS].stores.sessions.load(call.call_sid) is None


@pytest.mark.parametrize(
    "answered_by", ["machine_start", "machine_end_beep", "machine_end_silence", "fax"]
)
async def test_answering_machine_is_not_surveyed(
    gateway: tuple[TestClient[Any, Any], Settings], sandbox: SandboxState, answered_by: str
) -> None:
    client, settings = gateway
    call = Call(client, settings, caller="+61200000001", called=DEMO_RESPONDENT)
    await call.post("/twilio/voice?interaction=1002", AnsweredBy=answered_by)
    assert call.xml.endswith("<Response><Hangup /></Response>")
    assert count(sandbox, r"/interactions/\d+/start_survey", "POST") == 0
    assert not sandbox.store.interaction(1002).started


async def test_a_person_answering_is_surveyed(
    gateway: tuple[TestClient[Any, Any], Settings], sandbox: SandboxState
) -> None:
    client, settings = gateway
    call = Call(client, settings, caller="+61200000001", called=DEMO_RESPONDENT)
    await call.post("/twilio/voice?interaction=1002", AnsweredBy="human")
    assert call.gather is not None


async def test_hang_up_while_the_last_answer_is_in_flight(
    call: Call, sandbox: SandboxState
) -> None:
    """Twilio posts the last answer, then the hang-up: the answer must win."""
    await call.start()
    for digits in ("9", "4", "1"):
        await call.press(digits)
    sandbox.faults.add(Fault(method="POST", path=SUBMIT, delay=0.3, times=1))

    async def hang_up_soon() -> None:
        await asyncio.sleep(0.05)
        await call.hang_up()

    await asyncio.gather(call.say("All good"), hang_up_soon())
    assert answers(sandbox, INBOUND_ID) == ["9", "4", "Yes", "All good"]
    assert sandbox.store.interaction(INBOUND_ID).survey_ended
    assert count(sandbox, ABANDON, "POST") == 0


async def test_repeated_first_webhook_gets_the_same_reply(
    call: Call, sandbox: SandboxState
) -> None:
    """An inbound call's first webhook reads no session before it starts: a
    retry asks SDX where the survey stands (a second start_survey, which
    changes nothing) and gets the stored reply, not a second session."""
    await call.start()
    first = call.xml
    await call.start()
    assert call.xml == first
    assert count(sandbox, r"/interactions/\d+/start_survey", "POST") == 2
    await call.press("9")
    assert answers(sandbox, INBOUND_ID) == ["9"]  # the session went on from turn 1


async def test_repeated_first_webhook_of_an_outbound_call_starts_once(
    gateway: tuple[TestClient[Any, Any], Settings], sandbox: SandboxState
) -> None:
    """An answered outbound call looks for a session first (a machine may
    have been detected already), so a retry replays without SDX."""
    client, settings = gateway
    call = Call(client, settings, caller="+61200000001", called=DEMO_RESPONDENT)
    await call.start("/twilio/voice?interaction=1002")
    first = call.xml
    await call.start("/twilio/voice?interaction=1002")
    assert call.xml == first
    assert count(sandbox, r"/interactions/\d+/start_survey", "POST") == 1


async def test_inbound_create_conflict_with_a_later_interaction(
    start_gateway: GatewayFactory, sandbox: SandboxState
) -> None:
    """SDX refuses a second pending interaction (409); the existing one is not due."""
    client, settings = await start_gateway(gateway_inbound_create=True)
    sandbox.store.create_interaction(
        52,
        survey_type="inbound",
        phone_number="+61400000777",
        scheduled_at=datetime.now(UTC) + timedelta(days=2),
    )
    call = Call(client, settings, caller="+61400000777", called=INBOUND)
    await call.start()
    assert call.spoken() == [settings.gateway_no_survey_message]
    assert count(sandbox, r"/interactions", "POST") == 1  # tried to create, got 409
    assert count(sandbox, r"/interactions/\d+/start_survey", "POST") == 0


async def test_anonymous_caller_gets_no_interaction(
    start_gateway: GatewayFactory, sandbox: SandboxState
) -> None:
    client, settings = await start_gateway(gateway_inbound_create=True)
    call = Call(client, settings, caller="+266696687", called=INBOUND)  # Twilio's "anonymous"
    await call.start()
    assert call.spoken() == [settings.gateway_no_survey_message]
    assert count(sandbox, r"/interactions", "POST") == 0


async def test_failed_abandon_leaves_the_survey_to_resume(
    call: Call, sandbox: SandboxState
) -> None:
    """The hang-up's abandon fails: the number stays in the index, a call back resumes."""
    await call.start()
    await call.press("9")
    sandbox.faults.add(Fault(method="POST", path=ABANDON, status=504, times=1))
    await call.hang_up()
    again = Call(call.client, call.settings, caller=DEMO_RESPONDENT, called=INBOUND)
    await again.start()  # at once: well within GATEWAY_INDEX_MIN_AGE
    assert again.spoken()[-1].startswith("On a scale of 1 to 5")
