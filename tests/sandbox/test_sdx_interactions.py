"""Creating, reading, updating and deleting interactions, and their error answers."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from gateway.sandbox.sdx import SandboxState
from gateway.sandbox.sdx.timefmt import format_time
from tests.sandbox.conftest import (
    COMPLETED,
    DEMO_INBOUND,
    INBOUND_SURVEY,
    NOW,
    SMS_SURVEY,
    WITH_DATA,
    Client,
    body_of,
)

DEMO_RESPONDENT = "+61409999999"


async def create(sdx: Client, **form: str) -> dict[str, object]:
    body: dict[str, object] = await body_of(await sdx.post("/api/interactions", data=form))
    return body


async def refused(sdx: Client, status: int, **form: str) -> str:
    response = await sdx.post("/api/interactions", data=form)
    assert response.status == status, await response.text()
    return await response.text()


# -- POST /interactions ------------------------------------------------------


async def test_create_defaults_to_a_web_interaction_due_now(
    sdx: Client, frozen_clock: object
) -> None:
    created = await create(sdx, survey_id="53")

    assert created["survey_type"] == "web"
    assert created["scheduled_at"] == created["created_at"] == format_time(NOW)
    assert created["status"] == "Not Started"


async def test_create_returns_the_stored_interaction(sdx: Client, state: SandboxState) -> None:
    created = await create(
        sdx,
        survey_id="54",
        survey_type="sms",
        phone_number="+61400000777",
        external_ref="order-1",
        call_type="delivery",
        agent_id="alexc",
    )

    stored = state.store.interaction(int(str(created["id"])))
    assert stored.as_json() == created
    assert (stored.phone_number, stored.external_ref, stored.call_type, stored.agent_id) == (
        "+61400000777",
        "order-1",
        "delivery",
        "alexc",
    )


@pytest.mark.parametrize(
    ("form", "reason"),
    [
        ({}, "survey_id is required"),
        ({"survey_id": ""}, "survey_id is required"),
        ({"survey_id": "fifty-two"}, "survey_id must be an integer"),
        ({"survey_id": "52", "survey_type": "fax"}, "survey_type must be one of"),
        ({"survey_id": "52", "survey_type": "inbound"}, "phone_number is required"),
        ({"survey_id": "52", "survey_type": "outbound"}, "phone_number is required"),
        ({"survey_id": "52", "survey_type": "sms"}, "phone_number is required"),
        ({"survey_id": "52", "survey_type": "email"}, "email is required"),
        ({"survey_id": "52", "phone_number": "0409999999"}, "E.164"),
        ({"survey_id": "52", "scheduled_at": "tomorrow"}, "scheduled_at must be"),
        ({"survey_id": "52", "scheduled_at": "Now + 5 weeks"}, "scheduled_at must be"),
        ({"survey_id": "52", "_force_new": "maybe"}, "_force_new must be"),
    ],
)
async def test_create_with_bad_parameters_is_400(
    sdx: Client, form: dict[str, str], reason: str
) -> None:
    assert reason in await refused(sdx, 400, **form)


async def test_create_for_an_unknown_survey_is_404(sdx: Client) -> None:
    await refused(sdx, 404, survey_id="99")


@pytest.mark.parametrize(
    ("scheduled_at", "after"),
    [
        ("Now + 5 minutes", timedelta(minutes=5)),
        ("now + 1 minute", timedelta(minutes=1)),
        ("NOW + 2 HOURS", timedelta(hours=2)),
        ("Now+1 Day", timedelta(days=1)),
        ("Now + 3 days", timedelta(days=3)),
        ("Now   5 Minutes", timedelta(minutes=5)),  # the "+" of an unencoded curl -d
        ("Now", timedelta(0)),
    ],
)
async def test_scheduled_at_relative_to_now(
    sdx: Client, frozen_clock: object, scheduled_at: str, after: timedelta
) -> None:
    created = await create(sdx, survey_id="52", scheduled_at=scheduled_at)
    assert created["scheduled_at"] == format_time(NOW + after)


async def test_scheduled_at_timestamp_is_taken_as_utc(sdx: Client) -> None:
    created = await create(sdx, survey_id="52", scheduled_at="2030-06-01 08:30:00")
    assert created["scheduled_at"] == "2030-06-01 08:30:00"


async def test_unlisted_parameters_become_interaction_data(
    sdx: Client, state: SandboxState
) -> None:
    created = await create(
        sdx,
        survey_id="52",
        customer_name="Pat Doe",
        Order_2="A-1",
        _private="not data",
        **{"bad-key": "not data", "9lives": "not data"},
    )

    data = state.store.data_for(int(str(created["id"])))
    assert {d.custom_key: d.custom_value for d in data} == {
        "customer_name": "Pat Doe",
        "Order_2": "A-1",
    }


async def test_pending_duplicate_is_409_unless_forced(sdx: Client, state: SandboxState) -> None:
    # The seed has a pending inbound interaction for the demo respondent on 52.
    same = {"survey_id": "52", "survey_type": "inbound", "phone_number": DEMO_RESPONDENT}
    assert "pending interaction (1001)" in await refused(sdx, 409, **same)
    # The channel does not matter: same number, same survey.
    await refused(sdx, 409, **{**same, "survey_type": "outbound"})

    forced = await create(sdx, **same, _force_new="true")

    assert forced["id"] != DEMO_INBOUND
    assert state.store.interaction(DEMO_INBOUND).pending


async def test_started_interaction_is_still_pending(sdx: Client) -> None:
    await body_of(await sdx.post(f"/api/interactions/{DEMO_INBOUND}/start_survey"))
    await refused(sdx, 409, survey_id="52", survey_type="inbound", phone_number=DEMO_RESPONDENT)


async def test_ended_interactions_do_not_block_a_new_one(sdx: Client) -> None:
    # 1004 (+61400000001 on 52) is completed in the seed.
    await create(sdx, survey_id="52", survey_type="inbound", phone_number="+61400000001")
    # After abandoning the demo respondent's pending one, a new one is allowed.
    await body_of(await sdx.post(f"/api/interactions/{DEMO_INBOUND}/abandon_survey"))
    await create(sdx, survey_id="52", survey_type="inbound", phone_number=DEMO_RESPONDENT)


async def test_other_surveys_and_numbers_do_not_conflict(sdx: Client) -> None:
    await create(sdx, survey_id="53", survey_type="inbound", phone_number="+61409999998")
    await create(sdx, survey_id=str(SMS_SURVEY), survey_type="web", phone_number="+61400000001")


# -- GET /interactions/{id} --------------------------------------------------


async def test_get_embeds_responses_and_data_on_request(sdx: Client) -> None:
    url = f"/api/interactions/{COMPLETED}"
    plain = await body_of(await sdx.get(url))
    assert "responses" not in plain
    assert "interaction_data" not in plain

    full = await body_of(
        await sdx.get(url, params={"_include_responses": "TRUE", "_include_data": "1"})
    )

    assert [r["question_id"] for r in full["responses"]] == [501, 502, 503, 504]
    assert [d["custom_key"] for d in full["interaction_data"]] == ["queue"]
    assert full["status"] == "Completed"
    assert full["completed_at"] == "2025-01-02 10:17:40"


async def test_get_with_a_bad_boolean_is_400(sdx: Client) -> None:
    response = await sdx.get(f"/api/interactions/{COMPLETED}", params={"_include_data": "yes"})
    assert response.status == 400


@pytest.mark.parametrize("path", ["/api/interactions/999999", "/api/interactions/abc"])
async def test_unknown_interaction_is_404(sdx: Client, path: str) -> None:
    assert (await sdx.get(path)).status == 404


# -- PUT /interactions/{id} --------------------------------------------------


async def put(sdx: Client, interaction_id: int, sent: object, status: int = 200) -> object:
    form = {"interaction": sent if isinstance(sent, str) else json.dumps(sent)}
    response = await sdx.put(f"/api/interactions/{interaction_id}", data=form)
    if status == 200:
        return await body_of(response)
    assert response.status == status, await response.text()
    return await response.text()


async def test_put_changes_writable_fields_only(sdx: Client, frozen_clock: object) -> None:
    got = await body_of(await sdx.get(f"/api/interactions/{WITH_DATA}"))
    changed = {
        **got,
        "external_ref": "case-99",
        "agent_id": "nevilr",
        "call_type": None,
        "scheduled_at": "Now + 1 hour",
        "web_link": "https://example.com/elsewhere",
        "status": "Completed",
        "uuid": "not-mine",
        "survey_id": 54,
        "created_at": "2000-01-01 00:00:00",
        "responses": [],
        "unknown_field": "ignored",
    }

    updated = await put(sdx, WITH_DATA, changed)

    assert updated == {
        **got,
        "external_ref": "case-99",
        "agent_id": "nevilr",
        "call_type": "",
        "scheduled_at": format_time(NOW + timedelta(hours=1)),
        "web_link": "https://example.com/elsewhere",
        "updated_at": format_time(NOW),
    }


async def test_put_can_change_channel(sdx: Client) -> None:
    got = await body_of(await sdx.get(f"/api/interactions/{WITH_DATA}"))
    updated = await put(sdx, WITH_DATA, {**got, "survey_type": "sms"})
    assert isinstance(updated, dict)
    assert updated["survey_type"] == "sms"


@pytest.mark.parametrize(
    ("sent", "reason"),
    [
        ("", "interaction (the interaction as a JSON string) is required"),
        ("{not json", "not valid JSON"),
        ("[1005]", "must be a JSON object"),
        ({"external_ref": "x"}, "interaction.id must be"),
        ({"id": 1001}, "interaction.id must be"),
        ({"id": True}, "interaction.id must be"),
        ({"id": 1005, "survey_type": "fax"}, "survey_type must be"),
        ({"id": 1005, "scheduled_at": "soon"}, "scheduled_at must be"),
        ({"id": 1005, "email": ["a@example.com"]}, "email must be a string"),
        ({"id": 1005, "phone_number": ""}, "phone_number is required"),
        ({"id": 1005, "survey_type": "email"}, "email is required"),
    ],
)
async def test_bad_put_is_400(sdx: Client, sent: object, reason: str) -> None:
    text = await put(sdx, WITH_DATA, sent, status=400)
    assert isinstance(text, str)
    assert reason in text


async def test_put_accepts_a_string_id(sdx: Client) -> None:
    updated = await put(sdx, WITH_DATA, {"id": "1005", "external_ref": "as-string"})
    assert isinstance(updated, dict)
    assert updated["external_ref"] == "as-string"


# -- DELETE /interactions/{id} and 410 -----------------------------------------


async def test_started_interaction_cannot_be_deleted(sdx: Client, state: SandboxState) -> None:
    await body_of(await sdx.post(f"/api/interactions/{DEMO_INBOUND}/start_survey"))

    response = await sdx.delete(f"/api/interactions/{DEMO_INBOUND}")

    assert response.status == 409
    assert state.store.interaction(DEMO_INBOUND).deleted_at is None


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("GET", ""),
        ("PUT", ""),
        ("DELETE", ""),
        ("GET", "/responses"),
        ("GET", "/interaction_data"),
        ("POST", "/start_survey"),
        ("POST", "/submit_response"),
        ("POST", "/abandon_survey"),
    ],
)
async def test_deleted_interaction_is_gone_everywhere(
    sdx: Client, method: str, suffix: str
) -> None:
    await body_of(await sdx.delete(f"/api/interactions/{DEMO_INBOUND}"))

    response = await sdx.request(
        method,
        f"/api/interactions/{DEMO_INBOUND}{suffix}",
        data={"response": "9", "interaction": json.dumps({"id": DEMO_INBOUND})},
    )

    assert response.status == 410


async def test_deleted_interaction_leaves_lists_with_its_data(
    sdx: Client, state: SandboxState
) -> None:
    await body_of(await sdx.delete(f"/api/interactions/{WITH_DATA}"))

    listed = await body_of(await sdx.get("/api/interactions", params={"survey_id": "53"}))
    assert WITH_DATA not in [i["id"] for i in listed]
    data = await sdx.get("/api/interaction_data", params={"survey_id": "53"})
    assert data.status == 204
    assert (await sdx.get("/api/interaction_data/9001")).status == 410
    # A deleted interaction no longer blocks a new one for its number.
    await create(sdx, survey_id="53", survey_type="outbound", phone_number="+61400000002")
    assert state.store.interactions[WITH_DATA].deleted_at is not None


# -- methods -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PATCH", "/api/interactions/1001"),
        ("POST", "/api/interactions/1001"),
        ("DELETE", "/api/interactions"),
        ("GET", "/api/interactions/1001/start_survey"),
        ("GET", "/api/interactions/1001/submit_response"),
        ("POST", "/api/interactions/1001/responses"),
        ("POST", "/api/surveys"),
        ("DELETE", "/api/questions/501"),
        ("PUT", "/api/responses/7001"),
        ("PUT", "/api/interaction_data/9001"),
    ],
)
async def test_wrong_method_is_405(sdx: Client, method: str, path: str) -> None:
    response = await sdx.request(method, path)
    assert response.status == 405
    assert "Allow" in response.headers


async def test_created_id_follows_the_seed(sdx: Client) -> None:
    first = await create(sdx, survey_id=str(INBOUND_SURVEY))
    second = await create(sdx, survey_id=str(INBOUND_SURVEY))
    assert first["id"] == 1007
    assert second["id"] == 1008
