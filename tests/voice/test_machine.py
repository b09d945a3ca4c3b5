"""Asynchronous machine detection's callback, wherever it falls in a call.

The voice survey is called as its routes call it (in-memory stores, the SDX
sandbox over HTTP). The live call's redirect through Twilio's REST API is
shown end to end in tests/dispatch/test_loop.py; here nothing can be
redirected, so the marked session is what ends the call at its next webhook.
"""

from __future__ import annotations

import asyncio

import pytest

from gateway.config import Settings
from gateway.run.components import Components
from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.sdx import Fault, SandboxState
from gateway.sdx import SdxClient
from tests.helpers.ledger import ABANDON, START, answers, count, data
from tests.voice.test_survey import (
    CALL_SID,
    FIRST_QUESTION,
    INBOUND,
    OUTBOUND_ID,
    hangs_up,
    next_turn,
    said,
)

RESCHEDULE = r"/interactions/\d+"
SUBMIT = r"/interactions/\d+/submit_response"


@pytest.fixture
def voice_parts(parts: tuple[Settings, Components]) -> Components:
    return parts[1]


async def _answered(parts: Components) -> str:
    """An outbound call answered: the greeting and the first question."""
    reply = await parts.voice.incoming(CALL_SID, INBOUND, DEMO_RESPONDENT, OUTBOUND_ID)
    assert said(reply)[-1] == FIRST_QUESTION
    return reply


def _moved_with_redial(sandbox: SandboxState) -> None:
    """Counted once, moved once, and marked to be dialled again at the new time."""
    assert count(sandbox, RESCHEDULE, "PUT") == 1
    scheduled = sandbox.store.interaction(OUTBOUND_ID).scheduled_at
    assert scheduled is not None
    assert data(sandbox, OUTBOUND_ID)["gateway_redial"] == str(int(scheduled.timestamp()))
    assert count(sandbox, ABANDON) == 0


async def test_before_the_first_webhook_the_survey_never_starts(
    voice_parts: Components, sandbox: SandboxState
) -> None:
    voice = voice_parts.voice
    await voice.machine(CALL_SID, OUTBOUND_ID, "machine_start")
    reply = await voice.incoming(CALL_SID, INBOUND, DEMO_RESPONDENT, OUTBOUND_ID)
    assert hangs_up(reply)
    assert said(reply) == []  # no GATEWAY_MACHINE_MESSAGE: just the hang-up
    assert count(sandbox, START) == 0
    await voice.status(CALL_SID, "completed", "", OUTBOUND_ID)
    _moved_with_redial(sandbox)


async def test_during_a_question_the_next_webhook_ends_the_call_unanswered(
    voice_parts: Components, sandbox: SandboxState
) -> None:
    voice = voice_parts.voice
    reply = await _answered(voice_parts)
    await voice.machine(CALL_SID, OUTBOUND_ID, "machine_end_beep")
    # The greeting's Gather hears the machine's own words: nothing is submitted.
    after = await voice.answer(next_turn(reply), "", "Please leave a message")
    assert hangs_up(after)
    assert answers(sandbox, OUTBOUND_ID) == []
    await voice.status(CALL_SID, "completed", "", OUTBOUND_ID)
    assert not sandbox.store.interaction(OUTBOUND_ID).completed  # not abandoned
    _moved_with_redial(sandbox)


async def test_an_answer_in_flight_is_kept_and_the_hang_up_abandons_nothing(
    voice_parts: Components, sandbox: SandboxState
) -> None:
    """The machine's words were submitted before detection decided: that answer
    stands (SDX has it), but the call's end is still a machine's, not a leave."""
    voice = voice_parts.voice
    reply = await _answered(voice_parts)
    sandbox.faults.add(Fault(method="POST", path=SUBMIT, delay=0.3, after=True, times=1))
    answering = asyncio.ensure_future(voice.answer(next_turn(reply), "9", ""))
    await asyncio.sleep(0.1)  # the answer is with SDX
    await voice.machine(CALL_SID, OUTBOUND_ID, "machine_start")
    await answering  # saves its next question over the marked session
    await voice.status(CALL_SID, "completed", "", OUTBOUND_ID)
    assert answers(sandbox, OUTBOUND_ID) == ["9"]
    _moved_with_redial(sandbox)


async def test_a_repeated_callback_counts_once(
    voice_parts: Components, sandbox: SandboxState
) -> None:
    voice = voice_parts.voice
    await _answered(voice_parts)
    for _ in range(3):
        await voice.machine(CALL_SID, OUTBOUND_ID, "machine_start")
    _moved_with_redial(sandbox)


async def test_a_person_changes_nothing(voice_parts: Components, sandbox: SandboxState) -> None:
    voice = voice_parts.voice
    reply = await _answered(voice_parts)
    await voice.machine(CALL_SID, OUTBOUND_ID, "human")
    after = await voice.answer(next_turn(reply), "9", "")
    assert not hangs_up(after)
    assert answers(sandbox, OUTBOUND_ID) == ["9"]
    assert count(sandbox, RESCHEDULE, "PUT") == 0
    assert "gateway_redial" not in data(sandbox, OUTBOUND_ID)


async def test_after_the_survey_finished_it_is_ignored(
    voice_parts: Components, sandbox: SandboxState
) -> None:
    voice = voice_parts.voice
    reply = await _answered(voice_parts)
    for digits, speech in [("9", ""), ("4", ""), ("1", ""), ("", "Fine")]:
        reply = await voice.answer(next_turn(reply), digits, speech)
    assert sandbox.store.interaction(OUTBOUND_ID).survey_ended
    await voice.machine(CALL_SID, OUTBOUND_ID, "machine_end_silence")
    assert count(sandbox, RESCHEDULE, "PUT") == 0
    assert data(sandbox, OUTBOUND_ID) == {}


async def test_an_inbound_call_is_never_treated_as_a_machine(
    voice_parts: Components, sandbox: SandboxState, sdx: SdxClient
) -> None:
    """Only the dispatcher's calls ask for detection: a callback naming no
    interaction (not one of ours) is ignored."""
    await voice_parts.voice.machine(CALL_SID, None, "machine_start")
    assert count(sandbox, RESCHEDULE, "PUT") == 0
