"""What the survey's texts cost, seen where Twilio bills them: the emulator's messages.

The emulator counts segments on its own (``gateway.sandbox.twilio.num_segments``),
so these tests check the gateway's texts against an independent count.
"""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.twilio import MessageRecord, num_segments
from tests.dispatch.conftest import World

SMS_NUMBER = "+61200000002"  # survey 54
OTHER = "+61400000002"
SATISFACTION = 510  # the second question of survey 54
# The demo survey's texts as pasted from a word processor: curly quotes, an
# en dash, a non-breaking space, an ellipsis. Nothing else outside GSM-7.
GREETING = (
    "Hi, it\u2019s Example Co\u2026 We\u2019d love your feedback \u2013 it takes 1\u00a0minute."
)
QUESTION = "On a scale of 1\u20135, how \u201csatisfied\u201d were you with your delivery?"


def sent(world: World, direction: str) -> list[MessageRecord]:
    return [m for m in world.twilio.messages if m.direction == direction]


async def start(world: World) -> None:
    world.twilio.outcomes[DEMO_RESPONDENT] = "busy"  # the outbound call of survey 53
    world.twilio.outcomes[OTHER] = "busy"
    await world.dispatch_all()


def use_word_processor_texts(world: World) -> None:
    world.sdx.store.survey(54).greeting_text = GREETING
    world.sdx.store.question(SATISFACTION).question_text = QUESTION


async def test_texts_whose_only_non_gsm_characters_are_look_alikes_go_as_gsm7(
    world: World,
) -> None:
    use_word_processor_texts(world)
    with capture_logs() as logs:
        await start(world)
    (first,) = sent(world, "outbound-api")
    assert first.body.startswith(
        "Hi, it's Example Co... We'd love your feedback - it takes 1 minute.\n"
    )
    assert all(ord(char) < 128 for char in first.body)
    assert first.num_segments == 2  # GSM-7: 199 characters
    original = first.body.replace("it's", "it\u2019s")  # one curly quote would have cost
    assert num_segments(original) == 3  # UCS-2
    assert [e for e in logs if e["event"] == "sms_segments"] == [
        {
            "event": "sms_segments",
            "log_level": "info",
            "kind": "first",
            "survey_id": 54,
            "interaction_id": 1003,
            "segments": 2,
            "encoding": "gsm7",
        }
    ]
    # The reply, a TwiML <Message> sent by Twilio, is GSM-7 too.
    number = world.twilio.number(SMS_NUMBER)
    assert number is not None
    number.sms_url = f"{world.settings.gateway_public_url}/twilio/sms"
    with capture_logs() as logs:
        replies = await world.twilio.inbound_sms(DEMO_RESPONDENT, SMS_NUMBER, "10")
    assert replies == ['On a scale of 1-5, how "satisfied" were you with your delivery?']
    (reply,) = sent(world, "outbound-reply")
    assert reply.num_segments == 1
    assert [
        (e["kind"], e["survey_id"], e["segments"], e["encoding"])
        for e in logs
        if e["event"] == "sms_segments"
    ] == [("reply", 54, 1, "gsm7")]


@pytest.mark.parametrize("world", [{"gateway_sms_max_segments": 1}], indirect=True)
async def test_a_first_text_over_the_budget_is_split_between_words(world: World) -> None:
    use_word_processor_texts(world)
    await start(world)
    pieces = sent(world, "outbound-api")
    assert len(pieces) == 2
    assert [m.num_segments for m in pieces] == [1, 1]
    text = "\n".join(m.body for m in pieces)
    assert " ".join(text.split()) == (
        "Hi, it's Example Co... We'd love your feedback - it takes 1 minute. "
        "Reply to each question with a text message. Reply STOP to opt out. "
        "How likely are you to recommend us to a friend, from 0 to 10?"
    )
    # Cut at the line break after the instructions: each piece ends a sentence.
    assert pieces[0].body.endswith("Reply STOP to opt out.")


@pytest.mark.parametrize("world", [{"gateway_sms_max_segments": 1}], indirect=True)
async def test_an_emoji_costs_only_the_message_it_is_in(world: World) -> None:
    world.sdx.store.survey(54).greeting_text = "Hi \U0001f44b it\u2019s Example Co."
    await start(world)
    pieces = sent(world, "outbound-api")
    # UCS-2 holds 67 code units in a segment: the emoji's message ends
    # within 70; the rest, without it, is GSM-7 (its curly quote replaced).
    assert [m.num_segments for m in pieces] == [1, 1]
    assert pieces[0].body.startswith("Hi \U0001f44b it's Example Co.")
    assert len(pieces[0].body.encode("utf-16-le")) // 2 <= 70
    assert all(ord(char) < 128 for char in pieces[1].body)
    assert len(pieces[1].body) > 70
