"""/readyz is no amplifier: however many GETs come, at most one SDX request per 5 s.

The readiness check lists SDX surveys with ``_limit=1``; the sandbox records
every request it gets, so its log counts the checks.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient

from gateway.sandbox.sdx import Fault, SandboxState
from tests.helpers.settings import GatewayFactory

BURST = 200
# The operator contract's "at most once per 5 s".
WINDOW = 5.0


def readiness_checks(sandbox: SandboxState) -> int:
    return sum(
        1
        for r in sandbox.requests
        if r.method == "GET" and r.path == "/surveys" and r.query.get("_limit") == "1"
    )


async def burst(client: TestClient[Any, Any]) -> list[tuple[int, Any]]:
    async def one() -> tuple[int, Any]:
        response = await client.get("/readyz")
        return response.status, await response.json()

    return await asyncio.gather(*(one() for _ in range(BURST)))


async def test_concurrent_gets_share_one_check_in_flight(
    start_gateway: GatewayFactory, sandbox: SandboxState
) -> None:
    # SDX answers slowly, so the whole burst arrives while the check runs.
    sandbox.faults.add(Fault(method="GET", path="/surveys", delay=0.5))
    client, _ = await start_gateway()
    answers = await burst(client)
    assert readiness_checks(sandbox) == 1
    ready = {"status": "ready", "checks": {"redis": "ok", "sdx": "ok"}}
    assert answers == [(200, ready)] * BURST


async def test_at_most_one_check_per_window(
    start_gateway: GatewayFactory, sandbox: SandboxState
) -> None:
    client, _ = await start_gateway()
    await burst(client)
    await burst(client)  # within the window: the kept outcome
    assert readiness_checks(sandbox) == 1
    await asyncio.sleep(WINDOW + 0.1)
    await burst(client)
    assert readiness_checks(sandbox) == 2


async def test_a_failing_check_is_kept_too(
    start_gateway: GatewayFactory, sandbox: SandboxState
) -> None:
    # An outage is when a flood would hurt most (SDX already struggling).
    sandbox.faults.add(Fault(method="GET", path="/surveys", status=429))
    client, _ = await start_gateway(gateway_sdx_retries=0)
    answers = await burst(client)
    assert readiness_checks(sandbox) == 1
    assert {status for status, _ in answers} == {503}
    assert answers[0][1]["checks"]["sdx"].startswith("sdx: ")
