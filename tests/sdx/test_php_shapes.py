"""Survey turns as a PHP SDX may write them: read as meant, never a protocol error.

PHP's json_encode writes an empty array for "no object" (``[]``), keeps the
keys of an array that lost entries (``{"0": ..., "2": ...}``), and flags come
as 0/1, "0"/"1" or true/false. The last turn of every survey carries no
question, so reading ``"current_question": []`` wrongly fails every survey's
last answer.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from gateway.config import Settings
from gateway.run.components import Components
from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.sdx import Fault, SandboxState
from gateway.sdx.models import SurveyTurn
from tests.helpers.ledger import SUBMIT, answers
from tests.voice.test_survey import CALL_SID, INBOUND, INBOUND_ID, next_turn, said


@pytest.mark.parametrize("absent", [[], {}, "", False, 0, "0", None])
def test_a_completed_turn_with_php_s_empty_question(absent: object) -> None:
    turn = SurveyTurn.model_validate(
        {
            "prompts": ["Thanks"],
            "sound_files": [""],
            "survey_completed": 1,
            "current_question": absent,
        }
    )
    assert turn.completed
    assert turn.current_question is None
    assert turn.prompts == ["Thanks"]


@pytest.mark.parametrize(
    ("flag", "completed"),
    [("1", True), ("0", False), ("true", True), ("false", False), (True, True), (0, False)],
)
def test_flags_in_every_php_spelling(flag: object, completed: bool) -> None:
    question = {"id": "7", "question_type": "nps"}  # ids as strings, survey_id absent
    turn = SurveyTurn.model_validate(
        {"prompts": ["Q"], "survey_completed": flag, "current_question": question}
    )
    assert turn.survey_completed is completed
    assert turn.current_question is not None
    assert turn.current_question.id == 7
    assert turn.current_question.survey_id is None


def test_nulls_and_lost_keys_keep_prompts_paired_with_their_sounds() -> None:
    turn = SurveyTurn.model_validate(
        {
            "prompts": ["Hello", None, "Question?"],
            # array_filter dropped index 1: PHP writes an object.
            "sound_files": {"0": "https://x/hello.mp3", "2": "https://x/q.mp3"},
            "survey_completed": 0,
            "current_question": {"id": 5},
        }
    )
    assert turn.prompts == ["Hello", "", "Question?"]
    assert turn.sound_files == ["https://x/hello.mp3", None, "https://x/q.mp3"]


async def test_the_last_answer_with_a_php_closing_turn_closes_the_call(
    parts: tuple[Settings, Components], sandbox: SandboxState
) -> None:
    """The answer is recorded and SDX closes with ``"current_question": []``:
    the caller hears the closing, not the apology."""
    voice = parts[1].voice
    reply = await voice.incoming(CALL_SID, DEMO_RESPONDENT, INBOUND, None)
    for digits in ("9", "4", "1"):
        reply = await voice.answer(next_turn(reply), digits, "")
    closing = {
        "prompts": ["Thank you for your feedback. Goodbye.", None],
        "sound_files": [],
        "survey_completed": "1",
        "current_question": [],
    }
    sandbox.faults.add(
        Fault(method="POST", path=SUBMIT, status=200, after=True, body=json.dumps(closing))
    )
    reply = await voice.answer(next_turn(reply), "", "Quick and friendly.")
    assert said(reply) == ["Thank you for your feedback. Goodbye."]
    assert ET.fromstring(reply).find("Hangup") is not None
    assert answers(sandbox, INBOUND_ID) == ["9", "4", "Yes", "Quick and friendly."]
