"""A first text Twilio took but could not deliver: each ErrorCode's outcome, end to end.

The dispatcher texts interaction 1003 (survey 54) through the emulator,
which reports the delivery to the gateway's /twilio/sms/status, signed; the
SDX sandbox shows what the gateway recorded. Every case also counts the
texts the respondent was sent: never one more than the outcome calls for.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.twilio.delivery import message_params
from gateway.sandbox.twilio.messages import MessageRecord
from gateway.state.conversations import conversation_key
from gateway.survey.outcomes import FINAL_STATUSES
from tests.dispatch.conftest import World
from tests.helpers.ledger import ABANDON, answers, count, data

SMS_ID, SMS_NUMBER = 1003, "+61200000002"
KEY = conversation_key(DEMO_RESPONDENT, SMS_NUMBER)


@pytest.fixture(autouse=True)
def texts_only(world: World) -> None:
    """Only the sms interaction is due (the outbound ones wait), and replies reach the gateway."""
    for interaction_id in (1002, 1005):
        interaction = world.sdx.store.interaction(interaction_id)
        interaction.scheduled_at = interaction.scheduled_at.replace(year=2100)
    number = world.twilio.number(SMS_NUMBER)
    assert number is not None
    number.sms_url = f"{world.settings.gateway_public_url}/twilio/sms"


def first_texts(world: World) -> list[MessageRecord]:
    return [
        m
        for m in world.twilio.messages
        if m.to == DEMO_RESPONDENT and m.direction == "outbound-api"
    ]


def failures(outcome: str) -> float:
    value = REGISTRY.get_sample_value("gateway_sms_delivery_failures_total", {"outcome": outcome})
    return value or 0.0


async def replay(world: World, message: MessageRecord) -> None:
    """Twilio sends the same status callback again."""
    assert message.status_callback is not None
    answer = await world.twilio.webhooks().send(
        message.status_callback, "POST", message_params(message)
    )
    assert answer.status == 200
    assert answer.text.endswith("<Response />")


async def test_each_text_names_its_interaction_and_attempt_for_its_status(world: World) -> None:
    await world.dispatch_all()
    (text,) = first_texts(world)
    attempt = int(world.sdx.store.interaction(SMS_ID).scheduled_at.timestamp())
    assert text.status_callback == (
        f"{world.settings.gateway_public_url}/twilio/sms/status"
        f"?interaction={SMS_ID}&attempt={attempt}"
    )
    assert (text.status, text.callbacks) == ("delivered", ["sent", "delivered"])
    assert "gateway_status" not in data(world.sdx, SMS_ID)
    conversation = await world.conversations.load(KEY)
    assert conversation is not None
    assert conversation.first_text == str(attempt)


@pytest.mark.parametrize("world", [{"gateway_retry_delay": 3}], indirect=True)
@pytest.mark.parametrize("code", [30003, 30008, 30001])
async def test_a_first_text_not_delivered_for_now_is_sent_once_more_later(
    world: World, code: int
) -> None:
    """30003, 30008 and codes not listed: the interaction is moved on and texted once more."""
    world.twilio.fail_delivery(DEMO_RESPONDENT, code, times=1)
    retries = failures("retry")
    await world.dispatch_all()
    (failed,) = first_texts(world)
    assert failed.status in ("failed", "undelivered")
    assert failed.error_code == code
    interaction = world.sdx.store.interaction(SMS_ID)
    recorded = data(world.sdx, SMS_ID)
    assert recorded["gateway_attempts"] == "1"
    assert recorded["gateway_redial"] == str(int(interaction.scheduled_at.timestamp()))
    assert "gateway_status" not in recorded
    assert interaction.started
    assert not interaction.completed
    conversation = await world.conversations.load(KEY)
    assert conversation is not None
    assert (conversation.status, conversation.resend) == (
        "active",
        True,
    )
    assert failures("retry") == retries + 1
    # Twilio repeats the callback: nothing more.
    await replay(world, failed)
    assert data(world.sdx, SMS_ID)["gateway_attempts"] == "1"
    # Not before the retry time...
    await world.dispatch_all()
    assert len(first_texts(world)) == 1
    # ...and once after it: the current question again (SDX resumes the
    # started survey: its greeting is not among the prompts any more).
    await asyncio.sleep(interaction.scheduled_at.timestamp() - time.time() + 0.1)
    await world.dispatch_all()
    await world.dispatch_all()
    first, again = first_texts(world)
    assert again.body == "How likely are you to recommend us to a friend, from 0 to 10?"
    assert first.body.endswith(again.body)
    assert again.status == "delivered"
    assert failures("retry") == retries + 1
    # It arrived: the answer counts.
    assert await world.twilio.inbound_sms(DEMO_RESPONDENT, SMS_NUMBER, "10") != []
    assert answers(world.sdx, SMS_ID) == ["10"]


@pytest.mark.parametrize("world", [{"gateway_max_attempts": 2}], indirect=True)
async def test_first_texts_never_delivered_end_unreachable_at_the_limit(world: World) -> None:
    world.twilio.fail_delivery(DEMO_RESPONDENT, 30003)
    await world.dispatch_all()
    await asyncio.sleep(1.1)
    await world.dispatch_all()
    assert len(first_texts(world)) == 2
    recorded = data(world.sdx, SMS_ID)
    assert (recorded["gateway_attempts"], recorded["gateway_status"]) == ("2", "unreachable")
    interaction = world.sdx.store.interaction(SMS_ID)
    assert interaction.completed
    assert not interaction.survey_ended
    conversation = await world.conversations.load(KEY)
    assert conversation is not None
    assert conversation.status == "abandoned"
    await asyncio.sleep(1.1)
    await world.dispatch_all()
    assert len(first_texts(world)) == 2  # never again


@pytest.mark.parametrize(
    ("code", "status", "conversation_status"),
    [
        (30005, "invalid_number", "abandoned"),
        (30006, "not_sms_capable", "abandoned"),
        (21614, "not_sms_capable", "abandoned"),
        (21610, "opted_out", "opted_out"),
        (30007, "filtered", "abandoned"),
    ],
)
async def test_a_first_text_that_cannot_be_delivered_ends_the_survey(
    world: World, code: int, status: str, conversation_status: str
) -> None:
    world.twilio.fail_delivery(DEMO_RESPONDENT, code)
    before = failures(status)
    with capture_logs() as logs:
        await world.dispatch_all()
    (failed,) = first_texts(world)
    assert failed.error_code == code
    recorded = data(world.sdx, SMS_ID)
    assert recorded["gateway_status"] == status
    assert status in FINAL_STATUSES  # never texted first again, whatever its time
    assert "gateway_redial" not in recorded
    assert "gateway_attempts" not in recorded
    interaction = world.sdx.store.interaction(SMS_ID)
    assert interaction.completed
    assert not interaction.survey_ended
    assert count(world.sdx, ABANDON) == 1
    conversation = await world.conversations.load(KEY)
    assert conversation is not None
    assert conversation.status == conversation_status
    assert await world.conversations.is_opted_out(DEMO_RESPONDENT) == (code == 21610)
    assert failures(status) == before + 1
    errors = [entry for entry in logs if entry["log_level"] == "error"]
    if code == 30007:
        (filtered,) = errors
        assert filtered["event"] == "sms_filtered_by_carrier"
        assert (filtered["survey_id"], filtered["error_code"]) == (54, 30007)
    else:
        assert errors == []
    assert "61409999999" not in repr(logs)
    # A repeated callback, and later polls, change nothing and text nobody.
    await replay(world, failed)
    await asyncio.sleep(1.1)
    await world.dispatch_all()
    assert count(world.sdx, ABANDON) == 1
    assert len(first_texts(world)) == 1
    assert data(world.sdx, SMS_ID)["gateway_status"] == status


@pytest.mark.parametrize("world", [{"gateway_retry_delay": 60}], indirect=True)
async def test_a_failure_reported_after_the_respondent_wrote_back_changes_nothing(
    world: World,
) -> None:
    """Their reply proves the text arrived (a carrier's report can be wrong, or late)."""
    world.twilio.fail_delivery(DEMO_RESPONDENT, 30003, times=1)
    world.twilio.delivery_delay = 0.3  # the report comes after the reply below
    moved_on = failures("moved_on")
    dispatcher = world.make_dispatcher()
    await dispatcher.poll_once()
    while await dispatcher.consume_once("c"):
        pass
    replies = await world.twilio.inbound_sms(DEMO_RESPONDENT, SMS_NUMBER, "10")
    assert replies == ["On a scale of 1 to 5, how satisfied were you with your delivery?"]
    await world.twilio.settle()
    (first,) = first_texts(world)
    assert first.status == "undelivered"
    assert answers(world.sdx, SMS_ID) == ["10"]
    recorded = data(world.sdx, SMS_ID)
    assert "gateway_attempts" not in recorded
    assert "gateway_redial" not in recorded
    assert failures("moved_on") == moved_on + 1
    conversation = await world.conversations.load(KEY)
    assert conversation is not None
    assert not conversation.resend


async def test_a_report_that_beats_the_dialler_still_gets_its_retry(world: World) -> None:
    """A long first text goes out in pieces, a pacing slot apart: the first
    piece's failure is reported (and the interaction moved on) before the
    dialler is done with the job. Its bookkeeping leaves that move alone."""
    survey = world.sdx.store.surveys[54]
    survey.greeting_text = " ".join(f"word{n:04d}" for n in range(250))  # two pieces
    world.twilio.fail_delivery(DEMO_RESPONDENT, 30003, times=2)
    slow = world.make_dispatcher(rate=1)  # a second between the pieces
    await world.dispatch_all(slow)
    assert len(first_texts(world)) == 2
    assert data(world.sdx, SMS_ID)["gateway_attempts"] == "1"  # one text, counted once
    await asyncio.sleep(1.1)
    await world.dispatch_all()
    texts = first_texts(world)
    assert len(texts) == 3
    assert texts[-1].body == "How likely are you to recommend us to a friend, from 0 to 10?"
    assert texts[-1].status == "delivered"
