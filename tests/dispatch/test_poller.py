"""Which interactions are due, and what a call that reached nobody does to one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from redis.asyncio import Redis

from gateway.config import CallWindow
from gateway.dispatch.poller import DuePoller
from gateway.dispatch.window import in_call_window, respondent_zone
from gateway.sandbox.sdx import SandboxState
from gateway.sdx import SdxClient
from gateway.state.sessions import RedisSessionStore
from gateway.survey.outcomes import CallOutcomes
from tests.helpers.settings import make_settings

NOON_UTC = datetime(2026, 11, 27, 12, 0, tzinfo=UTC).timestamp()


def poller(sdx: SdxClient, clock: float = NOON_UTC, **settings: object) -> DuePoller:
    values: dict[str, object] = {"gateway_call_window": "00:00-24:00"}
    values.update(settings)
    return DuePoller(sdx, make_settings(**values), clock=lambda: clock)


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
    assert [(j.interaction_id, j.channel, j.to, j.from_) for j in jobs] == [
        (1002, "voice", "+61409999999", "+61200000001"),
        (1005, "voice", "+61400000002", "+61200000001"),
        (1003, "sms", "+61409999999", "+61200000002"),
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
    await sdx.set_interaction_data(1002, "gateway_status", "unreachable")
    await sdx.set_interaction_data(1005, "gateway_attempts", "3")
    jobs = await poller(sdx).find_due()
    assert [j.interaction_id for j in jobs] == [1003]


async def test_static_numbers_limit_and_supply_senders(
    sdx: SdxClient, sandbox: SandboxState
) -> None:
    sandbox.store.surveys[54].sms_number = ""
    jobs = await poller(sdx, gateway_numbers="+61299990000=54").find_due()
    assert [(j.interaction_id, j.from_) for j in jobs] == [(1003, "+61299990000")]


@pytest.fixture
async def outcomes(sdx: SdxClient, redis_url: str) -> AsyncIterator[CallOutcomes]:
    redis = Redis.from_url(redis_url)
    yield CallOutcomes(
        sdx,
        RedisSessionStore(redis, prefix="t:", ttl=60),
        max_attempts=3,
        retry_delay=3600,
        clock=lambda: NOON_UTC,
    )
    await redis.aclose()


async def test_not_reached_reschedules_then_marks_unreachable(
    outcomes: CallOutcomes, sdx: SdxClient, sandbox: SandboxState
) -> None:
    await sdx.set_interaction_data(1002, "gateway_attempts", "1")  # the dialler counted it
    await outcomes.not_reached("CA1", 1002, "busy")
    interaction = await sdx.get_interaction(1002, include_data=True)
    data = {d.custom_key: d.custom_value for d in interaction.interaction_data or []}
    assert data == {"gateway_attempts": "1"}
    assert interaction.scheduled_at == datetime.fromtimestamp(NOON_UTC, UTC) + timedelta(hours=1)

    await sdx.set_interaction_data(1002, "gateway_attempts", "3")
    await outcomes.not_reached("CA1", 1002, "busy")  # the same callback again: ignored
    assert "gateway_status" not in {d.custom_key for d in sandbox.store.data_for(1002)}
    await outcomes.not_reached("CA3", 1002, "machine")
    interaction = await sdx.get_interaction(1002, include_data=True)
    data = {d.custom_key: d.custom_value for d in interaction.interaction_data or []}
    assert data == {"gateway_attempts": "3", "gateway_status": "unreachable"}
    assert not sandbox.store.interaction(1002).started
