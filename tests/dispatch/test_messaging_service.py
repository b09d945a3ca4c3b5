"""First texts through a Messaging Service: no From, replies from any number of its pool.

US senders need A2P 10DLC, which in practice means a Messaging Service:
Twilio picks the From from the service's pool, and the respondent's reply
reaches whichever number that was. The emulator's service pins the
respondent to a pool number that is not survey 54's SMS number
(+61200000002), nor routed for SMS at all.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gateway.dispatch.jobs import Job
from gateway.dispatch.placing import PLACING
from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.twilio import MessageRecord, Outcome
from gateway.state.conversations import Conversation
from gateway.twilio.rest import TwilioRest
from tests.dispatch.conftest import World
from tests.dispatch.test_loop import OTHER, SMS_ID
from tests.helpers.ledger import answers, data

SERVICE = "MG" + "5e" * 16
OTHER_SERVICE = "MG" + "0f" * 16
POOL_NUMBER = "+61200000000"  # survey 52's voice number: no survey's SMS number
SURVEY_NUMBER = "+61200000002"  # survey 54's sms_number in SDX


def first_texts(world: World) -> list[MessageRecord]:
    return [m for m in world.twilio.messages if m.direction == "outbound-api"]


def message_creates(world: World) -> list[dict[str, str]]:
    return [
        r.form
        for r in world.twilio.requests
        if r.method == "POST" and r.path.endswith("/Messages.json")
    ]


def service_in_use(world: World, sid: str) -> None:
    """The service exists, holds both numbers, keeps the respondent on the pool's
    first, and sends what reaches its numbers to the gateway."""
    service = world.twilio.add_service([POOL_NUMBER, SURVEY_NUMBER], sid=sid)
    service.sticky[DEMO_RESPONDENT] = POOL_NUMBER
    service.inbound_request_url = f"{world.settings.gateway_public_url}/twilio/sms"
    world.twilio.outcomes[DEMO_RESPONDENT] = Outcome.BUSY  # the calls of survey 53
    world.twilio.outcomes[OTHER] = Outcome.BUSY


@pytest.mark.parametrize("world", [{"twilio_messaging_service_sid": SERVICE}], indirect=True)
async def test_first_text_goes_through_the_service_and_replies_reach_it(world: World) -> None:
    service_in_use(world, SERVICE)
    await world.dispatch_all()
    (create,) = message_creates(world)
    assert create["MessagingServiceSid"] == SERVICE
    assert "From" not in create  # Twilio picks the sender
    (first,) = first_texts(world)
    assert (first.from_, first.messaging_service_sid) == (POOL_NUMBER, SERVICE)
    assert first.body.endswith("How likely are you to recommend us to a friend, from 0 to 10?")
    # The reply reaches the pool number, not the survey's: its conversation is the service's.
    replies = [
        await world.twilio.inbound_sms(DEMO_RESPONDENT, POOL_NUMBER, body)
        for body in ["10", "5", "yes", "Keep it up"]
    ]
    assert replies[1] == ["Was your issue resolved? Reply YES or NO."]
    assert replies[-1] == ["Thanks for your feedback!"]
    assert answers(world.sdx, SMS_ID) == ["10", "5", "Yes", "Keep it up"]
    inbound = [m for m in world.twilio.messages if m.direction == "inbound"]
    assert {m.messaging_service_sid for m in inbound} == {SERVICE}
    prefix = world.settings.gateway_redis_prefix
    assert await world.redis.exists(f"{prefix}sms:conv:{DEMO_RESPONDENT}|{SERVICE}")
    assert not await world.redis.exists(f"{prefix}sms:conv:{DEMO_RESPONDENT}|{POOL_NUMBER}")
    await world.dispatch_all()
    assert len(first_texts(world)) == 1


@pytest.mark.parametrize(
    "world",
    [
        {
            "twilio_messaging_service_sid": OTHER_SERVICE,
            "gateway_numbers": f"+61200000002=54,{SERVICE}=54",
        }
    ],
    indirect=True,
)
async def test_a_surveys_own_service_comes_before_the_default(world: World) -> None:
    world.twilio.add_service([], sid=OTHER_SERVICE)  # empty: a text through it would fail
    service_in_use(world, SERVICE)
    await world.dispatch_all()
    (create,) = message_creates(world)
    assert create["MessagingServiceSid"] == SERVICE
    (first,) = first_texts(world)
    assert first.from_ == POOL_NUMBER
    assert await world.twilio.inbound_sms(DEMO_RESPONDENT, POOL_NUMBER, "10") == [
        "On a scale of 1 to 5, how satisfied were you with your delivery?"
    ]
    assert answers(world.sdx, SMS_ID) == ["10"]


async def test_without_a_service_texts_still_come_from_the_number(world: World) -> None:
    world.twilio.outcomes[DEMO_RESPONDENT] = Outcome.BUSY
    world.twilio.outcomes[OTHER] = Outcome.BUSY
    await world.dispatch_all()
    (create,) = message_creates(world)
    assert (create["From"], "MessagingServiceSid" in create) == (SURVEY_NUMBER, False)


@pytest.mark.parametrize("world", [{"twilio_messaging_service_sid": SERVICE}], indirect=True)
async def test_a_conversation_opened_from_the_number_survives_the_switch(world: World) -> None:
    """Texted from the bare number before the service was configured: the reply now
    carries the service's SID, and still finds its conversation (keyed by the number)."""
    service_in_use(world, SERVICE)
    await world.redis.flushall()
    started = await world.twilio.inbound_sms(DEMO_RESPONDENT, SURVEY_NUMBER, "hello")
    assert started[0].endswith("from 0 to 10?")  # survey 54's pending sms interaction
    prefix = world.settings.gateway_redis_prefix
    key = f"{prefix}sms:conv:{DEMO_RESPONDENT}|{SERVICE}"
    raw = await world.redis.get(key)
    assert raw is not None
    conversation = Conversation.model_validate_json(raw)
    conversation.number = SURVEY_NUMBER  # as a dispatcher without the service had opened it
    await world.redis.delete(key)
    await world.conversations.finish(None, "", conversation, world.settings.gateway_sms_session_ttl)
    assert await world.twilio.inbound_sms(DEMO_RESPONDENT, SURVEY_NUMBER, "9") == [
        "On a scale of 1 to 5, how satisfied were you with your delivery?"
    ]
    assert answers(world.sdx, SMS_ID) == ["9"]


