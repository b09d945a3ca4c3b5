"""Surveys, questions, responses, interaction data, users and phone numbers."""

from __future__ import annotations

from typing import Any

import pytest
from yarl import URL

from gateway.sandbox.sdx import SandboxState
from gateway.sandbox.sdx.timefmt import format_time
from tests.sandbox.conftest import COMPLETED, NOW, WITH_DATA, Client, body_of, empty_list


async def get(sdx: Client, path: str, status: int = 200, **params: str) -> Any:
    response = await sdx.get(path, params=params)
    if status == 204:
        await empty_list(response)
        return []
    if status != 200:
        assert response.status == status, await response.text()
        return await response.text()
    return await body_of(response)


# -- surveys -------------------------------------------------------------------


async def test_surveys_name_their_numbers(sdx: Client) -> None:
    surveys = {s["id"]: s for s in await get(sdx, "/api/surveys")}

    assert {i: s["name"] for i, s in surveys.items()} == {
        52: "Customer care (inbound)",
        53: "After-call follow-up (outbound)",
        54: "Feedback by SMS",
    }
    assert surveys[52]["inbound_number"] == "+61200000000"
    assert surveys[53]["outbound_number"] == "+61200000001"
    assert surveys[54]["sms_number"] == "+61200000002"
    assert surveys[52]["greeting_sound_file"] == "https://example.com/sdx-sandbox/greeting-52.mp3"
    assert surveys[53]["greeting_sound_file"] == ""
    assert all(s["greeting_text"] and s["closing_text"] for s in surveys.values())


async def test_one_survey(sdx: Client) -> None:
    survey = await get(sdx, "/api/surveys/54")
    assert set(survey) == {
        "id", "name", "description", "greeting_text", "instructions_text", "closing_text",
        "greeting_sound_file", "instructions_sound_file", "closing_sound_file",
        "email_subject", "email_from_address", "email_from_name",
        "inbound_number", "outbound_number", "sms_number",
        "translations",  # per-language texts, as real tenants carry them
    }  # fmt: skip
    assert survey["translations"]["es"]["closing_text"] == "¡Gracias por su opinión!"
    await get(sdx, "/api/surveys/99", status=404)


async def test_survey_questions_in_asking_order(sdx: Client) -> None:
    questions = await get(sdx, "/api/surveys/52/questions")

    assert [(q["id"], q["order"], q["question_type"]) for q in questions] == [
        (501, 1, "nps"),
        (502, 2, "number"),
        (503, 3, "yesno"),
        (504, 4, "text"),
    ]
    assert questions[1]["max_response"] == 5
    assert questions[1]["question_text"].startswith("On a scale of 1 to 5, how satisfied were you")
    # Fields real tenants have beyond the documented ones.
    assert {"compulsory", "timeout", "translations"} <= set(questions[0])


async def test_survey_sub_lists(sdx: Client) -> None:
    interactions = await get(sdx, "/api/surveys/53/interactions", _order="ASC", agent_id="alexc")
    assert [i["id"] for i in interactions] == [1005, 1006]
    responses = await get(sdx, "/api/surveys/52/responses")
    assert [r["id"] for r in responses] == [7001, 7002, 7003, 7004]
    data = await get(sdx, "/api/surveys/53/interaction_data")
    assert [d["custom_key"] for d in data] == ["customer_name", "case_id"]
    await get(sdx, "/api/surveys/54/responses", status=204)
    for sub in ("questions", "interactions", "responses", "interaction_data"):
        await get(sdx, f"/api/surveys/99/{sub}", status=404)


# -- questions -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"survey_id": "54"}, [509, 510, 511, 512]),
        ({"question_type": "nps"}, [501, 505, 509]),
        ({"question_label": "comments", "survey_id": "53"}, [508]),
        ({"question_type": "rating"}, []),
    ],
)
async def test_question_filters(sdx: Client, params: dict[str, str], expected: list[int]) -> None:
    found = await get(sdx, "/api/questions", status=200 if expected else 204, **params)
    assert [q["id"] for q in found] == expected


