"""The SMS survey without HTTP: SmsSurvey called as the handler calls it.

In-memory stores and the SDX sandbox (over its own HTTP, as SDX would be);
each test asserts the replies a respondent gets and what SDX recorded.
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import pytest

from gateway.config import Settings
from gateway.run.components import Components
from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.sdx import Fault, SandboxState
from gateway.sms.survey import IncomingSms, SmsSurvey
from tests.helpers.ledger import START, SUBMIT, answers, count, data

SMS_NUMBER = "+61200000002"  # survey 54's sms number
SMS_ID = 1003
TRY_LATER = "Sorry, we cannot record your answer right now. Please try again later."

_sids = itertools.count(1)


def message(body: str, sid: str | None = None, opt_out_type: str = "") -> IncomingSms:
    sid = sid or f"SM{next(_sids):032x}"
    return IncomingSms(sid, DEMO_RESPONDENT, SMS_NUMBER, body, opt_out_type)


def texts(xml: str) -> list[str]:
    return [m.text or "" for m in ET.fromstring(xml).iter("Message")]


@pytest.fixture
def sms(parts: tuple[Settings, Components]) -> SmsSurvey:
    return parts[1].sms


async def test_a_whole_survey_by_text(sms: SmsSurvey, sandbox: SandboxState) -> None:
    assert texts(await sms.receive(message("Hi")))[0].endswith(
        "How likely are you to recommend us to a friend, from 0 to 10?"
    )
    for body in ["9", "four", "Yes!"]:
        await sms.receive(message(body))
    assert texts(await sms.receive(message("Faster, please"))) == ["Thanks for your feedback!"]
    assert answers(sandbox, SMS_ID) == ["9", "4", "Yes", "Faster, please"]
    assert sandbox.store.interaction(SMS_ID).survey_ended
    assert texts(await sms.receive(message("Thanks!"))) == []  # ended: nothing submitted
    assert count(sandbox, SUBMIT) == 4


async def test_a_repeated_message_sid_gets_its_reply_and_submits_once(
    sms: SmsSurvey, sandbox: SandboxState
) -> None:
    await sms.receive(message("Hi"))
    first = await sms.receive(message("9", sid="SM" + "a" * 32))
    assert await sms.receive(message("9", sid="SM" + "a" * 32)) == first
    assert answers(sandbox, SMS_ID) == ["9"]


async def test_stop_ends_the_survey_and_notes_it_in_sdx(
    sms: SmsSurvey, sandbox: SandboxState, parts: tuple[Settings, Components]
) -> None:
    await sms.receive(message("Hi"))
    assert texts(await sms.receive(message("stop"))) == []  # the carrier confirms
    assert sandbox.store.interaction(SMS_ID).completed
    assert data(sandbox, SMS_ID) == {"gateway_status": "opted_out"}
    assert await parts[1].stores.conversations.is_opted_out(DEMO_RESPONDENT)
    assert texts(await sms.receive(message("9"))) == []
    assert count(sandbox, SUBMIT) == 0


async def test_help_is_answered_never_submitted(sms: SmsSurvey, sandbox: SandboxState) -> None:
    await sms.receive(message("Hi"))
    assert texts(await sms.receive(message("HELP"))) == [
        "Reply to each question to answer our survey. Reply STOP to opt out."
    ]
    assert count(sandbox, SUBMIT) == 0


async def test_sdx_failing_says_try_later_and_the_repeat_is_applied_once(
    sms: SmsSurvey, sandbox: SandboxState
) -> None:
    await sms.receive(message("Hi"))
    # A proxy's 504: SDX may still be applying it, so it is not resent now.
    sandbox.faults.add(Fault(method="POST", path=SUBMIT, status=504, times=1))
    assert texts(await sms.receive(message("9"))) == [TRY_LATER]
    starts = count(sandbox, START)
    # The respondent repeats it: SDX is asked first, then the answer is submitted once.
    reply = texts(await sms.receive(message("9")))
    assert reply == ["On a scale of 1 to 5, how satisfied were you with your delivery?"]
    assert answers(sandbox, SMS_ID) == ["9"]
    assert count(sandbox, START) == starts + 1
    assert count(sandbox, SUBMIT) == 2


async def test_no_pending_interaction_is_told_so(sms: SmsSurvey, sandbox: SandboxState) -> None:
    other = IncomingSms("SM" + "b" * 32, "+61400000555", SMS_NUMBER, "Hi")
    assert texts(await sms.receive(other)) == ["There is no survey waiting for this number."]
    assert count(sandbox, START) == 0
