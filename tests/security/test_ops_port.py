"""GATEWAY_OPS_PORT: /readyz and /metrics on an internal port, off the public one."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from gateway.config import ConfigError, load_settings
from gateway.sandbox.credentials import (
    DEMO_AUTH_TOKEN,
    DEMO_CUSTOMER_UUID,
    DEMO_TWILIO_ACCOUNT_SID,
    DEMO_TWILIO_AUTH_TOKEN,
)
from tests.helpers.servers import free_port
from tests.helpers.settings import GatewayFactory


async def test_ops_port_serves_readyz_and_metrics_and_the_public_port_does_not(
    start_gateway: GatewayFactory, http_session: aiohttp.ClientSession
) -> None:
    ops_port = free_port()
    client, _ = await start_gateway(gateway_ops_port=ops_port)
    for path in ("/readyz", "/metrics"):
        assert (await client.get(path)).status == 404
    assert (await client.get("/healthz")).status == 200

    ops = f"http://127.0.0.1:{ops_port}"
    async with http_session.get(f"{ops}/readyz") as ready:
        assert ready.status == 200
        assert await ready.json() == {"status": "ready", "checks": {"redis": "ok", "sdx": "ok"}}
    async with http_session.get(f"{ops}/metrics") as scraped:
        assert scraped.status == 200
        names = {family.name for family in text_string_to_metric_families(await scraped.text())}
        assert "gateway_webhooks" in names
    async with http_session.get(f"{ops}/healthz") as health:
        assert health.status == 200
    # Not a second webhook server: nothing else is served there.
    async with http_session.post(f"{ops}/twilio/voice") as webhook:
        assert webhook.status == 404


async def test_ops_port_closes_with_the_app(
    start_gateway: GatewayFactory, http_session: aiohttp.ClientSession
) -> None:
    ops_port = free_port()
    client, _ = await start_gateway(gateway_ops_port=ops_port)
    async with http_session.get(f"http://127.0.0.1:{ops_port}/healthz") as health:
        assert health.status == 200
    await client.close()
    with pytest.raises(aiohttp.ClientConnectionError):
        await http_session.get(f"http://127.0.0.1:{ops_port}/healthz")


async def test_unset_keeps_everything_on_the_one_port(start_gateway: GatewayFactory) -> None:
    client: TestClient[Any, Any]
    client, settings = await start_gateway()
    assert settings.gateway_ops_port == 0
    for path in ("/healthz", "/readyz", "/metrics"):
        assert (await client.get(path)).status == 200


def test_ops_port_must_differ_from_port(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "SDX_CUSTOMER_UUID": "u",
        "SDX_AUTH_TOKEN": "t",
        "TWILIO_ACCOUNT_SID": DEMO_TWILIO_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": "t",
        "GATEWAY_PUBLIC_URL": "https://gw.example.com",
        "PORT": "8080",
        "GATEWAY_OPS_PORT": "8080",
    }.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match="GATEWAY_OPS_PORT is invalid: must differ from PORT"):
        load_settings()


async def test_gateway_serve_splits_the_ports_on_its_host(
    sdx_url: str, http_session: aiohttp.ClientSession
) -> None:
    """The command an operator runs: the ops port is bound with --host, closed on SIGTERM."""
    port, ops_port = free_port(), free_port()
    env = {
        **os.environ,  # the autouse fixture removed the contract's variables
        "PORT": str(port),
        "GATEWAY_OPS_PORT": str(ops_port),
        "SDX_API_URL": sdx_url,
        "SDX_CUSTOMER_UUID": DEMO_CUSTOMER_UUID,
        "SDX_AUTH_TOKEN": DEMO_AUTH_TOKEN,
        "TWILIO_ACCOUNT_SID": DEMO_TWILIO_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": DEMO_TWILIO_AUTH_TOKEN,
        "GATEWAY_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "gateway", "serve", "--host", "127.0.0.1"),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        public, ops = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{ops_port}"
        await until_answering(http_session, f"{ops}/healthz", process)
        async with http_session.get(f"{ops}/readyz") as ready:
            assert (ready.status, (await ready.json())["status"]) == (200, "ready")
        async with http_session.get(f"{public}/readyz") as hidden:
            assert hidden.status == 404
        async with http_session.get(f"{public}/healthz") as health:
            assert health.status == 200
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 15) == 0
    with pytest.raises(aiohttp.ClientConnectionError):
        await http_session.get(f"{ops}/healthz")


async def until_answering(
    session: aiohttp.ClientSession, url: str, process: asyncio.subprocess.Process
) -> None:
    deadline = time.monotonic() + 20
    while True:
        assert process.returncode is None, "gateway serve exited"
        try:
            async with session.get(url) as response:
                if response.status == 200:
                    return
        except aiohttp.ClientConnectionError:
            pass
        assert time.monotonic() < deadline, f"{url} did not answer in 20 s"
        await asyncio.sleep(0.05)