async def test_one_question_and_its_responses(sdx: Client) -> None:
    question = await get(sdx, "/api/questions/503")
    assert (question["survey_id"], question["question_type"]) == (52, "yesno")
    answers = await get(sdx, "/api/questions/503/responses")
    assert [(r["interaction_id"], r["response"]) for r in answers] == [(COMPLETED, "Yes")]
    await get(sdx, "/api/questions/999", status=404)
    await get(sdx, "/api/questions/999/responses", status=404)


# -- responses -----------------------------------------------------------------


async def test_responses_need_a_scope(sdx: Client) -> None:
    text = await get(sdx, "/api/responses", status=400, response="Yes")
    assert "one of survey_id, question_id, interaction_id is required" in text


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"interaction_id": "1004"}, [7001, 7002, 7003, 7004]),
        ({"question_id": "505"}, [7005]),
        ({"survey_id": "53"}, [7005]),
        ({"survey_id": "52", "response": "Yes"}, [7003]),
        ({"survey_id": "52", "response": "yes"}, []),
        ({"survey_id": "52", "response_contains": "FRIENDLY"}, [7004]),
        ({"interaction_id": "1004", "question_id": "502"}, [7002]),
    ],
)
async def test_response_filters(sdx: Client, params: dict[str, str], expected: list[int]) -> None:
    found = await get(sdx, "/api/responses", status=200 if expected else 204, **params)
    assert [r["id"] for r in found] == expected


async def test_one_response(sdx: Client) -> None:
    response = await get(sdx, "/api/responses/7005")
    assert response["interaction_id"] == 1006
    assert response["recording_url"] is None
    await get(sdx, "/api/responses/1", status=404)


# -- interaction data ----------------------------------------------------------


async def test_interaction_data_needs_a_scope(sdx: Client) -> None:
    await get(sdx, "/api/interaction_data", status=400, custom_key="case_id")


async def test_interaction_data_filters(sdx: Client) -> None:
    found = await get(sdx, "/api/interaction_data", survey_id="53", custom_key="case_id")
    assert [(d["interaction_id"], d["custom_value"]) for d in found] == [(WITH_DATA, "77031")]
    found = await get(sdx, "/api/interaction_data", interaction_id="1004")
    assert [d["id"] for d in found] == [9003]
    await get(sdx, "/api/interaction_data", status=204, interaction_id="1001")


async def test_set_interaction_data_creates_then_overwrites(
    sdx: Client, state: SandboxState, frozen_clock: object
) -> None:
    form = {"interaction_id": "1005", "custom_key": "priority", "custom_value": "high"}
    created = await body_of(await sdx.post("/api/interaction_data", data=form))
    overwritten = await body_of(
        await sdx.post("/api/interaction_data", data={**form, "custom_value": "low"})
    )

    assert created["id"] == overwritten["id"]
    assert overwritten == {
        "id": created["id"],
        "interaction_id": WITH_DATA,
        "custom_key": "priority",
        "custom_value": "low",
        "created_at": format_time(NOW),
        "updated_at": format_time(NOW),
    }
    values = {d.custom_key: d.custom_value for d in state.store.data_for(WITH_DATA)}
    assert values["priority"] == "low"


@pytest.mark.parametrize(
    ("form", "status"),
    [
        ({"custom_key": "k", "custom_value": "v"}, 400),
        ({"interaction_id": "1005", "custom_value": "v"}, 400),
        ({"interaction_id": "1005", "custom_key": "k"}, 400),
        ({"interaction_id": "1005", "custom_key": "1k", "custom_value": "v"}, 400),
        ({"interaction_id": "1005", "custom_key": "a-b", "custom_value": "v"}, 400),
        ({"interaction_id": "9999", "custom_key": "k", "custom_value": "v"}, 404),
    ],
)
async def test_bad_interaction_data_is_refused(
    sdx: Client, form: dict[str, str], status: int
) -> None:
    response = await sdx.post("/api/interaction_data", data=form)
    assert response.status == status, await response.text()


