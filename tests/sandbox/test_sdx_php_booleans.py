"""The php flavour reads boolean parameters with Laravel's ``boolean`` rule:
1 and 0 pass, the words true and false are a 422 with Laravel's JSON body."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aiohttp import web

from gateway.sandbox.sdx import SandboxState, create_sdx_sandbox
from gateway.sdx import SdxClient
from gateway.sdx.errors import SdxError
from tests.sandbox.conftest import COMPLETED, DEMO_INBOUND, WITH_DATA, Client, body_of


@pytest.fixture
def app() -> web.Application:
    return create_sdx_sandbox(flavour="php")


@pytest.mark.parametrize(
    ("method", "path", "name", "value"),
    [
        ("GET", "/api/interactions?survey_id=52", "started", "true"),
        ("GET", "/api/interactions?survey_id=52", "completed", "false"),
        ("GET", "/api/interactions?survey_id=52", "survey_ended", "yes"),
        ("GET", f"/api/interactions/{WITH_DATA}", "_include_data", "true"),
        ("GET", "/api/surveys/52/interactions", "_include_responses", "false"),
        ("POST", "/api/interactions", "_force_new", "true"),
    ],
)
async def test_true_and_false_as_words_are_422(
    sdx: Client, state: SandboxState, method: str, path: str, name: str, value: str
) -> None:
    before = len(state.store.interactions)
    form = {"survey_id": "52", "phone_number": "+61400000999", name: value}
    if method == "GET":
        response = await sdx.get(path, params={name: value})
    else:
        response = await sdx.post(path, data=form)

    message = f"The {name} field must be true or false."
    assert await body_of(response, 422) == {"message": message, "errors": {name: [message]}}
    assert len(state.store.interactions) == before


async def test_one_and_zero_are_booleans(sdx: Client) -> None:
    started = await body_of(
        await sdx.get("/api/interactions", params={"survey_id": "52", "started": "1"})
    )
    assert [i["id"] for i in started] == [str(COMPLETED)]
    not_started = await body_of(
        await sdx.get(
            "/api/interactions", params={"survey_id": "52", "started": "0", "_include_data": "0"}
        )
    )
    assert [i["id"] for i in not_started] == [str(DEMO_INBOUND)]
    assert "interaction_data" not in not_started[0]


async def test_force_new_as_one_creates_a_duplicate(sdx: Client) -> None:
    form = {"survey_id": "52", "survey_type": "inbound", "phone_number": "+61409999999"}
    refused = await sdx.post("/api/interactions", data=form)
    assert refused.status == 409, await refused.text()
    created = await body_of(await sdx.post("/api/interactions", data={**form, "_force_new": "1"}))
    assert created["phone_number"] == "+61409999999"


@pytest.fixture
def sandbox_app() -> web.Application:
    return create_sdx_sandbox(flavour="php")


async def test_the_gateway_reports_the_422_readably(make_client: Callable[[], SdxClient]) -> None:
    with pytest.raises(SdxError) as caught:
        await make_client().list_interactions(52, started="true")

    assert caught.value.status == 422
    assert "The started field must be true or false." in str(caught.value)
