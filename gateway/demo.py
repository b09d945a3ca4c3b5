"""``gateway demo``: the SDX sandbox and the gateway in one process, no accounts needed."""

from __future__ import annotations

import asyncio
import contextlib
import signal

from aiohttp import web

from gateway.app import create_app
from gateway.config import Settings
from gateway.logging import configure_logging, get_logger
from gateway.sandbox.credentials import (
    DEMO_AUTH_TOKEN,
    DEMO_CUSTOMER_UUID,
    DEMO_TWILIO_ACCOUNT_SID,
    DEMO_TWILIO_AUTH_TOKEN,
)
from gateway.sandbox.sdx import create_sdx_sandbox

log = get_logger(__name__)


def demo_settings(host: str, port: int, sandbox_port: int) -> Settings:
    """Settings pointing the gateway at the in-process sandbox.

    REDIS_URL (and any other variable) from the environment still applies,
    so the demo can run against a real Redis.
    """
    return Settings(
        sdx_api_url=f"http://{host}:{sandbox_port}/api",
        sdx_customer_uuid=DEMO_CUSTOMER_UUID,
        sdx_auth_token=DEMO_AUTH_TOKEN,
        sdx_bearer_token=None,
        twilio_account_sid=DEMO_TWILIO_ACCOUNT_SID,
        twilio_auth_token=DEMO_TWILIO_AUTH_TOKEN,
        gateway_public_url=f"http://{host}:{port}",
        port=port,
        log_format="console",
    )


async def _start(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


async def run_demo(host: str, port: int, sandbox_port: int) -> int:
    settings = demo_settings(host, port, sandbox_port)
    configure_logging("console", settings.log_level)
    runners = [
        await _start(create_sdx_sandbox(), host, sandbox_port),
        await _start(create_app(settings), host, port),
    ]
    print(
        "\nSurvey gateway demo is running (Ctrl-C to stop)\n"
        f"  gateway      http://{host}:{port}   (try: curl http://{host}:{port}/readyz)\n"
        f"  SDX sandbox  http://{host}:{sandbox_port}/api\n"
        f"               user {DEMO_CUSTOMER_UUID} / token {DEMO_AUTH_TOKEN}\n"
        f"  sessions     {'Redis at REDIS_URL' if settings.redis_url else 'in memory'}\n",
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for runner in reversed(runners):
            await runner.cleanup()
    return 0
