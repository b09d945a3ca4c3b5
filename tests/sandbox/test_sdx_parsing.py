"""The sandbox's pure rules, without HTTP: answers, schedules, credentials, paging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gateway.sandbox.sdx import BadRequest, load_demo_data
from gateway.sandbox.sdx.answers import normalise_answer
from gateway.sandbox.sdx.auth import Credentials
from gateway.sandbox.sdx.listing import Page
from gateway.sandbox.sdx.models import Question, Seed
from gateway.sandbox.sdx.timefmt import parse_schedule

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


def question(question_type: str, max_response: int = 0) -> Question:
    return Question.model_validate(
        {
            "id": 1,
            "survey_id": 1,
            "order": 1,
            "question_text": "?",
            "question_type": question_type,
            "max_response": max_response,
        }
    )


@pytest.mark.parametrize(
    ("question_type", "raw", "stored"),
    [
        ("yesno", "YES", "Yes"),
        ("yesno", " y ", "Yes"),
        ("yesno", "1", "Yes"),
        ("yesno", "true", "Yes"),
        ("yesno", "No", "No"),
        ("yesno", "N", "No"),
        ("yesno", "2", "No"),
        ("yesno", "False", "No"),
        ("yesno", "3", None),
        ("yesno", "yeah", None),
        ("nps", "0", "0"),
        ("nps", "10", "10"),
        ("nps", "07", "7"),
        ("nps", "11", None),
        ("nps", "-1", None),
        ("nps", "7.5", None),
        ("nps", "seven", None),
        ("nps", "", None),
        ("number", "0", "0"),
        ("number", "5", "5"),
        ("number", "6", None),
        ("text", "  Great!  ", "Great!"),
        ("text", " \t ", None),
    ],
)
def test_answers(question_type: str, raw: str, stored: str | None) -> None:
    assert normalise_answer(question(question_type, max_response=5), raw) == stored


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Now + 5 minutes", NOW + timedelta(minutes=5)),
        ("now + 1 hour", NOW + timedelta(hours=1)),
        ("NOW+2DAYS", NOW + timedelta(days=2)),
        ("Now   30 Minutes", NOW + timedelta(minutes=30)),
        ("  now  ", NOW),
        ("2024-12-31 23:59:59", datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC)),
    ],
)
def test_schedules(text: str, expected: datetime) -> None:
    assert parse_schedule(text, NOW) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "later",
        "Now + 5",
        "Now + 5 weeks",
        "Now - 5 minutes",
        "2024-12-31",
        "2024-12-31T10:00:00",
    ],
)
def test_bad_schedules(text: str) -> None:
    with pytest.raises(BadRequest):
        parse_schedule(text, NOW)


def test_credentials_compare_both_parts() -> None:
    credentials = Credentials("uuid", "token", "bearer")
    assert credentials.accepts("Basic dXVpZDp0b2tlbg==")  # uuid:token
    assert credentials.accepts("basic  dXVpZDp0b2tlbg== ")
    assert credentials.accepts("Bearer bearer")
    assert not credentials.accepts("Basic dXVpZDp0b2tlbng=")  # uuid:tokenx
    assert not credentials.accepts(None)
    assert not Credentials("uuid", "token").accepts("Bearer bearer")


def test_page_defaults_and_bounds() -> None:
    assert Page.from_params({}) == Page(limit=10, offset=0, order=None)
    assert Page.from_params({"_limit": "1000", "_order": "desc"}).order == "DESC"
    for bad in ({"_limit": "0"}, {"_limit": "1001"}, {"_offset": "-5"}, {"_order": "up"}):
        with pytest.raises(BadRequest):
            Page.from_params(bad)


def test_demo_data_is_a_fresh_valid_seed() -> None:
    first, second = load_demo_data(), load_demo_data()
    first["surveys"].clear()
    assert len(second["surveys"]) == 3
    seed = Seed.model_validate(second)
    assert [q.id for q in seed.questions] == list(range(501, 513))
    for survey in seed.surveys:
        kinds = [q.question_type for q in seed.questions if q.survey_id == survey.id]
        assert kinds == ["nps", "number", "yesno", "text"]
    demo = [i for i in seed.interactions if i.phone_number == "+61409999999"]
    assert [(i.survey_id, i.survey_type, i.pending) for i in demo] == [
        (52, "inbound", True),
        (53, "outbound", True),
        (54, "sms", True),
    ]
    assert all(i.scheduled_at < datetime.now(UTC) for i in demo)
