"""Fixtures for the SDX sandbox tests: a fresh sandbox per test, over real HTTP."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pytest_aiohttp import AiohttpClient, AiohttpServer

from gateway.sandbox.credentials import DEMO_AUTH_TOKEN, DEMO_CUSTOMER_UUID
from gateway.sandbox.sdx import SANDBOX_STATE, SandboxState, create_sdx_sandbox

# What curl -u Customer_UUID:Auth_Token sends.
BASIC_HEADER = (
    "Basic " + base64.b64encode(f"{DEMO_CUSTOMER_UUID}:{DEMO_AUTH_TOKEN}".encode()).decode()
)
FORM = "application/x-www-form-urlencoded"

# The seed (demo.json), as the tests rely on it.
INBOUND_SURVEY, OUTBOUND_SURVEY, SMS_SURVEY = 52, 53, 54
DEMO_INBOUND, DEMO_OUTBOUND, DEMO_SMS = 1001, 1002, 1003
COMPLETED, WITH_DATA, ABANDONED = 1004, 1005, 1006

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)

# Any: clients of a TestServer and of an app differ only in what they were given.
Client = TestClient[web.Request, Any]


@pytest.fixture
def app() -> web.Application:
    return create_sdx_sandbox()


@pytest.fixture
def state(app: web.Application) -> SandboxState:
    return app[SANDBOX_STATE]


@pytest.fixture
def frozen_clock(state: SandboxState) -> datetime:
    """Stop the sandbox's clock at NOW, so timestamps can be compared exactly."""
    state.store.clock = lambda: NOW
    return NOW


@pytest.fixture
async def server(app: web.Application, aiohttp_server: AiohttpServer) -> TestServer:
    return await aiohttp_server(app)


@pytest.fixture
async def sdx(server: TestServer, aiohttp_client: AiohttpClient) -> Client:
    """A client sending the demo credentials (HTTP Basic) with every request."""
    return await aiohttp_client(server, headers={"Authorization": BASIC_HEADER})


@pytest.fixture
async def anon(server: TestServer, aiohttp_client: AiohttpClient) -> Client:
    """A client to the same sandbox that sends no credentials."""
    return await aiohttp_client(server)


async def body_of(response: aiohttp.ClientResponse, status: int = 200) -> Any:
    """The JSON body, after checking the status (showing the body if it differs)."""
    text = await response.text()
    assert response.status == status, text
    return await response.json()


async def empty_list(response: aiohttp.ClientResponse) -> None:
    """SDX's empty list: 204 and no body at all."""
    assert response.status == 204, await response.text()
    assert await response.read() == b""
