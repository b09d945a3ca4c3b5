"""The php flavour's answers: strings for numbers and flags, ``[]`` and null
where PHP writes them, sound files with holes as a sparse object."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpClient, AiohttpServer

from gateway.sandbox.sdx import SandboxState, create_sdx_sandbox, load_demo_data
from gateway.sandbox.sdx.php import php_sound_files
from tests.sandbox.conftest import (
    BASIC_HEADER,
    COMPLETED,
    DEMO_INBOUND,
    DEMO_OUTBOUND,
    WITH_DATA,
    Client,
    body_of,
)

GREETING_52 = "https://example.com/sdx-sandbox/greeting-52.mp3"


@pytest.fixture
def app() -> web.Application:
    return create_sdx_sandbox(flavour="php")


async def post(sdx: Client, path: str, **form: str) -> Any:
    return await body_of(await sdx.post(f"/api{path}", data=form))


async def get(sdx: Client, path: str) -> Any:
    return await body_of(await sdx.get(f"/api{path}"))


async def test_ids_and_numbers_are_strings_in_every_resource(sdx: Client) -> None:
    interaction = await get(sdx, f"/interactions/{WITH_DATA}?_include_data=1&_include_responses=1")
    question = await get(sdx, "/questions/501")
    response = (await get(sdx, "/responses?survey_id=52"))[0]
    survey = await get(sdx, "/surveys/52")

    assert (interaction["id"], interaction["survey_id"]) == (str(WITH_DATA), "53")
    assert {d["id"] for d in interaction["interaction_data"]} == {"9001", "9002"}
    assert {d["interaction_id"] for d in interaction["interaction_data"]} == {str(WITH_DATA)}
    assert (question["id"], question["survey_id"], question["order"]) == ("501", "52", "1")
    assert question["max_response"] == "10"  # nps
    assert isinstance(response["id"], str)
    assert isinstance(response["question_id"], str)
    assert response["interaction_id"] == str(COMPLETED)
    assert survey["id"] == "52"


async def test_nulls_stay_null(sdx: Client) -> None:
    interaction = await get(sdx, f"/interactions/{DEMO_INBOUND}")
    assert interaction["respondent_language"] is None
    assert interaction["completed_at"] == "-0001-11-30 00:00:00"


async def test_deleted_flag_is_a_string(sdx: Client) -> None:
    answer = await body_of(await sdx.delete("/api/interaction_data/9001"))
    assert answer == {"id": "9001", "deleted": "1"}


async def test_a_turn_speaks_php(sdx: Client, state: SandboxState) -> None:
    survey = state.store.survey(52)
    turn = await post(sdx, f"/interactions/{DEMO_INBOUND}/start_survey")

    assert turn["survey_completed"] == "0"
    assert turn["prompts"] == [survey.greeting_text, survey.instructions_text, turn["prompts"][2]]
    # Only the greeting has a recording: the others are holes, left out.
    assert turn["sound_files"] == {"0": GREETING_52}
    question = turn["current_question"]
    assert question["id"] == "501"
    assert question["order"] == "1"
    assert "survey_id" not in question


async def test_a_turn_without_recordings_has_nulls(sdx: Client) -> None:
    turn = await post(sdx, f"/interactions/{DEMO_OUTBOUND}/start_survey")
    assert turn["sound_files"] == [None, None, None]
    assert len(turn["prompts"]) == 3


async def test_a_closing_turn_has_an_empty_array_for_its_question(sdx: Client) -> None:
    turn = await post(sdx, f"/interactions/{DEMO_OUTBOUND}/abandon_survey")
    assert turn["survey_completed"] == "1"
    assert turn["current_question"] == []


def _recorded_survey() -> dict[str, Any]:
    """Survey 52 with a recording for every part and a greeting with no text."""
    data = load_demo_data()
    survey = next(s for s in data["surveys"] if s["id"] == 52)
    survey["greeting_text"] = ""
    survey["instructions_sound_file"] = "https://example.com/instructions.mp3"
    question = next(q for q in data["questions"] if q["id"] == 501)
    question["question_sound_file"] = "https://example.com/q501.mp3"
    return data


async def test_an_empty_prompt_is_null_and_full_sound_files_a_list(
    aiohttp_server: AiohttpServer, aiohttp_client: AiohttpClient
) -> None:
    server = await aiohttp_server(create_sdx_sandbox(data=_recorded_survey(), flavour="php"))
    sdx = await aiohttp_client(server, headers={"Authorization": BASIC_HEADER})

    turn = await post(sdx, f"/interactions/{DEMO_INBOUND}/start_survey")

    assert turn["prompts"][0] is None
    assert turn["sound_files"] == [
        GREETING_52,
        "https://example.com/instructions.mp3",
        "https://example.com/q501.mp3",
    ]


@pytest.mark.parametrize(
    ("files", "sent"),
    [
        (["a.mp3", "", "c.mp3"], {"0": "a.mp3", "2": "c.mp3"}),
        (["", "b.mp3"], {"1": "b.mp3"}),
        (["a.mp3", ""], {"0": "a.mp3"}),
        (["", ""], [None, None]),
        (["a.mp3", "b.mp3"], ["a.mp3", "b.mp3"]),
        ([], []),
    ],
)
def test_sound_file_shapes(files: list[str], sent: object) -> None:
    assert php_sound_files(files) == sent


async def test_the_store_keeps_python_values(sdx: Client, state: SandboxState) -> None:
    """Tests that look into the store see the same objects in both flavours."""
    await post(sdx, f"/interactions/{DEMO_INBOUND}/start_survey")
    stored = state.store.interaction(DEMO_INBOUND)
    assert stored.id == DEMO_INBOUND
    assert stored.current_question_id == 501
    assert stored.as_json()["id"] == DEMO_INBOUND
