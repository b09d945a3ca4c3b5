"""Every curl example of seed/interactions-api.md, sent the way curl sends it.

curl ``-d`` does not URL-encode: the bodies below are exactly what curl puts
on the wire (``&``-joined), with ``-u`` turned into a Basic header.
"""

from __future__ import annotations

import json
from datetime import timedelta

import aiohttp

from gateway.sandbox.sdx import SandboxState
from gateway.sandbox.sdx.timefmt import NEVER, format_time
from tests.sandbox.conftest import (
    BASIC_HEADER,
    COMPLETED,
    DEMO_INBOUND,
    DEMO_OUTBOUND,
    FORM,
    INBOUND_SURVEY,
    NOW,
    WITH_DATA,
    Client,
    body_of,
    empty_list,
)


async def curl(client: Client, method: str, url: str, *data: str) -> aiohttp.ClientResponse:
    headers = {"Authorization": BASIC_HEADER}
    body = "&".join(data) if data else None
    if body is not None:
        headers["Content-Type"] = FORM
    return await client.request(method, url, data=body, headers=headers)


async def test_list_outbound_interactions_of_survey_52(sdx: Client, state: SandboxState) -> None:
    url = "/api/interactions?survey_id=52&_limit=5&survey_type=outbound"
    # The demo survey 52 is inbound: no outbound interactions yet.
    await empty_list(await curl(sdx, "GET", url))
    for n in range(7):
        state.store.create_interaction(
            INBOUND_SURVEY, survey_type="outbound", phone_number=f"+6140000050{n}"
        )

    found = await body_of(await curl(sdx, "GET", url))

    assert len(found) == 5
    assert {(i["survey_id"], i["survey_type"]) for i in found} == {(52, "outbound")}


async def test_add_email_interaction_in_five_minutes(
    sdx: Client, state: SandboxState, frozen_clock: object
) -> None:
    response = await curl(
        sdx,
        "POST",
        "/api/interactions",
        "survey_id=52",
        "survey_type=email",
        "email=respondent@example.com",
        "scheduled_at=Now + 5 minutes",
    )

    created = await body_of(response)
    assert created["survey_id"] == 52
    assert created["survey_type"] == "email"
    assert created["email"] == "respondent@example.com"
    assert created["phone_number"] == ""
    assert created["created_at"] == format_time(NOW)
    assert created["scheduled_at"] == format_time(NOW + timedelta(minutes=5))
    assert created["status"] == "Not Started"
    assert created["completed_at"] == NEVER
    assert created["web_link"].endswith(created["uuid"])
    assert isinstance(created["id"], int)
    assert state.store.interaction(created["id"]).email == "respondent@example.com"


async def test_get_specific_interaction(sdx: Client) -> None:
    found = await body_of(await curl(sdx, "GET", f"/api/interactions/{DEMO_INBOUND}"))

    assert found["id"] == DEMO_INBOUND
    assert found["phone_number"] == "+61409999999"
    assert found["survey_type"] == "inbound"
    assert found["status"] == "Not Started"
    assert set(found) >= {
        "id", "uuid", "survey_id", "phone_number", "email", "survey_type", "scheduled_at",
        "external_ref", "created_at", "updated_at", "call_type", "agent_id", "status",
        "web_link", "completed_at", "respondent_language", "weblink_short",
    }  # fmt: skip
    # The example's id does not exist here.
    assert (await curl(sdx, "GET", "/api/interactions/891234")).status == 404


async def test_delete_interaction(sdx: Client, state: SandboxState) -> None:
    interaction = state.store.create_interaction(INBOUND_SURVEY, survey_type="web")
    url = f"/api/interactions/{interaction.id}"

    deleted = await body_of(await curl(sdx, "DELETE", url))

    assert deleted == {"id": interaction.id, "deleted": True}
    assert (await curl(sdx, "GET", url)).status == 410


