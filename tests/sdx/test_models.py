"""The models tolerate what real SDX sends."""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.sdx.models import Interaction, SurveyTurn, parse_sdx_time

SEED_EXAMPLE = {
    "id": 24062,
    "uuid": "7aa870f0-046f-11e7-9cc9-9de741d6e753",
    "survey_id": 493,
    "phone_number": "+61409999999",
    "email": "john.bloggs@example.com",
    "survey_type": "inbound",
    "scheduled_at": "2016-02-19 10:30:02",
    "external_ref": "example-id-235i129",
    "updated_at": "2016-02-19 10:30:02",
    "created_at": "2016-02-19 10:30:02",
    "call_type": "support",
    "agent_id": "nevilr",
    "status": "Not Started",
    "web_link": "https://surveydynamix.com/web_survey/x",
}


def test_interaction_from_the_reference_example() -> None:
    item = Interaction.model_validate(SEED_EXAMPLE)
    assert item.id == 24062
    assert item.scheduled_at == datetime(2016, 2, 19, 10, 30, 2, tzinfo=UTC)
    assert item.web_link == "https://surveydynamix.com/web_survey/x"


def test_unknown_fields_weblink_spelling_and_placeholder_dates() -> None:
    item = Interaction.model_validate(
        {
            **{k: v for k, v in SEED_EXAMPLE.items() if k != "web_link"},
            "id": "24062",  # numbers sometimes arrive as strings
            "weblink": "https://surveydynamix.com/web_survey/y",
            "completed_at": "-0001-11-30 00:00:00",
            "respondent_language": "en",
            "weblink_short": "https://sdx.li/abc",
        }
    )
    assert item.id == 24062
    assert item.web_link == "https://surveydynamix.com/web_survey/y"
    assert item.completed_at is None
    assert item.model_extra == {"weblink_short": "https://sdx.li/abc"}
    assert item.language() == "en"


def test_update_json_round_trips_sdx_formats_and_extras() -> None:
    item = Interaction.model_validate({**SEED_EXAMPLE, "respondent_language": "en"})
    body = item.to_update_json(scheduled_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert body["id"] == 24062
    assert body["scheduled_at"] == "2026-01-02 03:04:05"
    assert body["created_at"] == "2016-02-19 10:30:02"
    assert body["respondent_language"] == "en"
    assert "responses" not in body


def test_parse_sdx_time_variants() -> None:
    assert parse_sdx_time("0000-00-00 00:00:00") is None
    assert parse_sdx_time("") is None
    assert parse_sdx_time(None) is None
    assert parse_sdx_time("2026-11-27T10:00:00Z") == datetime(2026, 11, 27, 10, tzinfo=UTC)


def test_survey_turn_tolerates_nulls_and_string_flags() -> None:
    turn = SurveyTurn.model_validate(
        {
            "prompts": ["Hi"],
            "sound_files": None,
            "survey_completed": "0",
            "current_question": {"id": 5, "question_type": "nps", "novel": True},
        }
    )
    assert turn.sound_files == []
    assert turn.survey_completed is False
    assert turn.current_question is not None
    assert turn.current_question.id == 5
    assert not turn.completed
    done = SurveyTurn.model_validate({"prompts": ["Bye"], "survey_completed": 1})
    assert done.completed
    assert done.current_question is None
