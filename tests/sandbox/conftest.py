"""Fixtures for the SDX sandbox tests: a fresh sandbox per test, over real HTTP."""

from __future__ import annotations

import base64
import inspect
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


# --- The Twilio emulator (tests/sandbox/test_twilio_*.py) --------------------

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping  # noqa: E402
from dataclasses import dataclass  # noqa: E402

from twilio.http.async_http_client import AsyncTwilioHttpClient  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402
from twilio.rest import Client as TwilioClient  # noqa: E402

from gateway.sandbox.credentials import (  # noqa: E402
    DEMO_TWILIO_ACCOUNT_SID,
    DEMO_TWILIO_AUTH_TOKEN,
)
from gateway.sandbox.twilio import (  # noqa: E402
    TWILIO_STATE,
    TwilioState,
    create_twilio_emulator,
)

OUR_NUMBER, SECOND_NUMBER = "+61200000000", "+61200000001"
RESPONDENT = "+61400000001"


@dataclass
class Hit:
    """One webhook the fake gateway received."""

    method: str
    path: str  # path + query
    params: dict[str, str]
    signed: bool


# What a fake gateway route answers: TwiML text, or a function of the params
# giving TwiML or (status, body, content type).
# A TwiML answer, a (status, body, content type) answer, or a coroutine giving
# one (an answer that first calls the REST API, as a gateway would).
Answer = str | Callable[[Mapping[str, str]], "str | tuple[int, str, str] | Awaitable[str]"]


class FakeGateway:
    """Stands in for the gateway: checks X-Twilio-Signature, answers TwiML by path, records.

    Paths without an answer get an empty ``<Response/>`` (fine for status callbacks).
    """

    def __init__(self, auth_token: str = DEMO_TWILIO_AUTH_TOKEN) -> None:
        self.validator = RequestValidator(auth_token)
        self.answers: dict[str, Answer] = {}
        self.hits: list[Hit] = []
        self.base = ""
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self._handle)

    def url(self, path: str) -> str:
        return self.base + path

    async def _handle(self, request: web.Request) -> web.Response:
        posted = await request.post()
        params = {k: v for k, v in posted.items() if isinstance(v, str)}
        signature = request.headers.get("X-Twilio-Signature", "")
        signed = self.validator.validate(str(request.url), params, signature)
        if request.method == "GET":
            params = dict(request.query)
        self.hits.append(Hit(request.method, request.path_qs, params, signed))
        if not signed:
            return web.Response(status=403, text="bad signature")
        answer = self.answers.get(request.path, "<Response/>")
        result = answer(params) if callable(answer) else answer
        if inspect.isawaitable(result):  # an answer that acts first (a REST call)
            result = await result
        status, body, content_type = (
            (200, result, "text/xml") if isinstance(result, str) else result
        )
        return web.Response(status=status, text=body, content_type=content_type)

    def at(self, path: str) -> list[Hit]:
        """The hits on ``path`` (query ignored), in order."""
        return [hit for hit in self.hits if hit.path.split("?")[0] == path]

    def statuses(self, path: str = "/status") -> list[str]:
        return [hit.params["CallStatus"] for hit in self.at(path)]


@pytest.fixture
def twilio_app() -> web.Application:
    return create_twilio_emulator()


@pytest.fixture
async def twilio_server(twilio_app: web.Application, aiohttp_server: AiohttpServer) -> TestServer:
    return await aiohttp_server(twilio_app)


@pytest.fixture
def twilio_state(twilio_server: TestServer) -> TwilioState:
    return twilio_server.app[TWILIO_STATE]


@pytest.fixture
async def gateway(aiohttp_server: AiohttpServer) -> FakeGateway:
    fake = FakeGateway()
    server = await aiohttp_server(fake.app)
    fake.base = str(server.make_url("")).rstrip("/")
    return fake


def twilio_client(
    base_url: str,
    token: str = DEMO_TWILIO_AUTH_TOKEN,
    account_sid: str = DEMO_TWILIO_ACCOUNT_SID,
) -> TwilioClient:
    """The real twilio library, pointed at ``base_url``; close ``client.http_client``."""
    client = TwilioClient(account_sid, token, http_client=AsyncTwilioHttpClient(), environment={})
    client.api.base_url = base_url
    return client


@pytest.fixture
async def twilio(twilio_server: TestServer) -> AsyncIterator[TwilioClient]:
    client = twilio_client(str(twilio_server.make_url("")).rstrip("/"))
    yield client
    await client.http_client.close()  # it owns an aiohttp session


# twilio's AsyncTwilioHttpClient sends Basic auth the way aiohttp 3.14
# deprecates (BasicAuth, auth=...): not ours to fix, so not an error here.
TWILIO_LIBRARY_WARNINGS = [
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning"),
]
