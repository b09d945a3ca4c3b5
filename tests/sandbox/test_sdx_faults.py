"""Fault injection (status, delay, after, times, headers, drop) and request recording."""

from __future__ import annotations

import asyncio
import re
import time

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.sandbox.sdx import Fault, RecordedRequest, SandboxState
from tests.sandbox.conftest import BASIC_HEADER, DEMO_INBOUND, DEMO_OUTBOUND, Client, body_of

SUBMIT = r"/interactions/\d+/submit_response"


async def submit(sdx: Client, answer: str, interaction_id: int = DEMO_INBOUND) -> int:
    response = await sdx.post(
        f"/api/interactions/{interaction_id}/submit_response", data={"response": answer}
    )
    await response.read()
    return response.status


async def started(sdx: Client, interaction_id: int = DEMO_INBOUND) -> None:
    await body_of(await sdx.post(f"/api/interactions/{interaction_id}/start_survey"))


async def test_status_fault_replaces_the_answer(sdx: Client, state: SandboxState) -> None:
    state.faults.add(Fault(path="/surveys", status=503))

    response = await sdx.get("/api/surveys")

    assert response.status == 503
    assert response.content_type == "text/html"
    assert "503 Service Unavailable" in await response.text()
    # Other paths are untouched, and clearing the fault heals this one.
    assert (await sdx.get("/api/surveys/52")).status == 200
    state.faults.clear()
    assert (await sdx.get("/api/surveys")).status == 200


async def test_status_fault_before_handling_changes_nothing(
    sdx: Client, state: SandboxState
) -> None:
    await started(sdx)
    state.faults.add(Fault(method="POST", path=SUBMIT, status=500))

    assert await submit(sdx, "9") == 500
    assert state.store.responses_for(DEMO_INBOUND) == []


async def test_after_fault_applies_the_change_then_fails(sdx: Client, state: SandboxState) -> None:
    await started(sdx)
    state.faults.add(Fault(method="POST", path=SUBMIT, status=502, after=True, times=1))

    assert await submit(sdx, "9") == 502

    assert [r.response for r in state.store.responses_for(DEMO_INBOUND)] == ["9"]
    # The next answer goes to the next question.
    assert await submit(sdx, "4") == 200
    assert [r.question_id for r in state.store.responses_for(DEMO_INBOUND)] == [501, 502]


async def test_times_limits_a_fault(sdx: Client, state: SandboxState) -> None:
    state.faults.add(Fault(path="/surveys", status=500, times=2))

    statuses = [(await sdx.get("/api/surveys")).status for _ in range(3)]

    assert statuses == [500, 500, 200]
    assert len(state.faults) == 0


async def test_method_and_full_path_must_match(sdx: Client, state: SandboxState) -> None:
    state.faults.add(Fault(method="post", path="/interactions", status=500))

    # Another method, and a path the regex only partly matches, are not faulted.
    assert (await sdx.get("/api/interactions", params={"survey_id": "52"})).status == 200
    assert (await sdx.get("/api/interactions/1001")).status == 200
    assert (await sdx.post("/api/interactions", data={"survey_id": "52"})).status == 500


async def test_first_matching_fault_wins(sdx: Client, state: SandboxState) -> None:
    state.faults.add(Fault(path="/surveys", status=429, times=1))
    state.faults.add(Fault(status=503))  # every path

    assert (await sdx.get("/api/surveys")).status == 429
    assert (await sdx.get("/api/surveys")).status == 503


async def test_headers_come_with_a_fault_status(sdx: Client, state: SandboxState) -> None:
    state.faults.add(Fault(path="/surveys", status=429, headers={"Retry-After": "1"}))

    response = await sdx.get("/api/surveys")

    assert response.status == 429
    assert response.headers["Retry-After"] == "1"
    assert await response.text() == "429 Too Many Requests"


async def test_headers_alone_are_added_to_the_real_answer(sdx: Client, state: SandboxState) -> None:
    state.faults.add(Fault(path="/surveys/52", headers={"X-Sdx-Sandbox": "yes"}))

    response = await sdx.get("/api/surveys/52")

    assert (await body_of(response))["id"] == 52
    assert response.headers["X-Sdx-Sandbox"] == "yes"


async def test_fault_body_and_no_content(sdx: Client, state: SandboxState) -> None:
    state.faults.add(Fault(path="/surveys", status=500, body='{"error": "oops"}', times=1))
    state.faults.add(Fault(path="/surveys", status=204, times=1))

    failed = await sdx.get("/api/surveys")
    assert (failed.status, await failed.text()) == (500, '{"error": "oops"}')
    empty = await sdx.get("/api/surveys")
    assert (empty.status, await empty.read()) == (204, b"")


async def test_delay_slows_the_answer(sdx: Client, state: SandboxState) -> None:
    state.faults.add(Fault(path="/surveys", delay=0.2))

    began = time.monotonic()
    response = await sdx.get("/api/surveys")

    assert time.monotonic() - began >= 0.2
    assert response.status == 200


async def test_delay_before_handling_still_applies_the_change(
    sdx: Client, state: SandboxState
) -> None:
    """The request reached SDX: it is handled even though its client gave up."""
    await started(sdx)
    state.faults.add(Fault(path=SUBMIT, delay=0.2))

    with pytest.raises(asyncio.TimeoutError):
        await sdx.post(
            f"/api/interactions/{DEMO_INBOUND}/submit_response",
            data={"response": "9"},
            timeout=aiohttp.ClientTimeout(total=0.05),
        )
    assert state.store.responses_for(DEMO_INBOUND) == []
    await asyncio.gather(*state.in_flight)

    assert [r.response for r in state.store.responses_for(DEMO_INBOUND)] == ["9"]


