"""The php flavour's rules: append-only interaction data, a capped
``_limit``, 409 on a finished survey, and a redirect from submit_response
before the survey started."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from gateway.sandbox.sdx import SandboxState, create_sdx_sandbox
from gateway.sandbox.sdx.php import PHP_MAX_LIMIT
from tests.sandbox.conftest import (
    ABANDONED,
    COMPLETED,
    DEMO_INBOUND,
    WITH_DATA,
    Client,
    body_of,
    empty_list,
)


@pytest.fixture
def app() -> web.Application:
    return create_sdx_sandbox(flavour="php")


async def set_datum(sdx: Client, key: str, value: str) -> Any:
    form = {"interaction_id": str(WITH_DATA), "custom_key": key, "custom_value": value}
    return await body_of(await sdx.post("/api/interaction_data", data=form))


def values(data: list[dict[str, str]]) -> list[tuple[str, str, str]]:
    return [(d["id"], d["custom_key"], d["custom_value"]) for d in data]


# -- append-only interaction data ------------------------------------------


async def test_posting_a_key_again_adds_a_record(sdx: Client, state: SandboxState) -> None:
    first = await set_datum(sdx, "case_id", "80000")
    second = await set_datum(sdx, "case_id", "80001")

    assert (first["id"], second["id"]) == ("9004", "9005")
    kept = [(d.id, d.custom_value) for d in state.store.data_for(WITH_DATA)]
    assert kept == [(9001, "Jordan Lee"), (9002, "77031"), (9004, "80000"), (9005, "80001")]


@pytest.mark.parametrize(
    "path",
    [
        f"/api/interactions/{WITH_DATA}/interaction_data",
        f"/api/interaction_data?interaction_id={WITH_DATA}",
        "/api/surveys/53/interaction_data",
    ],
)
async def test_data_is_listed_newest_first_unless_ordered(sdx: Client, path: str) -> None:
    await set_datum(sdx, "case_id", "80000")
    newest_first = [
        ("9004", "case_id", "80000"),
        ("9002", "case_id", "77031"),
        ("9001", "customer_name", "Jordan Lee"),
    ]

    assert values(await body_of(await sdx.get(path))) == newest_first
    joiner = "&" if "?" in path else "?"
    ascending = await body_of(await sdx.get(f"{path}{joiner}_order=ASC"))
    assert values(ascending) == newest_first[::-1]


async def test_embedded_data_comes_newest_first(sdx: Client) -> None:
    await set_datum(sdx, "case_id", "80000")
    for path in (f"/api/interactions/{WITH_DATA}", "/api/interactions?survey_id=53&_order=ASC"):
        body = await body_of(await sdx.get(path, params={"_include_data": "1"}))
        interaction = body if isinstance(body, dict) else body[1]
        assert interaction["id"] == str(WITH_DATA)
        assert [d["id"] for d in interaction["interaction_data"]] == ["9004", "9002", "9001"]


# -- _limit ----------------------------------------------------------------


@pytest.mark.parametrize("limit", ["101", "1000", "5000"])
async def test_a_large_limit_is_capped(sdx: Client, state: SandboxState, limit: str) -> None:
    for n in range(150):
        state.store.create_interaction(52, phone_number=f"+614000{n:05d}", survey_type="inbound")
    params = {"survey_id": "52", "_limit": limit, "_order": "ASC"}

    first = await body_of(await sdx.get("/api/interactions", params=params))
    rest = await body_of(await sdx.get("/api/interactions", params={**params, "_offset": "100"}))

    assert len(first) == PHP_MAX_LIMIT
    assert len(first) + len(rest) == 152  # the two seeded ones and the new
    assert int(first[-1]["id"]) < int(rest[0]["id"])


async def test_a_limit_below_one_is_still_refused(sdx: Client) -> None:
    response = await sdx.get("/api/surveys", params={"_limit": "0"})
    assert response.status == 400, await response.text()


# -- finished surveys and surveys not started ----------------------------


@pytest.mark.parametrize(
    ("interaction_id", "text"),
    [(COMPLETED, "Survey already completed"), (ABANDONED, "Survey already ended")],
)
async def test_start_survey_on_a_finished_survey_is_409(
    sdx: Client, interaction_id: int, text: str
) -> None:
    response = await sdx.post(f"/api/interactions/{interaction_id}/start_survey")
    assert response.status == 409
    assert text in await response.text()


async def test_submit_before_start_redirects_to_start_survey(
    sdx: Client, state: SandboxState
) -> None:
    response = await sdx.post(
        f"/api/interactions/{DEMO_INBOUND}/submit_response",
        data={"response": "9"},
        allow_redirects=False,
    )

    assert response.status == 302
    start = f"/api/interactions/{DEMO_INBOUND}/start_survey"
    assert response.headers["Location"] == str(response.url.with_path(start))
    assert not state.store.interaction(DEMO_INBOUND).started
    assert state.store.responses_for(DEMO_INBOUND) == []
    turn = await body_of(await sdx.post(start))
    assert turn["current_question"]["id"] == "501"


async def test_an_empty_list_is_still_204(sdx: Client) -> None:
    await empty_list(await sdx.get("/api/interactions", params={"survey_id": "99"}))


# -- switching flavour -----------------------------------------------------


async def test_the_flavour_can_be_switched_over_http(sdx: Client) -> None:
    assert await body_of(await sdx.get("/_sandbox/flavour")) == {"flavour": "php"}
    switched = await sdx.put("/_sandbox/flavour", json={"flavour": "plain"})
    assert await body_of(switched) == {"flavour": "plain"}

    interaction = await body_of(await sdx.get(f"/api/interactions/{DEMO_INBOUND}"))
    assert interaction["id"] == DEMO_INBOUND

    refused = await sdx.put("/_sandbox/flavour", json={"flavour": "java"})
    assert refused.status == 400, await refused.text()
