"""The control endpoints benches use: a bulk backlog, a simulated latency, request counts."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient

from gateway.sandbox.sdx import Latency, SandboxState, create_sdx_sandbox
from tests.sandbox.conftest import BASIC_HEADER, OUTBOUND_SURVEY, SMS_SURVEY, Client, body_of

BULK = "/_sandbox/interactions/bulk"


def backlog(count: int, **changes: Any) -> dict[str, Any]:
    return {
        "survey_id": OUTBOUND_SURVEY,
        "survey_type": "outbound",
        "count": count,
        "first_number": "+61410000098",
        **changes,
    }


# --- POST /_sandbox/interactions/bulk -----------------------------------------


async def test_a_backlog_is_created_and_listed_like_any_interaction(
    sdx: Client, anon: Client, state: SandboxState
) -> None:
    order = backlog(5, scheduled_at="2031-02-03 04:05:06")
    made = await body_of(await anon.post(BULK, json=order), status=201)

    first = max(i for i in state.store.interactions if i < made["first_id"])
    assert made == {"created": 5, "first_id": first + 1, "last_id": first + 5}
    params = {"survey_id": "53", "survey_type": "outbound", "_order": "DESC", "_limit": "5"}
    listed = await body_of(await sdx.get("/api/interactions", params=params))
    assert [(i["id"], i["phone_number"]) for i in listed] == [
        (first + 5, "+61410000102"),
        (first + 4, "+61410000101"),
        (first + 3, "+61410000100"),
        (first + 2, "+61410000099"),
        (first + 1, "+61410000098"),
    ]
    assert {(i["status"], i["scheduled_at"], i["survey_id"]) for i in listed} == {
        ("Not Started", "2031-02-03 04:05:06", OUTBOUND_SURVEY)
    }
    assert len({i["uuid"] for i in listed}) == 5


async def test_a_backlog_is_due_now_by_default(
    anon: Client, state: SandboxState, frozen_clock: datetime
) -> None:
    made = await body_of(await anon.post(BULK, json=backlog(2, survey_type="sms")), status=201)

    interaction = state.store.interaction(made["last_id"])
    assert (interaction.scheduled_at, interaction.created_at) == (frozen_clock, frozen_clock)
    assert (interaction.survey_type, interaction.started) == ("sms", False)


async def test_a_backlog_number_cannot_be_created_again(sdx: Client, anon: Client) -> None:
    await body_of(await anon.post(BULK, json=backlog(3)), status=201)

    again = {"survey_id": "53", "survey_type": "outbound", "phone_number": "+61410000099"}
    refused = await sdx.post("/api/interactions", data=again)

    assert refused.status == 409
    assert "pending interaction" in await refused.text()


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (backlog(2, survey_id=99), 404, "no survey 99"),
        (backlog(2, survey_type="web"), 400, "survey_type must be one of"),
        (backlog(0), 400, "count must be between"),
        (backlog(True), 400, "count must be an integer"),
        (backlog(2, survey_id="53"), 400, "survey_id must be an integer"),
        (backlog(2, first_number="0412345678"), 400, "E.164"),
        (backlog(2, first_number="+99999999"), 400, "outgrow"),
        (backlog(2, scheduled_at="next week"), 400, "scheduled_at must be"),
        (backlog(2, colour="red"), 400, "unknown fields: colour"),
        ([1, 2], 400, "JSON object"),
        # +61400000002 has a pending interaction in survey 53 (the seed's 1005).
        (backlog(5, first_number="+61400000000"), 409, "(1005)"),
    ],
)
async def test_a_bad_backlog_is_refused_and_creates_nothing(
    anon: Client, state: SandboxState, body: Any, status: int, says: str
) -> None:
    before = len(state.store.interactions)

    response = await anon.post(BULK, json=body)

    assert response.status == status
    assert says in await response.text()
    assert len(state.store.interactions) == before


async def test_a_large_backlog_takes_moments(anon: Client, state: SandboxState) -> None:
    # 1M takes about 4 s on the bench machine; 100k must not take 5.
    began = time.perf_counter()
    made = await body_of(await anon.post(BULK, json=backlog(100_000)), status=201)

    assert time.perf_counter() - began < 5.0
    assert made["last_id"] - made["first_id"] == 99_999
    assert state.store.interaction(made["last_id"]).phone_number == "+61410100097"


# --- PUT /_sandbox/latency ----------------------------------------------------


async def timed(client: Client, path: str, **params: str) -> tuple[float, int]:
    began = time.perf_counter()
    response = await client.get(path, params=params)
    await response.read()
    return time.perf_counter() - began, response.status


async def test_no_latency_by_default(sdx: Client, anon: Client) -> None:
    assert await body_of(await anon.get("/_sandbox/latency")) == {
        "per_request": 0.0,
        "per_row": 0.0,
    }
    took, _ = await timed(sdx, "/api/surveys/53")
    assert took < 0.1


async def test_latency_holds_answers_back_per_request_and_per_row(
    sdx: Client, anon: Client, state: SandboxState
) -> None:
    state.store.create_many(SMS_SURVEY, "sms", [f"+6144{n:07d}" for n in range(200)])
    setting = {"per_request": 0.05, "per_row": 0.001}
    assert await body_of(await anon.put("/_sandbox/latency", json=setting)) == setting

    one, one_status = await timed(sdx, "/api/surveys/53")
    page, page_status = await timed(
        sdx, "/api/interactions", survey_id="54", _limit="200", _order="ASC"
    )
    control, _ = await timed(anon, "/_sandbox/requests")

    assert (one_status, page_status) == (200, 200)
    assert 0.05 <= one < 0.2
    assert 0.05 + 0.2 <= page < 1.0  # 200 rows
    assert control < 0.05  # the control endpoints are never held back


@pytest.mark.parametrize(
    "body",
    [{"per_request": -1}, {"per_row": "0.1"}, {"per_request": True}, {"delay": 1}, [0.1], None],
)
async def test_a_bad_latency_is_refused(anon: Client, state: SandboxState, body: Any) -> None:
    response = await anon.put("/_sandbox/latency", json=body)

    assert response.status == 400
    assert state.latency == Latency()


async def test_latency_from_the_constructor(aiohttp_client: AiohttpClient) -> None:
    app = create_sdx_sandbox(latency=Latency(per_request=0.1))
    client = await aiohttp_client(app, headers={"Authorization": BASIC_HEADER})

    took, status = await timed(client, "/api/surveys")

    assert status == 200
    assert took >= 0.1
    assert await body_of(await client.get("/_sandbox/latency")) == {
        "per_request": 0.1,
        "per_row": 0.0,
    }


# --- GET /_sandbox/requests/counts ---------------------------------------------


async def test_requests_are_counted_by_endpoint(sdx: Client, anon: Client) -> None:
    for interaction_id in (1001, 1002):
        await sdx.get(f"/api/interactions/{interaction_id}")
    await sdx.get("/api/interactions", params={"survey_id": "53"})
    await sdx.post("/api/interactions/1002/start_survey")
    await sdx.get("/api/users/alex@example.com")
    await anon.get("/api/surveys")  # 401: counted all the same
    await sdx.get("/api/nowhere/7")
    await anon.get("/_sandbox/faults")  # control: not counted

    counts = await body_of(await anon.get("/_sandbox/requests/counts"))

    assert counts == {
        "total": 7,
        "by_endpoint": {
            "GET (no route)": 1,
            "GET /interactions": 1,
            "GET /interactions/{id}": 2,
            "GET /surveys": 1,
            "GET /users/{email}": 1,
            "POST /interactions/{id}/start_survey": 1,
        },
    }
    assert await body_of(await anon.delete("/_sandbox/requests")) == {"cleared": 7}
    assert await body_of(await anon.get("/_sandbox/requests/counts")) == {
        "total": 0,
        "by_endpoint": {},
    }


async def test_a_bounded_log_lists_the_latest_and_counts_them_all(
    aiohttp_client: AiohttpClient,
) -> None:
    app = create_sdx_sandbox(keep_requests=3)
    client = await aiohttp_client(app, headers={"Authorization": BASIC_HEADER})

    for survey_id in range(1, 21):
        await client.get(f"/api/surveys/{survey_id}")

    listed = await body_of(await client.get("/_sandbox/requests"))
    assert 3 <= len(listed) <= 6
    assert listed[-1]["path"] == "/surveys/20"
    assert [int(r["path"].rsplit("/", 1)[1]) for r in listed] == list(range(21 - len(listed), 21))
    counts = await body_of(await client.get("/_sandbox/requests/counts"))
    assert counts == {"total": 20, "by_endpoint": {"GET /surveys/{id}": 20}}
