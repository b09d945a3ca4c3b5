"""The voice survey without HTTP: VoiceSurvey called as the handlers call it.

In-memory stores and the SDX sandbox (over its own HTTP, as SDX would be);
each test asserts the TwiML a caller gets and what SDX recorded.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import parse_qsl, urlsplit

import pytest

from gateway.config import Settings
from gateway.run.components import Components
from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.sdx import Fault, SandboxState
from gateway.sdx import SdxClient
from gateway.voice.turns import TurnRef
from tests.helpers.ledger import ABANDON, START, answers, count, data

INBOUND = "+61200000000"  # survey 52's inbound number
INBOUND_ID = 1001
OUTBOUND_ID = 1002
CALL_SID = "CA" + "1" * 32
FIRST_QUESTION = "How likely are you to recommend us to a friend, from 0 to 10?"
APOLOGY = "Sorry, we cannot record your answers right now. Please call back later. Goodbye."


def said(xml: str) -> list[str]:
    return [say.text or "" for say in ET.fromstring(xml).iter("Say")]


def next_turn(xml: str, call_sid: str = CALL_SID) -> TurnRef:
    """The turn the reply's Gather action names, as the route would read it."""
    gather = ET.fromstring(xml).find("Gather")
    assert gather is not None, xml
    return TurnRef.parse(call_sid, dict(parse_qsl(urlsplit(gather.attrib["action"]).query)))


def hangs_up(xml: str) -> bool:
    return ET.fromstring(xml).find("Hangup") is not None


@pytest.fixture
def voice_parts(parts: tuple[Settings, Components]) -> Components:
    return parts[1]


async def test_a_whole_call_records_each_answer_once(
    voice_parts: Components, sandbox: SandboxState
) -> None:
    voice = voice_parts.voice
    reply = await voice.incoming(CALL_SID, DEMO_RESPONDENT, INBOUND, None)
    assert said(reply)[-1] == FIRST_QUESTION
    for digits, speech in [("9", ""), ("4", ""), ("1", ""), ("", "Quick and friendly.")]:
        reply = await voice.answer(next_turn(reply), digits, speech)
    assert hangs_up(reply)
    assert said(reply) == ["Thank you for your feedback. Goodbye."]
    assert answers(sandbox, INBOUND_ID) == ["9", "4", "Yes", "Quick and friendly."]
    session = await voice_parts.stores.sessions.load(CALL_SID)
    assert session is not None
    assert session.status == "completed"
    # Ended: the number no longer finds it, and hanging up abandons nothing.
    assert await voice_parts.index.find([52], DEMO_RESPONDENT, ("inbound",)) is None
    await voice.status(CALL_SID, "completed", "", None)
    assert count(sandbox, ABANDON) == 0


async def test_a_replayed_answer_gets_the_same_reply_and_is_not_resubmitted(
    voice_parts: Components, sandbox: SandboxState
) -> None:
    voice = voice_parts.voice
    first = next_turn(await voice.incoming(CALL_SID, DEMO_RESPONDENT, INBOUND, None))
    reply = await voice.answer(first, "9", "")
    assert await voice.answer(first, "9", "") == reply
    assert answers(sandbox, INBOUND_ID) == ["9"]


async def test_a_lost_session_resumes_from_sdx(
    voice_parts: Components, sandbox: SandboxState
) -> None:
    voice = voice_parts.voice
    first = next_turn(await voice.incoming(CALL_SID, DEMO_RESPONDENT, INBOUND, None))
    second = next_turn(await voice.answer(first, "9", ""))
    await voice_parts.stores.sessions.delete(CALL_SID)  # Redis flushed
    # SDX is still on the question the caller heard: the answer is submitted once.
    reply = await voice.answer(second, "4", "")
    assert said(reply)[-1].startswith("Was your issue resolved?")
    assert answers(sandbox, INBOUND_ID) == ["9", "4"]
    assert count(sandbox, START) == 2  # the call's start, and the recovery's question to SDX


async def test_silence_reasks_then_abandons(voice_parts: Components, sandbox: SandboxState) -> None:
    voice = voice_parts.voice
    reply = await voice.incoming(CALL_SID, DEMO_RESPONDENT, INBOUND, None)
    for _ in range(2):  # GATEWAY_MAX_REPROMPTS
        reply = await voice.silence(next_turn(reply))
        assert said(reply) == ["Sorry, I didn't catch that.", FIRST_QUESTION]
    reply = await voice.silence(next_turn(reply))
    assert hangs_up(reply)
    assert count(sandbox, ABANDON) == 1
    assert sandbox.store.interaction(INBOUND_ID).survey_ended is False
    assert answers(sandbox, INBOUND_ID) == []


async def test_hanging_up_mid_survey_abandons_once(
    voice_parts: Components, sandbox: SandboxState
) -> None:
    voice = voice_parts.voice
    await voice.incoming(CALL_SID, DEMO_RESPONDENT, INBOUND, None)
    await voice.status(CALL_SID, "ringing", "", None)  # not final: nothing happens
    assert count(sandbox, ABANDON) == 0
    await voice.status(CALL_SID, "completed", "", None)
    await voice.status(CALL_SID, "completed", "", None)  # Twilio repeats it
    assert count(sandbox, ABANDON) == 1


async def test_sdx_failing_at_start_apologises_and_leaves_the_survey_open(
    voice_parts: Components, sandbox: SandboxState
) -> None:
    sandbox.faults.add(Fault(method="POST", path=START, status=500))
    voice = voice_parts.voice
    reply = await voice.incoming(CALL_SID, DEMO_RESPONDENT, INBOUND, None)
    assert said(reply) == [APOLOGY]
    assert hangs_up(reply)
    await voice.status(CALL_SID, "completed", "", None)
    assert count(sandbox, ABANDON) == 0  # the gateway ended the call, not the caller


async def test_no_pending_interaction_is_told_so(
    voice_parts: Components, sandbox: SandboxState
) -> None:
    reply = await voice_parts.voice.incoming(CALL_SID, "+61400000555", INBOUND, None)
    assert said(reply) == [
        "Thank you for calling. There is no survey waiting for this number. Goodbye."
    ]
    assert count(sandbox, START) == 0


async def test_an_answering_machine_is_counted_not_surveyed(
    voice_parts: Components, sandbox: SandboxState, sdx: SdxClient
) -> None:
    await sdx.set_interaction_data(OUTBOUND_ID, "gateway_attempts", "1")  # the dialler's count
    voice = voice_parts.voice
    reply = await voice.incoming(
        CALL_SID, INBOUND, DEMO_RESPONDENT, OUTBOUND_ID, answered_by="machine_start"
    )
    assert hangs_up(reply)
    assert said(reply) == []
    assert count(sandbox, START) == 0
    # The final status repeats the outcome: it is counted once.
    await voice.status(CALL_SID, "completed", "machine_start", OUTBOUND_ID)
    assert count(sandbox, r"/interactions/\d+", "PUT") == 1  # rescheduled once
    assert data(sandbox, OUTBOUND_ID) == {"gateway_attempts": "1"}
