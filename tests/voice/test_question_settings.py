"""A question's own settings: its timeout for the Gather, its sound file for its
prompt, the prompt a reprompt repeats; and a sentence with no translation."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.sdx.models import Interaction, Question, SurveyTurn
from gateway.voice.twiml import (
    Prompt,
    VoiceStyle,
    asked_prompt,
    render_closing,
    render_question,
    turn_prompts,
)

HEAD = '<?xml version="1.0" encoding="UTF-8"?><Response>'
ACTION, NO_INPUT = "https://gw.example.com/a", "https://gw.example.com/s"


def _gather_timeout(timeout: Any) -> str:
    question = Question.model_validate(
        {"id": 7, "question_text": "Comments?", "question_type": "text", "timeout": timeout}
    )
    xml = render_question(
        [Prompt("Comments?")],
        question,
        action=ACTION,
        no_input=NO_INPUT,
        style=VoiceStyle(gather_timeout=5),
    )
    return xml.split('timeout="')[1].split('"')[0]


@pytest.mark.parametrize(
    ("timeout", "seconds"),
    [
        (12, "12"),
        ("12", "12"),  # PHP writes numbers as strings
        ("12.0", "12"),
        (300, "60"),  # at most a minute, as GATEWAY_GATHER_TIMEOUT
        (0, "5"),  # none given: GATEWAY_GATHER_TIMEOUT
        ("", "5"),
        (None, "5"),
        ("soon", "5"),
        (-3, "5"),
        (True, "5"),
    ],
)
def test_a_question_s_timeout_is_its_gather_s(timeout: Any, seconds: str) -> None:
    assert _gather_timeout(timeout) == seconds


def _turn(prompts: list[str], sounds: list[str | None], sound_file: str) -> SurveyTurn:
    return SurveyTurn.model_validate(
        {
            "prompts": prompts,
            "sound_files": sounds,
            "current_question": {
                "id": 7,
                "question_text": "How was it?",
                "question_type": "text",
                "question_sound_file": sound_file,
            },
        }
    )


def test_a_question_s_own_sound_file_is_played_for_its_prompt() -> None:
    turn = _turn(["Welcome.", "How was it?"], [], "https://cdn.example.com/q7.mp3")
    assert turn_prompts(turn) == [
        Prompt("Welcome."),
        Prompt("How was it?", "https://cdn.example.com/q7.mp3"),
    ]


def test_a_sound_paired_by_position_wins_over_the_question_s_own() -> None:
    turn = _turn(
        ["Welcome.", "How was it?"],
        [None, "https://cdn.example.com/turn.mp3"],
        "https://cdn.example.com/q7.mp3",
    )
    assert turn_prompts(turn)[1].sound_url == "https://cdn.example.com/turn.mp3"


def test_a_question_sound_that_is_not_http_is_never_played() -> None:
    turn = _turn(["How was it?"], [], "file:///etc/passwd")
    assert turn_prompts(turn) == [Prompt("How was it?")]


def test_the_prompt_asking_a_question_in_another_language_is_the_last() -> None:
    """SDX writes the prompts in the respondent's language and may keep the
    question's own text in another: the reprompt repeats what was heard."""
    turn = _turn(["Bienvenido.", "¿Qué tal fue?"], [], "")
    assert turn.current_question is not None
    assert asked_prompt(turn_prompts(turn), turn.current_question) == Prompt("¿Qué tal fue?")
    same = _turn(["How was it?", "Press 1 to 5."], [], "")
    assert same.current_question is not None
    assert asked_prompt(turn_prompts(same), same.current_question) == Prompt("How was it?")


def test_a_sentence_with_no_translation_is_said_in_its_own_voice() -> None:
    spanish = VoiceStyle(voice="Polly.Lupe", language="es-US")
    english = VoiceStyle()
    xml = render_closing([Prompt("Please call us back.", style=english)], spanish)
    assert xml == (
        f'{HEAD}<Say language="en-US" voice="Polly.Joanna">Please call us back.</Say>'
        "<Hangup /></Response>"
    )


@pytest.mark.parametrize(
    ("fields", "language"),
    [
        ({"respondent_language": "es-MX"}, "es-MX"),
        ({"respondent_language": " pt_BR "}, "pt_BR"),
        ({"respondent_language": None}, ""),
        ({"respondent_language": ""}, ""),
        ({"respondent_language": 7}, ""),  # not a code: none
        ({"respondent_language": "es; DROP"}, ""),
        ({"respondent_language": "x" * 9}, ""),
        ({"respondent_language": "es" + "-ab" * 20}, ""),  # too long to be a real tag
        ({"respondent_language": "zh-Hant-TW"}, "zh-Hant-TW"),
        (
            {"interaction_data": [{"id": 1, "custom_key": "Language", "custom_value": "fr"}]},
            "fr",
        ),
        (
            {
                "respondent_language": "de",
                "interaction_data": [{"id": 1, "custom_key": "language", "custom_value": "fr"}],
            },
            "de",
        ),
        (
            {
                "respondent_language": "",
                "interaction_data": [{"id": 1, "custom_key": "language", "custom_value": "fr"}],
            },
            "fr",
        ),
    ],
)
def test_the_respondent_s_language_from_sdx(fields: dict[str, Any], language: str) -> None:
    interaction = Interaction.model_validate({"id": 1, "survey_id": 52, **fields})
    assert interaction.language() == language
