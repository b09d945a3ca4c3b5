"""Due interactions become calls and texts, exactly once, with real webhooks back."""

from __future__ import annotations

import asyncio
import time

import pytest

from gateway.sandbox.credentials import DEMO_RESPONDENT
from tests.dispatch.conftest import World
from tests.helpers.ledger import answers, data

OUTBOUND_ID, SMS_ID = 1002, 1003
OTHER = "+61400000002"  # respondent of interaction 1005, also outbound on survey 53


def calls_to(world: World, number: str) -> list[object]:
    return [c for c in world.twilio.calls.values() if c.to == number]


async def test_due_call_is_placed_once_and_the_survey_completes(world: World) -> None:
    world.twilio.script(DEMO_RESPONDENT, ["9", "4", "1", "speech:Very helpful, thanks"])
    world.twilio.outcomes[OTHER] = "busy"
    await world.dispatch_all()
    (call,) = calls_to(world, DEMO_RESPONDENT)
    base = world.settings.gateway_public_url
    assert call.from_ == "+61200000001"
    assert call.url == f"{base}/twilio/voice?interaction={OUTBOUND_ID}"
    assert call.status_callback == f"{base}/twilio/voice/status?interaction={OUTBOUND_ID}"
    assert call.status_callback_events == {"initiated", "ringing", "answered", "completed"}
    assert call.machine_detection == "Enable"
    assert call.status == "completed"
    assert answers(world.sdx, OUTBOUND_ID) == ["9", "4", "Yes", "Very helpful, thanks"]
    assert world.sdx.store.interaction(OUTBOUND_ID).survey_ended
    assert call.heard[-1] == ("say", "That is all. Thank you for your time. Goodbye.")
    # Polling again changes nothing: nothing is dialled twice.
    await world.dispatch_all()
    assert len(calls_to(world, DEMO_RESPONDENT)) == 1


async def test_busy_is_redialled_until_the_limit_then_marked(world: World) -> None:
    world.twilio.outcomes[DEMO_RESPONDENT] = "busy"
    world.twilio.outcomes[OTHER] = "busy"
    for attempt in (1, 2, 3):
        await world.dispatch_all()
        assert len(calls_to(world, DEMO_RESPONDENT)) == attempt
        assert data(world.sdx, OUTBOUND_ID)["gateway_attempts"] == str(attempt)
        if attempt < 3:
            rescheduled = world.sdx.store.interaction(OUTBOUND_ID).scheduled_at
            assert rescheduled.timestamp() > time.time() - 1  # GATEWAY_RETRY_DELAY later
            await asyncio.sleep(1.1)
    assert data(world.sdx, OUTBOUND_ID)["gateway_status"] == "unreachable"
    await asyncio.sleep(1.1)
    await world.dispatch_all()
    assert len(calls_to(world, DEMO_RESPONDENT)) == 3  # never again
    assert not world.sdx.store.interaction(OUTBOUND_ID).started


async def test_no_answer_and_failed_count_as_attempts(world: World) -> None:
    world.twilio.outcomes[DEMO_RESPONDENT] = "no-answer"
    world.twilio.outcomes[OTHER] = "failed"
    await world.dispatch_all()
    assert data(world.sdx, OUTBOUND_ID)["gateway_attempts"] == "1"
    assert data(world.sdx, 1005)["gateway_attempts"] == "1"


MESSAGE = "Sorry we missed you. We will call again."
GREETING = "Hello, this is Example Co calling with a short survey about your recent support case."
FIRST_QUESTION = "How likely are you to recommend us to a friend, from 0 to 10?"


@pytest.mark.parametrize(
    "world",
    [
        {"gateway_machine_message": "", "gateway_machine_detection_mode": "sync"},
        {"gateway_machine_message": MESSAGE, "gateway_machine_detection_mode": "sync"},
    ],
    indirect=True,
)
async def test_answering_machine_found_before_the_call_starts(world: World) -> None:
    """Synchronous detection: the line is silent until Twilio decided, then the message."""
    message = world.settings.gateway_machine_message
    world.twilio.outcomes[DEMO_RESPONDENT] = "machine"
    world.twilio.outcomes[OTHER] = "busy"
    await world.dispatch_all()
    (call,) = calls_to(world, DEMO_RESPONDENT)
    assert call.machine_detection == ("DetectMessageEnd" if message else "Enable")
    assert call.async_amd_callback is None
    assert call.heard == ([("say", message)] if message else [])
    assert not world.sdx.store.interaction(OUTBOUND_ID).started  # not surveyed
    assert data(world.sdx, OUTBOUND_ID)["gateway_attempts"] == "1"


