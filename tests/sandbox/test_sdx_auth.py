"""Who the sandbox lets in: Basic customer_uuid:auth_token, or the bearer token."""

from __future__ import annotations

import base64

import pytest
from pytest_aiohttp import AiohttpClient

from gateway.sandbox.credentials import DEMO_AUTH_TOKEN, DEMO_BEARER_TOKEN, DEMO_CUSTOMER_UUID
from gateway.sandbox.sdx import create_sdx_sandbox
from tests.sandbox.conftest import BASIC_HEADER, Client, body_of


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def assert_refused(anon: Client, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await anon.get("/api/surveys", headers=headers)
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="sdx"'
    assert "Unauthorized" in await response.text()


async def test_no_credentials_is_401(anon: Client) -> None:
    await assert_refused(anon, None)


@pytest.mark.parametrize(
    "authorization",
    [
        basic(DEMO_CUSTOMER_UUID, "wrong-token"),
        basic("wrong-uuid", DEMO_AUTH_TOKEN),
        basic(DEMO_CUSTOMER_UUID, ""),
        "Basic " + base64.b64encode(DEMO_CUSTOMER_UUID.encode()).decode(),  # no colon
        "Basic not-base64!",
        "Bearer wrong-token",
        f"Token {DEMO_BEARER_TOKEN}",
        DEMO_AUTH_TOKEN,
    ],
    ids=[
        "wrong-token",
        "wrong-uuid",
        "empty-token",
        "no-colon",
        "bad-base64",
        "wrong-bearer",
        "unknown-scheme",
        "bare-token",
    ],
)
async def test_wrong_credentials_are_401(anon: Client, authorization: str) -> None:
    await assert_refused(anon, authorization)


async def test_basic_credentials_are_accepted(anon: Client) -> None:
    surveys = await body_of(await anon.get("/api/surveys", headers={"Authorization": BASIC_HEADER}))
    assert [s["id"] for s in surveys] == [52, 53, 54]


async def test_bearer_token_is_accepted(anon: Client) -> None:
    headers = {"Authorization": f"Bearer {DEMO_BEARER_TOKEN}"}
    surveys = await body_of(await anon.get("/api/surveys", headers=headers))
    assert [s["id"] for s in surveys] == [52, 53, 54]


async def test_auth_comes_before_routing(anon: Client, sdx: Client) -> None:
    # An unknown path tells a stranger nothing: 401, and 404 only once signed in.
    assert (await anon.get("/api/no-such-thing")).status == 401
    assert (await sdx.get("/api/no-such-thing")).status == 404


async def test_control_endpoints_need_no_credentials(anon: Client) -> None:
    await anon.get("/api/surveys")

    recorded = await body_of(await anon.get("/_sandbox/requests"))

    assert [(r["path"], r["status"]) for r in recorded] == [("/surveys", 401)]


async def test_custom_credentials(aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(
        create_sdx_sandbox(customer_uuid="tenant-1", auth_token="s3cret", bearer_token=None)
    )

    assert (await client.get("/api/surveys", headers={"Authorization": BASIC_HEADER})).status == 401
    ok = await client.get("/api/surveys", headers={"Authorization": basic("tenant-1", "s3cret")})
    assert ok.status == 200
    # With no bearer token configured, no bearer token is accepted.
    for token in (DEMO_BEARER_TOKEN, "None", ""):
        refused = await client.get("/api/surveys", headers={"Authorization": f"Bearer {token}"})
        assert refused.status == 401
