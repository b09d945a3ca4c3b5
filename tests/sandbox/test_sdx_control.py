"""The /_sandbox control endpoints, for tests and demos in another process."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.sandbox.sdx import (
    SANDBOX_STATE,
    Fault,
    SandboxState,
    create_sdx_sandbox,
    load_demo_data,
)
from tests.sandbox.conftest import COMPLETED, DEMO_INBOUND, Client, body_of


async def test_requests_are_listed_and_cleared(sdx: Client, anon: Client) -> None:
    await sdx.post("/api/interactions", data={"survey_id": "52", "external_ref": "r1"})
    await sdx.get("/api/surveys/52", params={"x": "1"})

    recorded = await body_of(await anon.get("/_sandbox/requests"))

    assert [{k: r[k] for k in ("method", "path", "query", "form", "status")} for r in recorded] == [
        {
            "method": "POST",
            "path": "/interactions",
            "query": {},
            "form": {"survey_id": "52", "external_ref": "r1"},
            "status": 200,
        },
        {"method": "GET", "path": "/surveys/52", "query": {"x": "1"}, "form": {}, "status": 200},
    ]
    assert recorded[0]["time"] <= recorded[1]["time"]
    assert recorded[0]["faulted"] is False

    assert await body_of(await anon.delete("/_sandbox/requests")) == {"cleared": 2}
    assert await body_of(await anon.get("/_sandbox/requests")) == []


async def test_faults_over_http(sdx: Client, anon: Client, state: SandboxState) -> None:
    fault = {
        "method": "GET",
        "path": "/surveys",
        "status": 429,
        "headers": {"Retry-After": "2"},
        "times": 2,
    }

    added = await body_of(await anon.post("/_sandbox/faults", json=fault), status=201)

    assert added == {
        "method": "GET",
        "path": "/surveys",
        "status": 429,
        "delay": 0.0,
        "after": False,
        "times": 2,
        "headers": {"Retry-After": "2"},
        "drop": False,
        "body": None,
    }
    limited = await sdx.get("/api/surveys")
    assert (limited.status, limited.headers["Retry-After"]) == (429, "2")
    listed = await body_of(await anon.get("/_sandbox/faults"))
    assert [(f["path"], f["remaining"]) for f in listed] == [("/surveys", 1)]

    assert await body_of(await anon.delete("/_sandbox/faults")) == {"cleared": 1}
    assert (await sdx.get("/api/surveys")).status == 200
    assert len(state.faults) == 0


async def test_an_after_fault_over_http(sdx: Client, anon: Client, state: SandboxState) -> None:
    await body_of(await sdx.post(f"/api/interactions/{DEMO_INBOUND}/start_survey"))
    fault = {"path": r"/interactions/\d+/submit_response", "status": 500, "after": True}
    await body_of(await anon.post("/_sandbox/faults", json=fault), status=201)

    failed = await sdx.post(
        f"/api/interactions/{DEMO_INBOUND}/submit_response", data={"response": "8"}
    )

    assert failed.status == 500
    assert [r.response for r in state.store.responses_for(DEMO_INBOUND)] == ["8"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("not json", "JSON object with Fault fields"),
        ([], "a fault is a JSON object"),
        ({"path": "/x", "colour": "red"}, "unknown fault fields: colour"),
        ({"path": 5}, "path has the wrong type"),
        ({"status": "500"}, "status has the wrong type"),
        ({"status": True}, "status has the wrong type"),
        ({"delay": "1"}, "delay has the wrong type"),
        ({"drop": 1}, "drop has the wrong type"),
        ({"headers": {"Retry-After": 1}}, "headers must map strings to strings"),
        ({"path": "(unclosed"}, "bad fault"),
        ({"status": 42}, "bad fault"),
        ({"times": 0}, "bad fault"),
    ],
)
async def test_bad_faults_are_400(anon: Client, body: Any, reason: str) -> None:
    if isinstance(body, str):
        response = await anon.post("/_sandbox/faults", data=body)
    else:
        response = await anon.post("/_sandbox/faults", json=body)
    assert response.status == 400
    assert reason in await response.text()


async def test_reset_restores_the_seed(sdx: Client, anon: Client, state: SandboxState) -> None:
    store = state.store
    created = await body_of(await sdx.post("/api/interactions", data={"survey_id": "52"}))
    await body_of(await sdx.post(f"/api/interactions/{DEMO_INBOUND}/abandon_survey"))
    await anon.post("/_sandbox/faults", json={"path": "/surveys", "status": 503})

    assert await body_of(await anon.post("/_sandbox/reset")) == {"reset": True}

    assert state.store is store  # references held by tests stay valid
    assert created["id"] not in store.interactions
    assert store.interaction(DEMO_INBOUND).status == "Not Started"
    assert len(state.faults) == 0
    assert state.requests == []
    # Ids start over too.
    again = await body_of(await sdx.post("/api/interactions", data={"survey_id": "52"}))
    assert again["id"] == created["id"]


async def test_recorded_responses_bypass_auth_and_faults(anon: Client, state: SandboxState) -> None:
    await anon.post("/_sandbox/faults", json={"status": 503})  # every API path

    recorded = await body_of(await anon.get(f"/_sandbox/interactions/{COMPLETED}/responses"))

    assert [r["response"] for r in recorded] == ["9", "4", "Yes", "Quick and friendly, thanks."]
    assert await body_of(await anon.get(f"/_sandbox/interactions/{DEMO_INBOUND}/responses")) == []
    assert (await anon.get("/_sandbox/interactions/4242/responses")).status == 404
    assert state.requests == []  # control requests are not recorded


def test_apps_share_no_state() -> None:
    data = load_demo_data()
    first, second = create_sdx_sandbox(data=data), create_sdx_sandbox(data=data)
    data["surveys"].clear()  # the caller's copy is not the sandbox's

    first[SANDBOX_STATE].store.create_interaction(52)
    first[SANDBOX_STATE].faults.add(Fault(status=500))

    assert len(first[SANDBOX_STATE].store.surveys) == 3
    assert len(first[SANDBOX_STATE].store.interactions) == 7
    assert len(second[SANDBOX_STATE].store.interactions) == 6
    assert len(second[SANDBOX_STATE].faults) == 0
