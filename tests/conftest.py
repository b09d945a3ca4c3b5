"""Shared fixtures: a real redis-server, the SDX sandbox over HTTP, a gateway.

Helpers that are not fixtures live in ``tests.helpers``.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from gateway.config import Settings
from gateway.run import connections, create_app
from gateway.run.components import Components, build_components
from gateway.run.connections import sdx_client
from gateway.sandbox.credentials import (
    DEMO_AUTH_TOKEN,
    DEMO_CUSTOMER_UUID,
)
from gateway.sandbox.sdx import SANDBOX_STATE, Flavour, SandboxState, create_sdx_sandbox
from gateway.sdx import SdxClient
from gateway.sdx.transport import RetryPolicy, SdxTransport
from tests.helpers.servers import RedisServer, RoundTrips
from tests.helpers.settings import GatewayFactory, make_settings


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> Iterator[str]:
    redis_server.flush()
    yield redis_server.url
    redis_server.flush()


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's environment or .env file."""
    for name in [*list(Settings.model_fields), "sdx_bearer_token"]:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def sdx_flavour() -> Flavour:
    """The SDX sandbox's flavour; the end-to-end packages parametrise it over both."""
    return "plain"


@pytest.fixture
def sandbox_app(sdx_flavour: Flavour) -> Any:
    return create_sdx_sandbox(flavour=sdx_flavour)


@pytest.fixture
async def sandbox_server(sandbox_app: Any, aiohttp_server: Any) -> TestServer:
    server: TestServer = await aiohttp_server(sandbox_app)
    return server


@pytest.fixture
def sandbox(sandbox_server: TestServer) -> SandboxState:
    state: SandboxState = sandbox_server.app[SANDBOX_STATE]
    return state


@pytest.fixture
def sdx_url(sandbox_server: TestServer) -> str:
    return str(sandbox_server.make_url("/api"))


@pytest.fixture
async def http_session() -> AsyncIterator[aiohttp.ClientSession]:
    async with connections.http_session() as session:  # as the gateway makes it
        yield session


@pytest.fixture
def make_client(http_session: aiohttp.ClientSession, sdx_url: str) -> Callable[..., SdxClient]:
    def make(timeout: float = 2.0, retries: int = 2, **auth: Any) -> SdxClient:
        credentials = auth or {"customer_uuid": DEMO_CUSTOMER_UUID, "auth_token": DEMO_AUTH_TOKEN}
        policy = RetryPolicy(retries=retries, backoff=0.01)
        transport = SdxTransport(
            http_session, sdx_url, timeout=timeout, policy=policy, **credentials
        )
        return SdxClient(transport)

    return make


@pytest.fixture
def sdx(make_client: Callable[..., SdxClient]) -> SdxClient:
    return make_client()


@pytest.fixture
def start_gateway(aiohttp_client: Any, sdx_url: str, redis_url: str) -> GatewayFactory:
    async def start(
        memory: bool = False, **overrides: Any
    ) -> tuple[TestClient[Any, Any], Settings]:
        values: dict[str, Any] = {
            "sdx_api_url": sdx_url,
            "redis_url": None if memory else redis_url,
        }
        values.update(overrides)
        settings = make_settings(**values)
        client: TestClient[Any, Any] = await aiohttp_client(create_app(settings))
        return client, settings

    return start


@pytest.fixture(params=["redis", "memory"])
def store_kind(request: pytest.FixtureRequest) -> str:
    """Run a test with Redis state and with the in-memory stores."""
    return str(request.param)


_SCRIPT_LOAD = b"*3\r\n$6\r\nSCRIPT\r\n$4\r\nLOAD\r\n"


@pytest.fixture
def redis_round_trips(monkeypatch: pytest.MonkeyPatch) -> RoundTrips:
    # Counted where every redis-py write ends, whichever way it got there
    # (the gateway's client writes a single command without send_command):
    # only the Redis clients write through asyncio streams in these tests.
    # A script's first use on a Redis that has not seen it (NOSCRIPT, then
    # SCRIPT LOAD and the EVALSHA again) happens once per Redis, whichever
    # test runs first: it is not counted.
    counter = RoundTrips()
    original = asyncio.StreamWriter.writelines

    def counting(self: asyncio.StreamWriter, data: Iterable[bytes]) -> None:
        chunks = list(data)
        if chunks and chunks[0].startswith(_SCRIPT_LOAD):
            counter.count -= 1  # the EVALSHA refused, sent again after this
        else:
            counter.count += 1
        original(self, chunks)

    monkeypatch.setattr(asyncio.StreamWriter, "writelines", counting)
    return counter


def _await_chain(task: asyncio.Task[Any]) -> str:
    """Where a task is suspended: each coroutine of its await chain, outermost first."""
    lines = [repr(task)]
    awaited: object = task.get_coro()
    while awaited is not None:
        frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "ag_frame", None)
        if frame is None:
            lines.append(f"    awaiting {awaited!r}")
            break
        code = frame.f_code
        lines.append(f"    {code.co_filename}:{frame.f_lineno} in {code.co_name}")
        awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "ag_await", None)
    return "\n".join(lines)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    """On a pytest-timeout, show where every asyncio task waits.

    The timeout interrupts the event loop in its poll, so the traceback alone
    says only "the loop was idle"; the tasks' await chains say on what.
    """
    outcome = yield
    report = outcome.get_result()
    if not (report.failed and "from pytest-timeout" in str(report.longrepr)):
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # get_event_loop's deprecation, here only
        try:
            loop = asyncio.get_event_loop_policy().get_event_loop()
        except RuntimeError:
            return
    tasks = "\n".join(_await_chain(task) for task in asyncio.all_tasks(loop))
    report.sections.append(("asyncio tasks at the timeout", tasks or "(none)"))


@pytest.fixture
async def parts(
    sdx_url: str, http_session: aiohttp.ClientSession
) -> AsyncIterator[tuple[Settings, Components]]:
    """The gateway's parts without its web server: in-memory stores, the SDX sandbox."""
    settings = make_settings(sdx_api_url=sdx_url, redis_url=None)
    components = build_components(settings, sdx_client(settings, http_session), None)
    yield settings, components
    await components.feed.close()