async def test_shutdown_cancels_delayed_requests(
    app: web.Application, sdx: Client, state: SandboxState
) -> None:
    await started(sdx)
    state.faults.add(Fault(path=SUBMIT, delay=30))
    with pytest.raises(asyncio.TimeoutError):
        await sdx.post(
            f"/api/interactions/{DEMO_INBOUND}/submit_response",
            data={"response": "9"},
            timeout=aiohttp.ClientTimeout(total=0.05),
        )
    assert len(state.in_flight) == 1

    await app.shutdown()

    assert not state.in_flight
    assert state.store.responses_for(DEMO_INBOUND) == []


async def test_delay_after_handling_is_a_late_reply(sdx: Client, state: SandboxState) -> None:
    await started(sdx)
    state.faults.add(Fault(path=SUBMIT, delay=0.3, after=True))

    with pytest.raises(asyncio.TimeoutError):
        await sdx.post(
            f"/api/interactions/{DEMO_INBOUND}/submit_response",
            data={"response": "9"},
            timeout=aiohttp.ClientTimeout(total=0.1),
        )

    # The change was made before the client gave up.
    assert [r.response for r in state.store.responses_for(DEMO_INBOUND)] == ["9"]


async def test_drop_closes_the_connection_without_an_answer(
    sdx: Client, state: SandboxState
) -> None:
    await started(sdx)
    state.faults.add(Fault(path=SUBMIT, drop=True, times=1))

    with pytest.raises(aiohttp.ServerDisconnectedError):
        await sdx.post(f"/api/interactions/{DEMO_INBOUND}/submit_response", data={"response": "9"})

    assert state.store.responses_for(DEMO_INBOUND) == []
    assert await submit(sdx, "9") == 200  # the next request is answered


async def test_drop_after_handling_loses_only_the_reply(sdx: Client, state: SandboxState) -> None:
    await started(sdx, DEMO_OUTBOUND)
    state.faults.add(Fault(method="POST", path=SUBMIT, drop=True, after=True, times=1))

    with pytest.raises(aiohttp.ServerDisconnectedError):
        await sdx.post(f"/api/interactions/{DEMO_OUTBOUND}/submit_response", data={"response": "6"})

    assert [r.response for r in state.store.responses_for(DEMO_OUTBOUND)] == ["6"]
    assert state.requests[-1].status is None  # no answer was sent


async def test_aiohttp_resends_a_dropped_get_once(server: TestServer, state: SandboxState) -> None:
    """Worth knowing: a plain aiohttp ClientSession silently resends an
    idempotent request once when the connection closes without an answer
    (aiohttp's TestClient turns that off), so a one-off drop of a GET is
    invisible to it: drop at least twice to make such a client see it."""
    state.faults.add(Fault(method="GET", path="/surveys", drop=True, times=1))
    async with aiohttp.ClientSession(headers={"Authorization": BASIC_HEADER}) as session:
        async with session.get(server.make_url("/api/surveys")) as response:
            assert response.status == 200
        assert [r.status for r in state.requests] == [None, 200]

        state.faults.add(Fault(method="GET", path="/surveys", drop=True, times=2))
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await session.get(server.make_url("/api/surveys"))


def test_bad_faults_are_refused_when_made() -> None:
    with pytest.raises(re.error):
        Fault(path="/interactions/(")
    with pytest.raises(ValueError, match="status"):
        Fault(status=999)
    with pytest.raises(ValueError, match="times"):
        Fault(times=0)
    with pytest.raises(ValueError, match="delay"):
        Fault(delay=-1)


def test_fault_positional_method_and_path() -> None:
    fault = Fault("get", "/surveys")
    assert fault.matches("GET", "/surveys")
    assert not fault.matches("POST", "/surveys")
    assert not fault.matches("GET", "/surveys/52")


# -- recording -----------------------------------------------------------------


async def test_every_api_request_is_recorded(
    sdx: Client, anon: Client, state: SandboxState
) -> None:
    before = time.monotonic()
    await sdx.get("/api/interactions", params={"survey_id": "52", "_order": "ASC"})
    await sdx.post(f"/api/interactions/{DEMO_INBOUND}/submit_response", data={"response": "9"})
    await anon.get("/api/surveys")
    await sdx.get("/api/nowhere")
    await sdx.get("/_sandbox/requests")  # control requests are not recorded

    recorded = state.requests

    assert [(r.method, r.path, r.query, r.form, r.status) for r in recorded] == [
        ("GET", "/interactions", {"survey_id": "52", "_order": "ASC"}, {}, 200),
        ("POST", f"/interactions/{DEMO_INBOUND}/submit_response", {}, {"response": "9"}, 200),
        ("GET", "/surveys", {}, {}, 401),
        ("GET", "/nowhere", {}, {}, 404),
    ]
    times = [r.time for r in recorded]
    assert before <= times[0] <= times[1] <= times[2] <= times[3] <= time.monotonic()
    assert all(isinstance(r, RecordedRequest) and not r.faulted for r in recorded)


async def test_faulted_requests_are_marked(sdx: Client, state: SandboxState) -> None:
    state.faults.add(Fault(path="/surveys", status=503, times=1))

    await sdx.get("/api/surveys")
    await sdx.get("/api/surveys")

    assert [(r.status, r.faulted) for r in state.requests] == [(503, True), (200, False)]
