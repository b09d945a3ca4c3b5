"""The emulator's Calls and Messages list filters, through the real twilio library.

The gateway asks these after a crash ("did my call, my first text, go out?"),
so each filter is checked for which records it returns. Records are seeded
with chosen timestamps: calls placed for real all start in the same second.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from twilio.base.exceptions import TwilioException
from twilio.rest import Client

from gateway.sandbox.twilio import Outcome, TwilioState
from gateway.sandbox.twilio.calls import CallRecord
from gateway.sandbox.twilio.messages import MessageRecord
from tests.sandbox.conftest import OUR_NUMBER, RESPONDENT, TWILIO_LIBRARY_WARNINGS

pytestmark = TWILIO_LIBRARY_WARNINGS

OTHER = "+61400000002"
MARCH_1 = datetime(2025, 3, 1, tzinfo=UTC)


def at(day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2025, 3, day, hour, minute, second, tzinfo=UTC)


def seed_call(
    state: TwilioState,
    *,
    start: datetime | None,
    end: datetime | None = None,
    to: str = RESPONDENT,
) -> str:
    """A call in the account, created a minute after the one before (so order is known)."""
    status = "completed" if end else "in-progress" if start else "queued"
    created = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=len(state.calls))
    call = CallRecord(state.account_sid, to=to, from_=OUR_NUMBER, status=status)
    call.date_created, call.start_time, call.end_time = created, start, end
    state.add_call(call)
    return call.sid


def seed_message(state: TwilioState, *, sent: datetime | None, to: str = RESPONDENT) -> str:
    created = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=len(state.messages))
    message = MessageRecord(state.account_sid, to=to, from_=OUR_NUMBER, body="x")
    message.date_created, message.date_sent = created, sent
    message.status = "delivered" if sent else "queued"
    state.add_message(message)
    return message.sid


@pytest.fixture
def started(twilio_state: TwilioState) -> dict[str, str]:
    """Calls by label: a day before, at midnight, mid-morning, next day, still queued."""
    sids = {
        "feb28": seed_call(twilio_state, start=datetime(2025, 2, 28, 23, 59, 59, tzinfo=UTC)),
        "midnight": seed_call(twilio_state, start=at(1)),
        "morning": seed_call(twilio_state, start=at(1, 10, 30), to=OTHER),
        "mar2": seed_call(twilio_state, start=at(2, 8)),
        "queued": seed_call(twilio_state, start=None),
    }
    return {sid: label for label, sid in sids.items()}


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, ["queued", "mar2", "morning", "midnight", "feb28"]),
        # The library sends a date as 2025-03-01T00:00:00Z: still that whole day.
        ({"start_time": date(2025, 3, 1)}, ["morning", "midnight"]),
        ({"start_time": "2025-03-01"}, ["morning", "midnight"]),
        ({"start_time": datetime(2025, 3, 1, 18, tzinfo=UTC)}, ["morning", "midnight"]),
        # "On or after midnight": a call at 00:00:00 exactly is in.
        ({"start_time_after": date(2025, 3, 1)}, ["mar2", "morning", "midnight"]),
        ({"start_time_after": "2025-03-01"}, ["mar2", "morning", "midnight"]),
        # A datetime bound is the instant, inclusive.
        ({"start_time_after": MARCH_1.replace(hour=10, minute=30)}, ["mar2", "morning"]),
        ({"start_time_after": datetime(2025, 3, 1, 10, 30, 1)}, ["mar2"]),
        ({"start_time_after": date(2025, 3, 3)}, []),
        # "On or before midnight": nothing later that day.
        ({"start_time_before": "2025-03-01"}, ["midnight", "feb28"]),
        ({"start_time_before": "2025-02-28"}, []),
        (
            {"start_time_before": MARCH_1.replace(hour=10, minute=30)},
            ["morning", "midnight", "feb28"],
        ),
        (
            {"start_time_after": "2025-03-01", "start_time_before": "2025-03-01T12:00:00Z"},
            ["morning", "midnight"],
        ),
        ({"start_time_after": date(2025, 3, 1), "to": RESPONDENT}, ["mar2", "midnight"]),
    ],
)
async def test_start_time_filters(
    twilio: Client, started: dict[str, str], kwargs: dict[str, Any], expected: list[str]
) -> None:
    calls = await twilio.calls.list_async(**kwargs)
    assert [started[call.sid] for call in calls] == expected


async def test_a_queued_call_matches_no_start_time_filter(
    twilio: Client, started: dict[str, str]
) -> None:
    wide_open: list[dict[str, Any]] = [
        {"start_time_after": date(2000, 1, 1)},
        {"start_time_before": date(2100, 1, 1)},
        {"start_time": date.today()},
    ]
    for kwargs in wide_open:
        labels = [started[call.sid] for call in await twilio.calls.list_async(**kwargs)]
        assert "queued" not in labels, kwargs
    [queued] = await twilio.calls.list_async(status="queued")
    assert started[queued.sid] == "queued"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"end_time": date(2025, 3, 1)}, ["late", "early"]),
        ({"end_time_after": MARCH_1.replace(hour=9)}, ["next_day", "late"]),
        ({"end_time_before": "2025-03-02"}, ["late", "early"]),
        ({"end_time_before": MARCH_1.replace(hour=9)}, ["early"]),
    ],
)
async def test_end_time_filters_leave_out_calls_not_ended(
    twilio: Client, twilio_state: TwilioState, kwargs: dict[str, Any], expected: list[str]
) -> None:
    sids = {
        "early": seed_call(twilio_state, start=at(1, 8), end=at(1, 8, 5)),
        "late": seed_call(twilio_state, start=at(1, 22), end=at(1, 23, 59, 59)),
        "next_day": seed_call(twilio_state, start=at(1, 23, 58), end=at(2, 0, 1)),
        "talking": seed_call(twilio_state, start=at(1, 9)),
    }
    labels = {sid: label for label, sid in sids.items()}
    calls = await twilio.calls.list_async(**kwargs)
    assert [labels[call.sid] for call in calls] == expected


async def test_a_placed_call_and_a_held_one(twilio: Client, twilio_state: TwilioState) -> None:
    """The crash question, end to end: the answered call is found, the held one is not."""
    twilio_state.outcomes[OTHER] = Outcome.HOLD
    before = datetime.now(UTC).replace(microsecond=0)
    twiml = "<Response><Say>Hi</Say></Response>"
    answered = await twilio.calls.create_async(to=RESPONDENT, from_=OUR_NUMBER, twiml=twiml)
    held = await twilio.calls.create_async(to=OTHER, from_=OUR_NUMBER, twiml=twiml)
    await twilio_state.calls[answered.sid].wait()
    try:
        found = await twilio.calls.list_async(start_time_after=before)
        assert [call.sid for call in found] == [answered.sid]
        assert [call.sid for call in await twilio.calls.list_async(to=OTHER)] == [held.sid]
        assert await twilio.calls.list_async(to=OTHER, start_time_after=before) == []
    finally:
        await twilio.calls(held.sid).update_async(status="canceled")
        await twilio_state.settle()


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, ["unsent", "mar2", "evening", "midnight", "feb28"]),
        ({"date_sent": date(2025, 3, 1)}, ["evening", "midnight"]),
        ({"date_sent_after": "2025-03-01"}, ["mar2", "evening", "midnight"]),
        ({"date_sent_after": MARCH_1.replace(hour=20)}, ["mar2", "evening"]),
        ({"date_sent_after": MARCH_1.replace(hour=20, second=1)}, ["mar2"]),
        ({"date_sent_before": "2025-03-01"}, ["midnight", "feb28"]),
        ({"date_sent_before": MARCH_1.replace(hour=20), "to": OTHER}, ["evening"]),
        ({"date_sent_after": date(2000, 1, 1)}, ["mar2", "evening", "midnight", "feb28"]),
    ],
)
async def test_date_sent_filters(
    twilio: Client, twilio_state: TwilioState, kwargs: dict[str, Any], expected: list[str]
) -> None:
    sids = {
        "feb28": seed_message(twilio_state, sent=datetime(2025, 2, 28, 23, 59, tzinfo=UTC)),
        "midnight": seed_message(twilio_state, sent=at(1)),
        "evening": seed_message(twilio_state, sent=at(1, 20), to=OTHER),
        "mar2": seed_message(twilio_state, sent=at(2, 0, 0, 1), to=OTHER),
        "unsent": seed_message(twilio_state, sent=None),
    }
    labels = {sid: label for label, sid in sids.items()}
    messages = await twilio.messages.list_async(**kwargs)
    assert [labels[message.sid] for message in messages] == expected


async def test_a_sent_text_and_one_not_yet_sent(twilio: Client, twilio_state: TwilioState) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    sent = await twilio.messages.create_async(to=RESPONDENT, from_=OUR_NUMBER, body="first")
    await twilio_state.settle()
    twilio_state.delivery_delay = 3600  # the next one stays queued: no date_sent
    waiting = await twilio.messages.create_async(to=RESPONDENT, from_=OUR_NUMBER, body="second")
    try:
        everything = await twilio.messages.list_async(to=RESPONDENT)
        assert [message.sid for message in everything] == [waiting.sid, sent.sid]
        found = await twilio.messages.list_async(to=RESPONDENT, date_sent_after=before)
        assert [message.sid for message in found] == [sent.sid]
    finally:
        twilio_state.cancel_all()


async def test_paging_keeps_the_date_filter(twilio: Client, twilio_state: TwilioState) -> None:
    on_the_day = []
    for hour in range(5):
        on_the_day.append(seed_call(twilio_state, start=at(1, hour)))
        seed_call(twilio_state, start=at(2, hour))  # newer on every page, never wanted
    newest_first = on_the_day[::-1]

    listed = await twilio.calls.list_async(start_time="2025-03-01", page_size=2)
    assert [call.sid for call in listed] == newest_first  # three pages, all filtered

    page = await twilio.calls.page_async(start_time_after=date(2025, 3, 2), page_size=3)
    assert "StartTime%3E=2025-03-02T00%3A00%3A00Z" in page._payload["next_page_uri"]
    second = await page.next_page_async()
    assert second is not None
    assert [call.start_time for call in second] == [at(2, 1), at(2, 0)]
    assert await second.next_page_async() is None


async def test_message_paging_keeps_the_date_filter(
    twilio: Client, twilio_state: TwilioState
) -> None:
    wanted = [seed_message(twilio_state, sent=at(1, 12, minute)) for minute in range(3)]
    for minute in range(3):
        seed_message(twilio_state, sent=at(1, 11, minute))  # newer, but sent too early
    found = await twilio.messages.list_async(date_sent_after=MARCH_1.replace(hour=12), page_size=1)
    assert [message.sid for message in found] == wanted[::-1]


async def test_lists_are_newest_created_first(twilio: Client, twilio_state: TwilioState) -> None:
    older = CallRecord(twilio_state.account_sid, to=RESPONDENT, from_=OUR_NUMBER)
    newer = CallRecord(twilio_state.account_sid, to=RESPONDENT, from_=OUR_NUMBER)
    older.date_created = newer.date_created - timedelta(hours=1)
    twilio_state.add_call(newer)
    twilio_state.add_call(older)  # added last, created first
    assert [call.sid for call in await twilio.calls.list_async()] == [newer.sid, older.sid]


async def test_what_the_library_sends(twilio: Client, twilio_state: TwilioState) -> None:
    """The wire format the emulator reads: ``Name>``/``Name<`` keys, instants in Z."""
    await twilio.calls.list_async(start_time_after=datetime(2025, 3, 1, 10, 30, 15, 999))
    await twilio.calls.list_async(end_time_before=date(2025, 3, 1))
    # An aware non-UTC datetime goes out as its wall clock marked Z (2 hours
    # late here): the gateway must hand the library UTC datetimes.
    await twilio.messages.list_async(
        date_sent_after=datetime(2025, 3, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    )
    assert [request.query for request in twilio_state.requests] == [
        {"StartTime>": "2025-03-01T10:30:15Z"},
        {"EndTime<": "2025-03-01T00:00:00Z"},
        {"DateSent>": "2025-03-01T12:00:00Z"},
    ]


@pytest.mark.parametrize("value", ["yesterday", "2025-13-01", "01/03/2025"])
async def test_an_unreadable_date_is_400(twilio: Client, value: str) -> None:
    # A list page that fails is a bare TwilioException carrying the response.
    with pytest.raises(TwilioException) as caught:
        await twilio.calls.list_async(start_time_after=value)
    assert error_of(caught.value) == (
        400,
        20001,
        f"StartTime> must be a date as YYYY-MM-DD: {value}",
    )
    with pytest.raises(TwilioException) as caught:
        await twilio.messages.list_async(date_sent=value)
    assert error_of(caught.value)[:2] == (400, 20001)


def error_of(exc: TwilioException) -> tuple[int, int, str]:
    response = exc.args[1]
    body = json.loads(response.text)
    return response.status_code, body["code"], body["message"]