@pytest.mark.parametrize("world", [{"twilio_messaging_service_sid": SERVICE}], indirect=True)
async def test_a_first_text_whose_outcome_was_lost_is_found_through_the_service(
    world: World,
) -> None:
    """The first text went out, but its dispatcher died before settling it: the job
    comes back (taken over from the stream), finds its attempt begun, and asks
    Twilio's log. A message sent through a service had no From when it was
    created, so the log is read by To and matched by service: nothing is sent twice."""
    service_in_use(world, SERVICE)
    await world.dispatch_all()
    (first,) = first_texts(world)
    attempt = data(world.sdx, SMS_ID)[PLACING].split()[0]
    # The dead dispatcher's claims lapse; its stream entry is taken over.
    prefix = world.settings.gateway_redis_prefix
    for pattern in ("dispatch:lease", "dispatch:claim:*", "dispatch:queued:*"):
        async for key in world.redis.scan_iter(match=f"{prefix}{pattern}"):
            await world.redis.delete(key)
    dispatcher = world.make_dispatcher()
    job = Job(SMS_ID, 54, "sms", DEMO_RESPONDENT, SERVICE, attempt)
    assert await dispatcher._store.enqueue([job], ttl=600) == 1
    while await dispatcher.consume_once("c"):
        pass
    assert dispatcher.outcomes == {"reconciled": 1}
    assert first_texts(world) == [first]
    listed = [
        r.query
        for r in world.twilio.requests
        if r.method == "GET" and r.path.endswith("/Messages.json")
    ]
    assert listed == [{"To": DEMO_RESPONDENT, "PageSize": "20"}]  # no From to filter on
    # The conversation it had opened goes on.
    assert await world.twilio.inbound_sms(DEMO_RESPONDENT, POOL_NUMBER, "10") == [
        "On a scale of 1 to 5, how satisfied were you with your delivery?"
    ]


async def test_messages_of_another_sender_are_not_taken_for_the_services(world: World) -> None:
    """Reading Twilio's log for a service's text, a message to the same person from
    a bare number (or another service) does not count."""
    world.twilio.add_service([POOL_NUMBER], sid=SERVICE)
    world.twilio.add_service([SURVEY_NUMBER], sid=OTHER_SERVICE)
    twilio = TwilioRest(world.settings)
    await twilio.start()
    try:
        since = datetime.now(UTC) - timedelta(minutes=1)
        await twilio.send_message(to=DEMO_RESPONDENT, from_="+61200000001", body="bare")
        await twilio.send_message(to=DEMO_RESPONDENT, from_=OTHER_SERVICE, body="other")
        assert await twilio.messages_since(to=DEMO_RESPONDENT, from_=SERVICE, since=since) == []
        sid = await twilio.send_message(to=DEMO_RESPONDENT, from_=SERVICE, body="ours")
        found = await twilio.messages_since(to=DEMO_RESPONDENT, from_=SERVICE, since=since)
        assert found == [sid]
        bare = await twilio.messages_since(to=DEMO_RESPONDENT, from_="+61200000001", since=since)
        assert len(bare) == 1
        assert bare != found
    finally:
        await twilio.close()


@pytest.mark.parametrize(
    "world", [{"twilio_messaging_service_sid": SERVICE, "gateway_retry_delay": 3}], indirect=True
)
async def test_a_failed_delivery_through_the_service_finds_its_conversation(
    world: World,
) -> None:
    """The status callback comes From the pool number Twilio chose, with the
    service's SID: the report is about the service's conversation, so a first
    text that was not delivered for now is moved to be texted again (not
    taken for a conversation that moved on)."""
    service_in_use(world, SERVICE)
    world.twilio.fail_delivery(DEMO_RESPONDENT, 30003, times=1)
    await world.dispatch_all()
    (failed,) = first_texts(world)
    assert (failed.from_, failed.error_code) == (POOL_NUMBER, 30003)
    assert failed.status in ("failed", "undelivered")
    recorded = data(world.sdx, SMS_ID)
    scheduled = world.sdx.store.interaction(SMS_ID).scheduled_at
    assert recorded["gateway_attempts"] == "1"
    assert recorded["gateway_redial"] == str(int(scheduled.timestamp()))
    conversation = await world.conversations.load(f"{DEMO_RESPONDENT}|{SERVICE}")
    assert conversation is not None
    assert (conversation.status, conversation.resend) == ("active", True)