async def test_update_interaction_with_the_weblink_spelling(
    sdx: Client, state: SandboxState
) -> None:
    interaction = state.store.create_interaction(
        INBOUND_SURVEY, survey_type="email", email="someone@example.com"
    )
    # The documented example, with this sandbox's id and survey.
    sent = (
        '{"id":ID,"survey_id":52,"phone_number":"","survey_type":"email",'
        '"scheduled_at":"2017-05-04 02:53:49","external_ref":"","created_at":"2017-05-04 02:53:49",'
        '"updated_at":"2017-05-04 02:54:55","call_type":"","agent_id":"",'
        '"uuid":"e67fa4e0-3074-11e7-8efe-116b9b2f6833","email":"rileyneville@gmail.com",'
        '"status":"Completed 1 hour ago",'
        '"weblink":"https:\\/\\/surveydynamix.com\\/web_survey\\/e67fa4e0-3074-11e7-8efe-116b9b2f6833"}'
    ).replace("ID", str(interaction.id))
    assert json.loads(sent)["id"] == interaction.id

    updated = await body_of(
        await curl(sdx, "PUT", f"/api/interactions/{interaction.id}", "interaction=" + sent)
    )

    assert updated["email"] == "rileyneville@gmail.com"
    assert updated["scheduled_at"] == "2017-05-04 02:53:49"
    assert updated["web_link"] == (
        "https://surveydynamix.com/web_survey/e67fa4e0-3074-11e7-8efe-116b9b2f6833"
    )
    # Read-only fields are not taken from the request.
    assert updated["uuid"] == interaction.uuid
    assert updated["status"] == "Not Started"
    assert updated["created_at"] == format_time(interaction.created_at)


async def test_responses_of_interaction(sdx: Client) -> None:
    found = await body_of(await curl(sdx, "GET", f"/api/interactions/{COMPLETED}/responses"))

    assert [r["response"] for r in found] == ["9", "4", "Yes", "Quick and friendly, thanks."]
    assert found[0] == {
        "id": 7001,
        "interaction_id": COMPLETED,
        "question_id": 501,
        "response": "9",
        "submitted_at": "2025-01-02 10:15:30",
        "recording_url": None,
        "response_type": "voice",
        "question_label": "recommend",
    }


async def test_interaction_data_of_interaction(sdx: Client) -> None:
    url = f"/api/interactions/{WITH_DATA}/interaction_data"

    found = await body_of(await curl(sdx, "GET", url))

    assert {d["custom_key"]: d["custom_value"] for d in found} == {
        "customer_name": "Jordan Lee",
        "case_id": "77031",
    }
    assert set(found[0]) == {
        "id", "interaction_id", "custom_key", "custom_value", "created_at", "updated_at",
    }  # fmt: skip


async def test_start_survey(sdx: Client, state: SandboxState) -> None:
    turn = await body_of(await curl(sdx, "POST", f"/api/interactions/{DEMO_INBOUND}/start_survey"))

    survey = state.store.survey(INBOUND_SURVEY)
    assert turn["prompts"] == [
        survey.greeting_text,
        survey.instructions_text,
        "How likely are you to recommend us to a friend, from 0 to 10?",
    ]
    assert turn["sound_files"] == ["https://example.com/sdx-sandbox/greeting-52.mp3", "", ""]
    assert turn["survey_completed"] == 0
    assert turn["current_question"]["id"] == 501
    assert turn["current_question"]["question_type"] == "nps"


async def test_submit_response_yes(sdx: Client, state: SandboxState) -> None:
    url = f"/api/interactions/{DEMO_INBOUND}"
    await body_of(await curl(sdx, "POST", f"{url}/start_survey"))
    await body_of(await curl(sdx, "POST", f"{url}/submit_response", "response=9"))
    turn = await body_of(await curl(sdx, "POST", f"{url}/submit_response", "response=4"))
    assert turn["current_question"]["question_type"] == "yesno"

    turn = await body_of(await curl(sdx, "POST", f"{url}/submit_response", "response=Yes"))

    assert turn["survey_completed"] == 0
    assert turn["current_question"]["question_type"] == "text"
    assert turn["prompts"] == [turn["current_question"]["question_text"]]
    recorded = state.store.responses_for(DEMO_INBOUND)
    assert [(r.question_id, r.response) for r in recorded] == [(501, "9"), (502, "4"), (503, "Yes")]


async def test_abandon_survey(sdx: Client, state: SandboxState) -> None:
    url = f"/api/interactions/{DEMO_OUTBOUND}"
    await body_of(await curl(sdx, "POST", f"{url}/start_survey"))

    turn = await body_of(await curl(sdx, "POST", f"{url}/abandon_survey"))

    closing = state.store.survey(53).closing_text
    assert turn == {"prompts": [closing], "sound_files": [""], "survey_completed": 1}
    found = await body_of(await curl(sdx, "GET", url))
    assert found["status"] == "Abandoned"
    assert found["completed_at"] != NEVER
