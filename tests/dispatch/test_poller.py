"""Which interactions are due, and what a call that reached nobody does to one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from redis.asyncio import Redis

from gateway.config import CallWindow
from gateway.dispatch.poller import DuePoller
from gateway.dispatch.window import in_call_window, next_opening, respondent_zone
from gateway.run.components import build_router
from gateway.sandbox.sdx import SandboxState
from gateway.sdx import SdxClient
from gateway.state.attempts import AttemptStore, Dial, MemoryAttemptStore, RedisAttemptStore
from gateway.state.sessions import RedisSessionStore
from gateway.survey.outcomes import CallOutcomes, data_of
from tests.helpers.feed import fed
from tests.helpers.settings import make_settings

NOON_UTC = datetime(2026, 11, 27, 12, 0, tzinfo=UTC).timestamp()


def poller(
    sdx: SdxClient,
    clock: float = NOON_UTC,
    attempts: AttemptStore | None = None,
    **settings: object,
) -> DuePoller:
    values: dict[str, object] = {"gateway_call_window": "00:00-24:00"}
    values.update(settings)
    # By default nothing was dialled yet: the gateway's own count is empty.
    attempts = attempts or MemoryAttemptStore(ttl=60)
    built = make_settings(**values)
    region = build_router(built, sdx).region_code
    parts = fed(sdx, region=region)
    return DuePoller(sdx, built, attempts, region, parts.feed, clock=lambda: clock)


def test_time_zone_from_the_number() -> None:
    default = ZoneInfo("UTC")
    assert respondent_zone("+61290000000", default).key == "Australia/Sydney"
    assert respondent_zone("+14155550100", default).key == "America/Los_Angeles"
    assert respondent_zone("+61409999999", default) is default  # AU mobile: many zones
    assert respondent_zone("not a number", default) is default


def test_call_window_in_local_time() -> None:
    window = CallWindow.parse("09:00-20:00")
    utc = ZoneInfo("UTC")
    noon_utc = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # 23:00 in Sydney, 04:00 in LA
    assert not in_call_window("+61290000000", noon_utc, window, utc)
    assert not in_call_window("+14155550100", noon_utc, window, utc)
    assert in_call_window("+442071234567", noon_utc, window, utc)  # London: noon
    assert in_call_window("+61409999999", noon_utc, window, utc)  # ambiguous: UTC
    assert not in_call_window("+61409999999", noon_utc, window, ZoneInfo("Australia/Perth"))


async def test_due_outbound_and_sms_interactions(sdx: SdxClient, sandbox: SandboxState) -> None:
    jobs = await poller(sdx).find_due()
    assert [(j.interaction_id, j.channel, j.to, j.from_) for j in jobs] == [  # earliest due first
        (1002, "voice", "+61409999999", "+61200000001"),
        (1003, "sms", "+61409999999", "+61200000002"),
        (1005, "voice", "+61400000002", "+61200000001"),
    ]
    first = jobs[0]
    assert first.attempt == str(int(datetime(2025, 1, 6, 9, tzinfo=UTC).timestamp()))


async def test_not_yet_due_is_left(sdx: SdxClient, sandbox: SandboxState) -> None:
    made = await sdx.create_interaction(
        53, survey_type="outbound", phone_number="+61400000555", scheduled_at="Now + 2 hours"
    )
    now = datetime.now(UTC).timestamp()
    due = {j.interaction_id for j in await poller(sdx, clock=now).find_due()}
    assert made.id not in due
    later = {j.interaction_id for j in await poller(sdx, clock=now + 3 * 3600).find_due()}
    assert made.id in later


async def test_outside_the_window_nothing_is_due(sdx: SdxClient, sandbox: SandboxState) -> None:
    # Noon UTC; the AU mobiles fall back to the default zone, Sydney: 23:00.
    jobs = await poller(
        sdx, gateway_call_window="09:00-20:00", gateway_default_timezone="Australia/Sydney"
    ).find_due()
    assert jobs == []


async def test_given_up_interactions_are_left(sdx: SdxClient, sandbox: SandboxState) -> None:
    """A status that gave up is in the listing's data: never planned. A count
    of attempts needs the settings: the dialler's read before dialling
    (``given_up``) leaves it."""
    await sdx.set_interaction_data(1002, "gateway_status", "unreachable")
    await sdx.set_interaction_data(1005, "gateway_attempts", "3")
    due = poller(sdx)
    jobs = await due.find_due()
    assert [j.interaction_id for j in jobs] == [1003, 1005]
    for interaction_id, given_up in ((1002, True), (1005, True), (1003, False)):
        item = await sdx.get_interaction(interaction_id, include_data=True)
        assert due.given_up(item, NOON_UTC) is given_up


async def test_the_gateways_own_count_is_a_limit_too(sdx: SdxClient, sandbox: SandboxState) -> None:
    """SDX shows no calls (it lost the writes); the gateway recorded three."""
    attempts = MemoryAttemptStore(ttl=60)
    for began in (1, 2, 3):  # earlier attempts, long settled
        await attempts.record(1005, Dial(str(began), began))
    jobs = await poller(sdx, attempts=attempts).find_due()
    assert [j.interaction_id for j in jobs] == [1002, 1003]


async def test_the_dial_being_placed_does_not_count_against_itself(
    sdx: SdxClient, sandbox: SandboxState
) -> None:
    """The last allowed call, recorded by a dial cut short a minute ago: it is
    still due, to be reconciled and finished, not given up on uncalled."""
    scheduled = sandbox.store.interaction(1005).scheduled_at
    assert scheduled is not None
    attempt = str(int(scheduled.timestamp()))
    attempts = MemoryAttemptStore(ttl=60)
    await attempts.record(1005, Dial("1", 1))
    await attempts.record(1005, Dial("2", 2))
    await attempts.record(1005, Dial(attempt, int(NOON_UTC) - 60))
    jobs = await poller(sdx, attempts=attempts).find_due()
    assert [j.interaction_id for j in jobs] == [1002, 1003, 1005]
    # Past the settled window (GATEWAY_RETRY_DELAY, an hour) it was a call like any other.
    later = await poller(sdx, clock=NOON_UTC + 3600, attempts=attempts).find_due()
    assert [j.interaction_id for j in later] == [1002, 1003]


async def test_static_numbers_limit_and_supply_senders(
    sdx: SdxClient, sandbox: SandboxState
) -> None:
    sandbox.store.surveys[54].sms_number = ""
    jobs = await poller(sdx, gateway_numbers="+61299990000=54").find_due()
    assert [(j.interaction_id, j.from_) for j in jobs] == [(1003, "+61299990000")]


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def attempts(redis: Redis) -> AttemptStore:
    return RedisAttemptStore(redis, prefix="t:", ttl=60)


@pytest.fixture
async def outcomes(sdx: SdxClient, redis: Redis, attempts: AttemptStore) -> CallOutcomes:
    return CallOutcomes(
        sdx,
        RedisSessionStore(redis, prefix="t:", ttl=60),
        attempts,
        max_attempts=3,
        retry_delay=3600,
        clock=lambda: NOON_UTC,
    )


async def test_not_reached_reschedules_then_marks_unreachable(
    outcomes: CallOutcomes, sdx: SdxClient, sandbox: SandboxState
) -> None:
    await sdx.set_interaction_data(1002, "gateway_attempts", "1")  # the dialler counted it
    await outcomes.not_reached("CA1", 1002, "busy")
    interaction = await sdx.get_interaction(1002, include_data=True)
    data = data_of(interaction)  # the newest record per key: php's data only grows
    assert data == {"gateway_attempts": "1"}
    assert interaction.scheduled_at == datetime.fromtimestamp(NOON_UTC, UTC) + timedelta(hours=1)

    await sdx.set_interaction_data(1002, "gateway_attempts", "3")
    await outcomes.not_reached("CA1", 1002, "busy")  # the same callback again: ignored
    assert "gateway_status" not in {d.custom_key for d in sandbox.store.data_for(1002)}
    await outcomes.not_reached("CA3", 1002, "machine")
    interaction = await sdx.get_interaction(1002, include_data=True)
    data = data_of(interaction)
    assert data == {"gateway_attempts": "3", "gateway_status": "unreachable"}
    assert not sandbox.store.interaction(1002).started


async def test_not_reached_counts_the_gateways_own_calls(
    outcomes: CallOutcomes, attempts: AttemptStore, sdx: SdxClient, sandbox: SandboxState
) -> None:
    """SDX shows one call (it kept the oldest record); the gateway placed three."""
    await sdx.set_interaction_data(1002, "gateway_attempts", "1")
    for began in (1, 2, 3):
        await attempts.record(1002, Dial(str(began), began))
    scheduled = sandbox.store.interaction(1002).scheduled_at
    await outcomes.not_reached("CA9", 1002, "no-answer")
    stored = {d.custom_key: d.custom_value for d in sandbox.store.data_for(1002)}
    assert stored == {"gateway_attempts": "1", "gateway_status": "unreachable"}
    assert sandbox.store.interaction(1002).scheduled_at == scheduled  # not rescheduled


def test_the_next_opening_of_the_window_in_the_respondents_zone() -> None:
    window = CallWindow.parse("09:00-20:00")
    utc = ZoneInfo("UTC")
    noon_utc = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # 23:00 in Sydney
    sydney = next_opening("+61290000000", noon_utc, window, utc)
    assert sydney == datetime(2026, 11, 27, 22, 0, tzinfo=UTC)  # 09:00 next day, AEDT
    late = datetime(2026, 11, 27, 21, 30, tzinfo=UTC)  # 21:30 in London: tomorrow
    assert next_opening("+442071234567", late, window, utc) == datetime(
        2026, 11, 28, 9, 0, tzinfo=UTC
    )
    early = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)  # 07:00: later today
    assert next_opening("+442071234567", early, window, utc) == datetime(
        2026, 11, 27, 9, 0, tzinfo=UTC
    )


SERVICE, SURVEY_SERVICE = "MG" + "5e" * 16, "MG" + "0f" * 16


@pytest.mark.parametrize(
    ("settings", "sender"),
    [
        ({}, "+61200000002"),
        ({"twilio_messaging_service_sid": SERVICE}, SERVICE),
        ({"gateway_numbers": f"+61200000002=54,{SURVEY_SERVICE}=54"}, SURVEY_SERVICE),
        (  # a survey's own service comes before the default...
            {
                "twilio_messaging_service_sid": SERVICE,
                "gateway_numbers": f"+61200000002=54,{SURVEY_SERVICE}=54",
            },
            SURVEY_SERVICE,
        ),
        (  # ...and another survey's is not its
            {
                "twilio_messaging_service_sid": SERVICE,
                "gateway_numbers": f"+61200000002=54,{SURVEY_SERVICE}=53,+61200000001=53",
            },
            SERVICE,
        ),
    ],
)
async def test_texts_go_through_the_surveys_messaging_service(
    sdx: SdxClient, settings: dict[str, object], sender: str
) -> None:
    jobs = await poller(sdx, **settings).find_due()
    assert [(j.interaction_id, j.from_) for j in jobs if j.channel == "sms"] == [(1003, sender)]
    # Calls still come from the survey's number.
    assert {j.from_ for j in jobs if j.channel == "voice"} <= {"+61200000001"}


async def test_a_service_does_not_make_a_survey_without_an_sms_number_text(
    sdx: SdxClient, sandbox: SandboxState
) -> None:
    sandbox.store.surveys[54].sms_number = ""
    jobs = await poller(sdx, twilio_messaging_service_sid=SERVICE).find_due()
    assert [j for j in jobs if j.channel == "sms"] == []
    only_service = await poller(sdx, gateway_numbers=f"{SURVEY_SERVICE}=54").find_due()
    assert [j for j in only_service if j.channel == "sms"] == []