def _heard_before_detection(moment: str) -> list[tuple[str, str]]:
    """What a machine hears of the survey before asynchronous detection reports."""
    if moment == "answer":
        return []
    first = [
        ("say", GREETING),
        (
            "say",
            "Answer each question with your keypad or by saying your answer. "
            "After a number, press the hash key.",
        ),
        ("say", FIRST_QUESTION),
    ]
    if moment == "gather":
        return first
    # A machine never answers: the first Gather times out and is asked again.
    return [*first, ("say", "Sorry, I didn't catch that."), ("say", FIRST_QUESTION)]


@pytest.mark.parametrize(
    ("world", "moment"),
    [
        ({"gateway_machine_message": ""}, "answer"),
        ({"gateway_machine_message": MESSAGE}, "gather"),
        ({"gateway_machine_message": ""}, "after"),
        ({"gateway_machine_message": MESSAGE}, "after"),
    ],
    indirect=["world"],
    ids=["hang-up-answer", "message-gather", "hang-up-after", "message-after"],
)
async def test_answering_machine_found_while_the_survey_runs(world: World, moment: str) -> None:
    """Asynchronous detection (the default): the greeting starts at once; when the
    callback says machine, wherever the call stands, the message is left (or the
    call ends) and the interaction is dialled again later, from where it stood."""
    message = world.settings.gateway_machine_message
    world.twilio.detection_moment = moment  # type: ignore[assignment]
    world.twilio.outcomes[DEMO_RESPONDENT] = "machine"
    world.twilio.outcomes[OTHER] = "busy"
    await world.dispatch_all()
    (call,) = calls_to(world, DEMO_RESPONDENT)
    base = world.settings.gateway_public_url
    assert call.async_amd_callback == f"{base}/twilio/voice/machine?interaction={OUTBOUND_ID}"
    assert call.machine_detection == ("DetectMessageEnd" if message else "Enable")
    assert call.answered_by == ("machine_end_beep" if message else "machine_start")
    left = [("say", message)] if message else []
    assert call.heard == _heard_before_detection(moment) + left
    assert call.status == "completed"
    interaction = world.sdx.store.interaction(OUTBOUND_ID)
    assert interaction.started == (moment != "answer")
    assert not interaction.completed  # the machine's hang-up abandoned nothing
    assert answers(world.sdx, OUTBOUND_ID) == []  # a machine answers nothing
    recorded = data(world.sdx, OUTBOUND_ID)
    assert recorded["gateway_attempts"] == "1"
    assert interaction.scheduled_at is not None
    assert recorded["gateway_redial"] == str(int(interaction.scheduled_at.timestamp()))

    # The retry reaches a person, who takes the whole survey.
    world.twilio.outcomes[DEMO_RESPONDENT] = "answer"
    world.twilio.script(DEMO_RESPONDENT, ["9", "4", "1", "speech:Fine"])
    await asyncio.sleep(1.1)  # GATEWAY_RETRY_DELAY
    await world.dispatch_all()
    _, second = calls_to(world, DEMO_RESPONDENT)
    assert second.answered_by == "human"
    assert second.heard[-1] == ("say", "That is all. Thank you for your time. Goodbye.")
    assert answers(world.sdx, OUTBOUND_ID) == ["9", "4", "Yes", "Fine"]
    assert data(world.sdx, OUTBOUND_ID)["gateway_attempts"] == "2"
    await asyncio.sleep(1.1)
    await world.dispatch_all()
    assert len(calls_to(world, DEMO_RESPONDENT)) == 2  # completed: never again


