"""Shared fixtures: a real redis-server, the SDX sandbox over HTTP, settings."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from redis import Redis as SyncRedis
from redis.asyncio.connection import AbstractConnection

from gateway.config import Settings
from gateway.run import create_app
from gateway.sandbox.credentials import (
    DEMO_AUTH_TOKEN,
    DEMO_CUSTOMER_UUID,
    DEMO_TWILIO_ACCOUNT_SID,
    DEMO_TWILIO_AUTH_TOKEN,
)
from gateway.sandbox.sdx import SANDBOX_STATE, SandboxState, create_sdx_sandbox
from gateway.sdx import SdxClient
from gateway.sdx.transport import RetryPolicy, SdxTransport


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """A private redis-server for the test session (never the machine's own)."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed (apt-get install redis-server)")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = SyncRedis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def flush(self) -> None:
        client = SyncRedis(port=self.port)
        client.flushall()
        client.close()


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
def sandbox_app() -> Any:
    return create_sdx_sandbox()


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
    async with aiohttp.ClientSession() as session:
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


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "sdx_api_url": "http://127.0.0.1:9/api",
        "sdx_customer_uuid": DEMO_CUSTOMER_UUID,
        "sdx_auth_token": DEMO_AUTH_TOKEN,
        "twilio_account_sid": DEMO_TWILIO_ACCOUNT_SID,
        "twilio_auth_token": DEMO_TWILIO_AUTH_TOKEN,
        "gateway_public_url": "https://gw.example.com",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


GatewayFactory = Callable[..., Awaitable[tuple[TestClient[Any, Any], Settings]]]


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


class RoundTrips:
    """Counts what the redis client writes to its sockets: one write per round trip
    (a pipeline sends all its commands in one write)."""

    def __init__(self) -> None:
        self.count = 0


@pytest.fixture
def redis_round_trips(monkeypatch: pytest.MonkeyPatch) -> RoundTrips:
    counter = RoundTrips()
    original = AbstractConnection.send_packed_command

    async def counting(
        self: AbstractConnection, command: object, check_health: bool = True
    ) -> None:
        counter.count += 1
        await original(self, command, check_health)  # type: ignore[arg-type]

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counting)
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
