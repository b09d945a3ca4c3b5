"""Running the dispatcher as its own process (``gateway dispatch``, the Procfile's worker)."""

from __future__ import annotations

import asyncio
import contextlib
import signal

import aiohttp
from aiohttp import web
from redis.asyncio import Redis

from gateway.config import Settings
from gateway.logging import get_logger
from gateway.run.connections import sdx_client
from gateway.state.conversations_redis import RedisConversationStore
from gateway.state.index import RedisIndexStore
from gateway.state.redis_client import client_options
from gateway.twilio.rest import TwilioRest
from gateway.web.ops import healthz, metrics
from gateway.wiring import build_dispatcher

log = get_logger(__name__)


async def run_dispatch(settings: Settings, stop: asyncio.Event | None = None) -> int:
    """Dispatch until SIGTERM / SIGINT (or ``stop``), then shut down within 10 s."""
    assert settings.redis_url is not None  # checked by the CLI
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    redis = Redis.from_url(
        settings.redis_url, socket_timeout=5.0, socket_connect_timeout=2.0, **client_options()
    )
    twilio = TwilioRest(settings)
    monitor = await _serve_metrics(settings.gateway_worker_port)
    async with aiohttp.ClientSession() as session:
        await twilio.start()
        try:
            prefix = settings.gateway_redis_prefix
            # A text that cannot be sent ends its conversation, which then
            # leaves the web processes' lookup index too.
            index = RedisIndexStore(redis, prefix=prefix, ttl=settings.gateway_index_ttl)
            conversations = RedisConversationStore(redis, prefix=prefix, index=index)
            sdx = sdx_client(settings, session)
            dispatcher = build_dispatcher(settings, sdx, redis, twilio, conversations)
            await dispatcher.run(stop)
        finally:
            await twilio.close()
            await redis.aclose()
            if monitor is not None:
                await monitor.cleanup()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(sig)
    return 0


async def _serve_metrics(port: int) -> web.AppRunner | None:
    """/metrics (dials by outcome, SDX latency) and /healthz for the worker, if asked for."""
    if not port:
        return None
    app = web.Application()
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "0.0.0.0", port).start()  # noqa: S104 (scraped from outside)
    return runner