async def test_sms_first_message_replies_and_completion(world: World) -> None:
    world.twilio.outcomes[DEMO_RESPONDENT] = "busy"
    world.twilio.outcomes[OTHER] = "busy"
    await world.dispatch_all()
    (first,) = [m for m in world.twilio.messages if m.to == DEMO_RESPONDENT]
    assert first.from_ == "+61200000002"
    assert first.body.endswith("How likely are you to recommend us to a friend, from 0 to 10?")
    # The number's messaging webhook points at the gateway, as `twilio configure` sets it.
    number = world.twilio.number("+61200000002")
    assert number is not None
    number.sms_url = f"{world.settings.gateway_public_url}/twilio/sms"
    replies = []
    for body in ["10", "5", "yes", "Keep it up"]:
        replies.append(await world.twilio.inbound_sms(DEMO_RESPONDENT, "+61200000002", body))
    assert replies[-1] == ["Thanks for your feedback!"]
    assert answers(world.sdx, SMS_ID) == ["10", "5", "Yes", "Keep it up"]
    await world.dispatch_all()
    assert len([m for m in world.twilio.messages if m.direction == "outbound-api"]) == 1


@pytest.mark.parametrize(
    ("code", "status"),
    [(21610, "opted_out"), (21211, "invalid_number"), (21614, "not_sms_capable")],
)
async def test_sms_refused_by_twilio(world: World, code: int, status: str) -> None:
    world.twilio.outcomes[DEMO_RESPONDENT] = "busy"
    world.twilio.outcomes[OTHER] = "busy"
    world.twilio.fail_next("Messages", DEMO_RESPONDENT, code=code)
    await world.dispatch_all()
    interaction = world.sdx.store.interaction(SMS_ID)
    assert interaction.completed
    assert not interaction.survey_ended
    assert data(world.sdx, SMS_ID)["gateway_status"] == status
    assert await world.conversations.is_opted_out(DEMO_RESPONDENT) == (code == 21610)
    await world.dispatch_all()
    assert [m for m in world.twilio.messages if m.to == DEMO_RESPONDENT] == []


async def test_sms_throttled_is_sent_later_once(world: World) -> None:
    world.twilio.outcomes[DEMO_RESPONDENT] = "busy"
    world.twilio.outcomes[OTHER] = "busy"
    world.twilio.fail_next("Messages", DEMO_RESPONDENT, code=20429)
    await world.dispatch_all()
    assert [m for m in world.twilio.messages if m.to == DEMO_RESPONDENT] == []
    store = world.make_dispatcher()._store
    # Resent a minute later: what the poll does then, done now.
    assert await store.requeue_retries(time.time() + 120, 10, ttl=600) == 1
    await world.dispatch_all()
    await world.dispatch_all()
    assert len([m for m in world.twilio.messages if m.to == DEMO_RESPONDENT]) == 1


