"""List endpoints: required scopes, filters, ordering, paging, 204 when empty."""

from __future__ import annotations

import pytest

from gateway.sandbox.sdx import SandboxState
from tests.sandbox.conftest import (
    ABANDONED,
    COMPLETED,
    DEMO_INBOUND,
    DEMO_OUTBOUND,
    DEMO_SMS,
    SMS_SURVEY,
    WITH_DATA,
    Client,
    body_of,
    empty_list,
)


async def ids(sdx: Client, path: str, **params: str) -> list[int]:
    response = await sdx.get(path, params=params)
    if response.status == 204:
        return []
    return [item["id"] for item in await body_of(response)]


async def interaction_ids(sdx: Client, **params: str) -> list[int]:
    return await ids(sdx, "/api/interactions", **params)


async def test_survey_id_is_required(sdx: Client) -> None:
    response = await sdx.get("/api/interactions")
    assert response.status == 400
    assert "survey_id is required" in await response.text()


async def test_a_survey_without_interactions_is_204(sdx: Client) -> None:
    await empty_list(await sdx.get("/api/interactions", params={"survey_id": "99"}))
    await empty_list(
        await sdx.get("/api/interactions", params={"survey_id": "52", "survey_type": "sms"})
    )


@pytest.mark.parametrize(
    "params",
    [
        {"_limit": "0"},
        {"_limit": "1001"},
        {"_limit": "ten"},
        {"_offset": "-1"},
        {"_offset": "x"},
        {"_order": "RANDOM"},
        {"started": "yes"},
        {"completed": ""},
        {"survey_ended": "2"},
        {"scheduled_at": "2025-01-06"},
    ],
)
async def test_bad_list_parameters_are_400(sdx: Client, params: dict[str, str]) -> None:
    response = await sdx.get("/api/interactions", params={"survey_id": "53", **params})
    assert response.status == 400


async def test_default_order_is_by_status(sdx: Client) -> None:
    # 53 holds 1002 and 1005 (not started) and 1006 (abandoned).
    await body_of(await sdx.post(f"/api/interactions/{WITH_DATA}/start_survey"))

    assert await interaction_ids(sdx, survey_id="53") == [DEMO_OUTBOUND, WITH_DATA, ABANDONED]
    assert await interaction_ids(sdx, survey_id="53", _order="ASC") == [1002, 1005, 1006]
    assert await interaction_ids(sdx, survey_id="53", _order="desc") == [1006, 1005, 1002]


async def test_status_order_puts_not_started_first(sdx: Client, state: SandboxState) -> None:
    newer = state.store.create_interaction(53, survey_type="web")
    await body_of(await sdx.post(f"/api/interactions/{DEMO_OUTBOUND}/start_survey"))

    assert await interaction_ids(sdx, survey_id="53") == [WITH_DATA, newer.id, 1002, 1006]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"survey_type": "outbound"}, [1002, 1005, 1006]),
        ({"survey_type": "inbound"}, []),
        ({"agent_id": "alexc"}, [1005, 1006]),
        ({"call_type": "billing"}, [1005]),
        ({"external_ref": "case-77012"}, [1006]),
        ({"scheduled_at": "2025-01-07 02:00:00"}, [1005]),
        ({"scheduled_at": "2025-01-07 02:00:01"}, []),
        ({"started": "true"}, [1006]),
        ({"started": "0"}, [1002, 1005]),
        ({"completed": "TRUE"}, [1006]),
        ({"completed": "false"}, [1002, 1005]),
        ({"survey_ended": "1"}, []),
        ({"survey_ended": "False"}, [1002, 1005, 1006]),
        ({"started": "1", "completed": "1", "survey_ended": "0"}, [1006]),
        # There is no phone_number filter: it is ignored, as SDX does.
        ({"phone_number": "+61409999999"}, [1002, 1005, 1006]),
    ],
)
async def test_interaction_filters(
    sdx: Client, params: dict[str, str], expected: list[int]
) -> None:
    assert await interaction_ids(sdx, survey_id="53", _order="ASC", **params) == expected


async def test_email_filter(sdx: Client, state: SandboxState) -> None:
    mine = state.store.create_interaction(52, survey_type="email", email="a@example.com")
    state.store.create_interaction(52, survey_type="email", email="b@example.com")

    assert await interaction_ids(sdx, survey_id="52", email="a@example.com") == [mine.id]


async def test_survey_ended_tells_completed_from_abandoned(sdx: Client) -> None:
    assert await interaction_ids(sdx, survey_id="52", survey_ended="true") == [COMPLETED]
    assert await interaction_ids(sdx, survey_id="52", completed="true") == [COMPLETED]
    assert await interaction_ids(sdx, survey_id="52", completed="false") == [DEMO_INBOUND]


async def test_limit_and_offset(sdx: Client, state: SandboxState) -> None:
    for n in range(12):
        state.store.create_interaction(SMS_SURVEY, survey_type="web", external_ref=f"n{n}")

    first = await interaction_ids(sdx, survey_id="54", _order="ASC")
    second = await interaction_ids(sdx, survey_id="54", _order="ASC", _offset="10")

    assert len(first) == 10  # the default _limit
    assert first[0] == DEMO_SMS
    assert len(second) == 3
    assert first + second == sorted(first + second)
    assert await interaction_ids(sdx, survey_id="54", _limit="2", _offset="1", _order="DESC") == [
        first[-1] + 3 - 1,
        first[-1] + 3 - 2,
    ]
    await empty_list(
        await sdx.get("/api/interactions", params={"survey_id": "54", "_offset": "13"})
    )


async def test_paging_through_more_than_a_thousand(sdx: Client, state: SandboxState) -> None:
    created = [
        state.store.create_interaction(
            SMS_SURVEY, survey_type="sms", phone_number=f"+614{n:08d}", force_new=True
        ).id
        for n in range(1500)
    ]
    seen: list[int] = []
    pages: list[int] = []
    while True:
        page = await interaction_ids(
            sdx, survey_id="54", _limit="1000", _offset=str(len(seen)), _order="ASC"
        )
        pages.append(len(page))
        seen += page
        if len(page) < 1000:
            break

    assert pages == [1000, 501]
    assert seen == [DEMO_SMS, *created]


async def test_lists_default_to_id_order_elsewhere(sdx: Client) -> None:
    assert await ids(sdx, "/api/surveys") == [52, 53, 54]
    assert await ids(sdx, "/api/surveys", _order="DESC") == [54, 53, 52]
    assert await ids(sdx, "/api/surveys", _limit="1", _offset="1") == [53]
    assert await ids(sdx, "/api/responses", survey_id="52", _order="DESC") == [
        7004,
        7003,
        7002,
        7001,
    ]
    assert (await sdx.get("/api/questions", params={"_limit": "1001"})).status == 400


async def test_lists_embed_responses_and_data_on_request(sdx: Client) -> None:
    params = {"survey_id": "52", "_order": "DESC", "_include_responses": "true"}
    found = await body_of(await sdx.get("/api/interactions", params=params))

    assert [(i["id"], len(i["responses"])) for i in found] == [(1004, 4), (1001, 0)]
    assert all("interaction_data" not in i for i in found)
    with_data = await body_of(
        await sdx.get("/api/interactions", params={"survey_id": "53", "_include_data": "1"})
    )
    assert {i["id"]: len(i["interaction_data"]) for i in with_data} == {1002: 0, 1005: 2, 1006: 0}
