"""Replies in a conversation: plain GSM-7 where the text allows, split to the segment budget."""

from __future__ import annotations

from structlog.testing import capture_logs

from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.sdx import SandboxState
from gateway.sms.segments import count_segments
from tests.helpers.phone import Phone
from tests.helpers.settings import GatewayFactory
from tests.sms.conftest import SMS_NUMBER

ANSWER_SID = "SM" + "5" * 32
SATISFACTION = 510  # survey 54's second question, the reply to the first answer
LONG_QUESTION = (
    "Thinking about the whole order \u2013 from the website, to the delivery, to the "
    "packaging \u2013 and about what you \u201cexpected\u201d when you ordered, on a scale "
    "of 1 to 5, where 1 means \u2018very dissatisfied\u2019 and 5 means \u2018very "
    "satisfied\u2019, how satisfied were you with your delivery overall\u2026 \U0001f69a?"
)


async def test_a_reply_over_the_budget_is_split_between_words_each_in_its_encoding(
    start_gateway: GatewayFactory, sandbox: SandboxState, store_kind: str
) -> None:
    sandbox.store.question(SATISFACTION).question_text = LONG_QUESTION
    client, settings = await start_gateway(
        memory=store_kind == "memory", gateway_sms_max_segments=1
    )
    phone = Phone(client, settings, respondent=DEMO_RESPONDENT, number=SMS_NUMBER)
    await phone.send("hello")
    with capture_logs() as logs:
        replies = await phone.send("9", message_sid=ANSWER_SID)
    counted = [count_segments(reply) for reply in replies]
    assert [c.count for c in counted] == [1] * len(replies)
    # Only the message with the lorry emoji is UCS-2: the look-alikes of
    # the others were replaced, and they are GSM-7.
    assert [c.encoding for c in counted] == ["gsm7"] * (len(replies) - 1) + ["ucs2"]
    plain = (
        LONG_QUESTION.replace("\u2013", "-")
        .translate({0x201C: '"', 0x201D: '"', 0x2018: "'", 0x2019: "'"})
        .replace("\u2026", "...")
    )
    assert " ".join(replies).split() == plain.split()  # no word cut, none lost
    logged = [e for e in logs if e["event"] == "sms_segments"]
    assert [(e["kind"], e["survey_id"], e["segments"]) for e in logged] == [("reply", 54, 1)] * len(
        replies
    )
    assert [e["encoding"] for e in logged] == [c.encoding for c in counted]
    # The same reply to a repeat of the message, not counted again.
    with capture_logs() as logs:
        assert await phone.send("9", message_sid=ANSWER_SID) == replies
    assert [e for e in logs if e["event"] == "sms_segments"] == []


async def test_a_reply_within_the_budget_is_one_message(
    start_gateway: GatewayFactory, sandbox: SandboxState
) -> None:
    sandbox.store.question(SATISFACTION).question_text = LONG_QUESTION
    client, settings = await start_gateway(memory=True)  # the default budget, 10
    phone = Phone(client, settings, respondent=DEMO_RESPONDENT, number=SMS_NUMBER)
    await phone.send("hello")
    (reply,) = await phone.send("9")
    assert count_segments(reply).count == 5  # UCS-2, for the emoji: 303 units
    assert "\u2019" not in reply
    assert "'very satisfied'" in reply
