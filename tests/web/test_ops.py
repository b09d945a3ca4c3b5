"""create_app, its shared resources, /healthz and /readyz — real Redis, sandbox SDX."""

from __future__ import annotations

import os
import re
from typing import Any

from aiohttp.test_utils import TestClient

from gateway.run import create_app
from gateway.sandbox.sdx import Fault, SandboxState
from gateway.web import middleware
from gateway.web.keys import HTTP_SESSION, REDIS
from tests.helpers.servers import free_port
from tests.helpers.settings import make_settings


async def start(aiohttp_client: Any, **overrides: Any) -> TestClient[Any, Any]:
    client: TestClient[Any, Any] = await aiohttp_client(create_app(make_settings(**overrides)))
    return client


async def test_healthz_needs_nothing(aiohttp_client: Any) -> None:
    client = await start(aiohttp_client)  # SDX points at a closed port
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}


async def test_ready_with_redis_and_sdx(aiohttp_client: Any, redis_url: str, sdx_url: str) -> None:
    client = await start(aiohttp_client, redis_url=redis_url, sdx_api_url=sdx_url)
    response = await client.get("/readyz")
    assert response.status == 200
    assert await response.json() == {"status": "ready", "checks": {"redis": "ok", "sdx": "ok"}}


async def test_ready_in_memory_mode(aiohttp_client: Any, sdx_url: str) -> None:
    client = await start(aiohttp_client, sdx_api_url=sdx_url)
    body = await (await client.get("/readyz")).json()
    assert body["checks"] == {"redis": "in-memory", "sdx": "ok"}


async def test_not_ready_when_redis_is_down(aiohttp_client: Any, sdx_url: str) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    client = await start(aiohttp_client, redis_url=dead, sdx_api_url=sdx_url)
    response = await client.get("/readyz")
    assert response.status == 503
    body = await response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["redis"].startswith("redis: ")
    assert body["checks"]["sdx"] == "ok"


async def test_not_ready_when_sdx_rejects_credentials(
    aiohttp_client: Any, redis_url: str, sdx_url: str
) -> None:
    client = await start(
        aiohttp_client, redis_url=redis_url, sdx_api_url=sdx_url, sdx_auth_token="wrong"
    )
    response = await client.get("/readyz")
    assert response.status == 503
    body = await response.json()
    assert body["checks"]["redis"] == "ok"
    assert "401" in body["checks"]["sdx"]
    assert "SDX_AUTH_TOKEN" in body["checks"]["sdx"]


async def test_not_ready_when_sdx_is_down(
    aiohttp_client: Any, redis_url: str, sdx_url: str, sandbox: SandboxState
) -> None:
    sandbox.faults.add(Fault(method=None, path=".*", status=503))
    client = await start(aiohttp_client, redis_url=redis_url, sdx_api_url=sdx_url)
    response = await client.get("/readyz")
    assert response.status == 503
    assert (await response.json())["checks"]["sdx"] == "sdx: SdxUnavailable 503"


async def test_not_ready_when_sdx_is_unreachable(aiohttp_client: Any) -> None:
    client = await start(
        aiohttp_client, sdx_api_url=f"http://127.0.0.1:{free_port()}/api", gateway_sdx_retries=0
    )
    response = await client.get("/readyz")
    assert response.status == 503
    assert (await response.json())["checks"]["sdx"] == "sdx: SdxConnectionError"


async def test_resources_are_shared_and_closed(aiohttp_client: Any, redis_url: str) -> None:
    client = await start(aiohttp_client, redis_url=redis_url)
    app = client.server.app
    session = app[HTTP_SESSION]
    redis = app[REDIS]
    assert redis is not None
    assert await redis.ping()
    assert not session.closed
    await client.close()
    assert session.closed


async def test_request_id_is_echoed_or_made(aiohttp_client: Any) -> None:
    client = await start(aiohttp_client)
    given = await client.get("/healthz", headers={"X-Request-Id": "abc-123"})
    assert given.headers["X-Request-Id"] == "abc-123"
    hostile = await client.get("/healthz", headers={"X-Request-Id": "<script> alert(1)" * 8})
    assert len(hostile.headers["X-Request-Id"]) == 32  # replaced by a fresh id
    made = {(await client.get("/healthz")).headers["X-Request-Id"] for _ in range(5)}
    made.add(hostile.headers["X-Request-Id"])
    assert len(made) == 6  # each request its own
    assert all(re.fullmatch("[0-9a-f]{32}", made_id) for made_id in made)


def test_a_forked_process_makes_other_request_ids() -> None:
    """Ids are this process's prefix and a counter: a fork must not repeat the parent's."""
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe
        os.write(write, middleware._prefix.encode())
        os._exit(0)
    os.waitpid(child, 0)
    assert os.read(read, 64).decode() != middleware._prefix
    os.close(read)
    os.close(write)