async def test_a_failed_poll_loses_no_sms_retry(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis failing mid-poll leaves a due resend where it was, for the next poll."""
    for interaction_id in (OUTBOUND_ID, 1005):  # the text only
        interaction = world.sdx.store.interaction(interaction_id)
        interaction.scheduled_at = interaction.scheduled_at.replace(year=2100)
    world.twilio.fail_next("Messages", DEMO_RESPONDENT, code=20429)
    dispatcher = world.make_dispatcher()
    await world.dispatch_all(dispatcher)
    retries = f"{world.settings.gateway_redis_prefix}dispatch:retry"
    (member,) = await world.redis.zrange(retries, 0, -1)
    await world.redis.zadd(retries, {member: 0})  # the resend is due now
    store = dispatcher._store

    async def redis_gone(*_: object, **__: object) -> int:
        raise ConnectionError("Connection lost")

    monkeypatch.setattr(store, "enqueue", redis_gone)
    with pytest.raises(ConnectionError):
        await dispatcher.poll_once()
    monkeypatch.undo()
    assert await dispatcher.poll_once() == 1  # the resend, newly queued
    while await dispatcher.consume_once("c"):
        pass
    await world.twilio.settle()
    assert len([m for m in world.twilio.messages if m.to == DEMO_RESPONDENT]) == 1


async def test_opted_out_number_is_not_texted(world: World) -> None:
    world.twilio.outcomes[DEMO_RESPONDENT] = "busy"
    world.twilio.outcomes[OTHER] = "busy"
    await world.conversations.set_opt_out(DEMO_RESPONDENT, True)
    await world.dispatch_all()
    assert [m for m in world.twilio.messages if m.to == DEMO_RESPONDENT] == []
    assert data(world.sdx, SMS_ID)["gateway_status"] == "opted_out"


async def test_outside_the_call_window_nothing_is_dialled(world: World) -> None:
    hour = time.gmtime().tm_hour
    world.settings.gateway_call_window = type(world.settings.gateway_call_window).parse(
        f"{(hour + 2) % 24:02d}:00-{(hour + 3) % 24:02d}:00"
    )
    await world.dispatch_all()
    assert world.twilio.calls == {}
    assert world.twilio.messages == []


async def test_not_yet_due_nothing_is_dialled(world: World) -> None:
    for interaction_id in (OUTBOUND_ID, SMS_ID, 1005):
        interaction = world.sdx.store.interaction(interaction_id)
        interaction.scheduled_at = interaction.scheduled_at.replace(year=2100)
    await world.dispatch_all()
    assert world.twilio.calls == {}
    assert world.twilio.messages == []


async def test_twilio_throttling_a_call_leaves_it_for_the_next_poll(world: World) -> None:
    world.twilio.outcomes[OTHER] = "busy"
    world.twilio.fail_next("Calls", DEMO_RESPONDENT, code=20429)
    world.twilio.script(DEMO_RESPONDENT, ["hangup"])
    await world.dispatch_all()
    assert calls_to(world, DEMO_RESPONDENT) == []
    await world.dispatch_all()
    assert len(calls_to(world, DEMO_RESPONDENT)) == 1


async def test_an_entry_is_dialled_only_if_still_due(world: World) -> None:
    """Queued work is minutes old by the time a slot comes: it is checked again."""
    dispatcher = world.make_dispatcher()
    await dispatcher.poll_once()
    world.sdx.engine.abandon(world.sdx.store.interaction(OUTBOUND_ID))  # ended meanwhile
    interaction = world.sdx.store.interaction(1005)
    interaction.scheduled_at = interaction.scheduled_at.replace(year=2100)  # rescheduled
    while await dispatcher.consume_once("c"):
        pass
    await world.twilio.settle()
    assert world.twilio.calls == {}
    assert dispatcher.outcomes["stale"] == 2


async def test_dispatcher_survives_a_redis_flush(world: World, redis_server: object) -> None:
    dispatcher = world.make_dispatcher()
    world.twilio.default_outcome = "busy"
    assert await dispatcher.consume_once("c") == 0  # the group exists now
    await world.redis.flushall()  # stream and group gone
    await world.dispatch_all(dispatcher)
    assert len(world.twilio.calls) == 2
    assert len([m for m in world.twilio.messages if m.direction == "outbound-api"]) == 1


async def test_twilio_silence_on_create_is_never_redialled(world: World) -> None:
    """No answer to calls.create: the call may exist, so it is not placed again."""
    world.twilio.default_outcome = "busy"
    world.twilio.fail_next("Calls", DEMO_RESPONDENT, code=20500)  # a 5xx: may retry
    await world.dispatch_all()
    assert calls_to(world, DEMO_RESPONDENT) == []
    await world.dispatch_all()
    assert len(calls_to(world, DEMO_RESPONDENT)) == 1
    # Twilio's log shows the first dial called nobody: one attempt, not two.
    assert data(world.sdx, OUTBOUND_ID)["gateway_attempts"] == "1"


async def test_first_text_drops_characters_xml_cannot_carry(world: World) -> None:
    """A lone surrogate could not even be encoded for Twilio's REST API: the
    first text is sent without it (and without the NUL, the vertical tab...)."""
    world.twilio.outcomes[DEMO_RESPONDENT] = "busy"
    world.twilio.outcomes[OTHER] = "busy"
    survey = world.sdx.store.surveys[54]
    survey.greeting_text = "Hello\ud800 there\x00,\x0bfriend\ufffe."
    survey.instructions_text = ""
    await world.dispatch_all()
    (first,) = [m for m in world.twilio.messages if m.to == DEMO_RESPONDENT]
    assert first.body == (
        "Hello there, friend.\nHow likely are you to recommend us to a friend, from 0 to 10?"
    )
