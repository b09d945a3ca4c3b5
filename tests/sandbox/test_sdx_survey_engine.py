"""Taking a survey through start_survey / submit_response / abandon_survey."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient

from gateway.sandbox.sdx import SandboxState, create_sdx_sandbox, load_demo_data
from gateway.sandbox.sdx.engine import INVALID_PROMPT
from gateway.sandbox.sdx.timefmt import NEVER, format_time
from tests.sandbox.conftest import (
    BASIC_HEADER,
    DEMO_INBOUND,
    DEMO_OUTBOUND,
    DEMO_SMS,
    NOW,
    Client,
    body_of,
)

NPS_TEXT = "How likely are you to recommend us to a friend, from 0 to 10?"


async def start(sdx: Client, interaction_id: int) -> Any:
    return await body_of(await sdx.post(f"/api/interactions/{interaction_id}/start_survey"))


async def submit(sdx: Client, interaction_id: int, answer: str, status: int = 200) -> Any:
    response = await sdx.post(
        f"/api/interactions/{interaction_id}/submit_response", data={"response": answer}
    )
    if status != 200:
        assert response.status == status, await response.text()
        return None
    return await body_of(response)


async def abandon(sdx: Client, interaction_id: int) -> Any:
    return await body_of(await sdx.post(f"/api/interactions/{interaction_id}/abandon_survey"))


def asked(turn: Any) -> int:
    assert turn["survey_completed"] == 0
    assert len(turn["prompts"]) == len(turn["sound_files"])
    question_id: int = turn["current_question"]["id"]
    return question_id


async def test_whole_survey(sdx: Client, state: SandboxState, frozen_clock: object) -> None:
    survey = state.store.survey(52)
    turn = await start(sdx, DEMO_INBOUND)
    assert asked(turn) == 501
    assert turn["prompts"] == [survey.greeting_text, survey.instructions_text, NPS_TEXT]

    turn = await submit(sdx, DEMO_INBOUND, "11")  # nps is 0..10
    assert asked(turn) == 501
    assert turn["prompts"] == [INVALID_PROMPT, NPS_TEXT]
    assert turn["sound_files"] == ["", ""]
    assert state.store.responses_for(DEMO_INBOUND) == []

    assert asked(await submit(sdx, DEMO_INBOUND, "10")) == 502
    assert asked(await submit(sdx, DEMO_INBOUND, "6")) == 502  # number is 0..max_response (5)
    assert asked(await submit(sdx, DEMO_INBOUND, " 3 ")) == 503
    assert asked(await submit(sdx, DEMO_INBOUND, "maybe")) == 503
    assert asked(await submit(sdx, DEMO_INBOUND, "2")) == 504  # keypad 2 = no
    assert asked(await submit(sdx, DEMO_INBOUND, "   ")) == 504
    turn = await submit(sdx, DEMO_INBOUND, "Shorter hold times, please.")

    assert turn == {"prompts": [survey.closing_text], "sound_files": [""], "survey_completed": 1}
    recorded = state.store.responses_for(DEMO_INBOUND)
    assert [(r.question_label, r.response, r.response_type) for r in recorded] == [
        ("recommend", "10", "voice"),
        ("satisfaction", "3", "voice"),
        ("resolved", "No", "voice"),
        ("comments", "Shorter hold times, please.", "voice"),
    ]
    got = await body_of(await sdx.get(f"/api/interactions/{DEMO_INBOUND}"))
    assert got["status"] == "Completed"
    assert got["completed_at"] == format_time(NOW)
    assert state.store.interaction(DEMO_INBOUND).survey_ended


async def test_current_question_is_the_question_resource(sdx: Client) -> None:
    turn = await start(sdx, DEMO_INBOUND)
    question = await body_of(await sdx.get("/api/questions/501"))
    assert turn["current_question"] == question


@pytest.mark.parametrize(
    ("answer", "stored"),
    [("yes", "Yes"), ("Y", "Yes"), ("1", "Yes"), ("TRUE", "Yes"), ("No", "No"), ("n", "No")],
)
async def test_yes_no_answers(sdx: Client, state: SandboxState, answer: str, stored: str) -> None:
    await start(sdx, DEMO_INBOUND)
    await submit(sdx, DEMO_INBOUND, "0")
    await submit(sdx, DEMO_INBOUND, "0")

    assert asked(await submit(sdx, DEMO_INBOUND, answer)) == 504
    assert state.store.responses_for(DEMO_INBOUND)[-1].response == stored


async def test_ended_survey_refuses_answers_and_repeats_the_closing(
    sdx: Client, state: SandboxState
) -> None:
    await start(sdx, DEMO_INBOUND)
    for answer in ("9", "5", "yes", "Fine."):
        await submit(sdx, DEMO_INBOUND, answer)

    await submit(sdx, DEMO_INBOUND, "9", status=409)
    again = await start(sdx, DEMO_INBOUND)

    assert again == {
        "prompts": [state.store.survey(52).closing_text],
        "sound_files": [""],
        "survey_completed": 1,
    }
    assert len(state.store.responses_for(DEMO_INBOUND)) == 4


async def test_start_survey_resumes_at_the_current_question(sdx: Client) -> None:
    await start(sdx, DEMO_OUTBOUND)
    await submit(sdx, DEMO_OUTBOUND, "7")

    turn = await start(sdx, DEMO_OUTBOUND)

    assert asked(turn) == 506
    assert turn["prompts"] == [turn["current_question"]["question_text"]]  # no greeting again
    assert turn["sound_files"] == [""]


async def test_submit_before_start_is_start_and_records_nothing(
    sdx: Client, state: SandboxState
) -> None:
    turn = await submit(sdx, DEMO_SMS, "10")

    survey = state.store.survey(54)
    assert asked(turn) == 509
    assert turn["prompts"] == [survey.greeting_text, survey.instructions_text, NPS_TEXT]
    assert state.store.responses_for(DEMO_SMS) == []
    assert state.store.interaction(DEMO_SMS).status == "In Progress"

    assert asked(await submit(sdx, DEMO_SMS, "10")) == 510
    assert [r.response_type for r in state.store.responses_for(DEMO_SMS)] == ["sms"]


async def test_submit_without_response_is_400(sdx: Client, state: SandboxState) -> None:
    await start(sdx, DEMO_INBOUND)
    response = await sdx.post(f"/api/interactions/{DEMO_INBOUND}/submit_response")
    assert response.status == 400
    assert "response is required" in await response.text()
    assert state.store.responses_for(DEMO_INBOUND) == []


async def test_abandon_and_abandon_again(sdx: Client, state: SandboxState) -> None:
    await start(sdx, DEMO_OUTBOUND)
    await submit(sdx, DEMO_OUTBOUND, "8")
    closing = state.store.survey(53).closing_text

    first = await abandon(sdx, DEMO_OUTBOUND)
    ended_at = state.store.interaction(DEMO_OUTBOUND).completed_at
    second = await abandon(sdx, DEMO_OUTBOUND)

    assert first == second == {"prompts": [closing], "sound_files": [""], "survey_completed": 1}
    interaction = state.store.interaction(DEMO_OUTBOUND)
    assert interaction.completed_at == ended_at is not None
    assert (interaction.status, interaction.survey_ended) == ("Abandoned", False)
    # The answer given before abandoning stays.
    assert [r.response for r in state.store.responses_for(DEMO_OUTBOUND)] == ["8"]
    await submit(sdx, DEMO_OUTBOUND, "5", status=409)
    assert (await start(sdx, DEMO_OUTBOUND))["survey_completed"] == 1


async def test_abandon_before_start(sdx: Client, state: SandboxState) -> None:
    await abandon(sdx, DEMO_SMS)

    got = await body_of(await sdx.get(f"/api/interactions/{DEMO_SMS}"))
    assert got["status"] == "Abandoned"
    assert got["completed_at"] != NEVER
    assert not state.store.interaction(DEMO_SMS).started


async def test_web_answers_are_web_responses(sdx: Client, state: SandboxState) -> None:
    interaction = state.store.create_interaction(52, survey_type="email", email="a@example.com")
    await start(sdx, interaction.id)
    await submit(sdx, interaction.id, "6")
    assert [r.response_type for r in state.store.responses_for(interaction.id)] == ["web"]


async def test_prompts_and_sound_files_line_up(aiohttp_client: AiohttpClient) -> None:
    data = load_demo_data()
    survey = next(s for s in data["surveys"] if s["id"] == 53)
    survey.update(
        instructions_text="",
        closing_sound_file="https://example.com/bye.mp3",
    )
    question = next(q for q in data["questions"] if q["id"] == 505)
    question["question_sound_file"] = "https://example.com/q505.mp3"
    client = await aiohttp_client(
        create_sdx_sandbox(data=data), headers={"Authorization": BASIC_HEADER}
    )

    turn = await start(client, DEMO_OUTBOUND)
    # Empty instructions are left out, not sent as an empty prompt.
    assert turn["prompts"] == [survey["greeting_text"], NPS_TEXT]
    assert turn["sound_files"] == ["", "https://example.com/q505.mp3"]
    ended = await abandon(client, DEMO_OUTBOUND)
    assert ended["sound_files"] == ["https://example.com/bye.mp3"]


async def test_survey_without_questions_completes_at_start(
    aiohttp_client: AiohttpClient,
) -> None:
    data = load_demo_data()
    data["questions"] = [q for q in data["questions"] if q["survey_id"] != 52]
    client = await aiohttp_client(
        create_sdx_sandbox(data=data), headers={"Authorization": BASIC_HEADER}
    )

    turn = await start(client, DEMO_INBOUND)

    assert turn["survey_completed"] == 1
    assert "current_question" not in turn
    assert len(turn["prompts"]) == 3  # greeting, instructions, closing