async def test_get_and_delete_one_datum(sdx: Client, state: SandboxState) -> None:
    datum = await get(sdx, "/api/interaction_data/9001")
    assert (datum["custom_key"], datum["custom_value"]) == ("customer_name", "Jordan Lee")

    deleted = await body_of(await sdx.delete("/api/interaction_data/9001"))

    assert deleted == {"id": 9001, "deleted": True}
    await get(sdx, "/api/interaction_data/9001", status=404)
    assert (await sdx.delete("/api/interaction_data/9001")).status == 404
    assert [d.id for d in state.store.data_for(WITH_DATA)] == [9002]


# -- users ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["alex.chen@example.com", "nevil.riley@example.com", "sam.patel@example.com"]),
        ({"_order": "DESC", "_limit": "1"}, ["sam.patel@example.com"]),
        ({"name": "Alex Chen"}, ["alex.chen@example.com"]),
        ({"name": "alex chen"}, []),
        ({"name_contains": "PAT"}, ["sam.patel@example.com"]),
        ({"agent_id": "nevilr"}, ["nevil.riley@example.com"]),
        ({"phone": "+61400000102"}, ["alex.chen@example.com"]),
        ({"email": "Nevil.Riley@Example.com"}, ["nevil.riley@example.com"]),
    ],
)
async def test_user_filters(sdx: Client, params: dict[str, str], expected: list[str]) -> None:
    found = await get(sdx, "/api/users", status=200 if expected else 204, **params)
    assert [u["email"] for u in found] == expected


async def test_one_user_and_their_interactions(sdx: Client) -> None:
    user = await get(sdx, "/api/users/nevil.riley@example.com")
    assert user == {
        "name": "Nevil Riley",
        "email": "nevil.riley@example.com",
        "agent_id": "nevilr",
        "phone": "+61400000101",
        "timezone": "Australia/Sydney",
    }
    mine = await get(sdx, "/api/users/nevil.riley@example.com/interactions", _order="ASC")
    assert [i["id"] for i in mine] == [1002, 1004]
    done = await get(sdx, "/api/users/NEVIL.RILEY@example.com/interactions", completed="1")
    assert [i["id"] for i in done] == [1004]
    # Sam has no agent id, so no interactions (not every unassigned one).
    await get(sdx, "/api/users/sam.patel@example.com/interactions", status=204)
    await get(sdx, "/api/users/nobody@example.com", status=404)
    await get(sdx, "/api/users/nobody@example.com/interactions", status=404)


# -- phone numbers -------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "country", "expected"),
    [
        ("+61409999999", None, ("+61409999999", "AU", "0409 999 999", "mobile")),
        ("0409999999", "AU", ("+61409999999", "AU", "0409 999 999", "mobile")),
        ("0298765432", "au", ("+61298765432", "AU", "(02) 9876 5432", "landline")),
        ("6502530000", None, ("+16502530000", "US", "(650) 253-0000", "mobile")),
        ("+61 1300 975 707", "AU", ("+611300975707", "AU", "1300 975 707", "landline")),
    ],
)
async def test_phone_number_lookup(
    sdx: Client, number: str, country: str | None, expected: tuple[str, str, str, str]
) -> None:
    params = {} if country is None else {"country_code": country}
    found = await body_of(await sdx.get(f"/api/phone_numbers/{number}", params=params))
    assert (
        found["phone_number"],
        found["country_code"],
        found["national_format"],
        found["phone_type"],
    ) == expected


async def test_invalid_phone_numbers(sdx: Client) -> None:
    await get(sdx, "/api/phone_numbers/12345", status=404)
    await get(sdx, "/api/phone_numbers/not-a-number", status=404)
    await get(sdx, "/api/phone_numbers/0409999999", status=404)  # not a US number
    await get(sdx, "/api/phone_numbers/0409999999", status=400, country_code="AUS")


async def test_phone_number_may_be_percent_encoded(sdx: Client) -> None:
    found = await body_of(await sdx.get(URL("/api/phone_numbers/%2B61409999999", encoded=True)))
    assert found["phone_number"] == "+61409999999"
