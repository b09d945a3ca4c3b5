"""``gateway dispatch``: the dispatcher as its own process (the Procfile's worker)."""

from __future__ import annotations

import asyncio
import contextlib
import signal

from aiohttp import web

from gateway.background import stop_tasks
from gateway.config import ConfigError, Settings, load_settings
from gateway.logging import configure_logging, get_logger
from gateway.run.components import build_dispatcher, build_feed, build_router, build_stores
from gateway.run.connections import http_session, sdx_client
from gateway.run.event_loop import use_fast_loop
from gateway.run.exposure import refuse_if_exposed
from gateway.state.redis_client import worker_redis
from gateway.twilio.rest import TwilioRest
from gateway.web.app import ops_app, start_site

log = get_logger(__name__)


def dispatch() -> int:
    """``gateway dispatch``: settings from the environment, until SIGTERM / SIGINT."""
    settings = load_settings()
    refuse_if_exposed(settings)
    configure_logging(settings.log_format, settings.log_level, final=True)
    if settings.redis_url is None:
        raise ConfigError(
            "configuration error: REDIS_URL is required for gateway dispatch "
            "(replicas share their work through Redis)"
        )
    log.info("dispatch_loop", loop=use_fast_loop())
    return asyncio.run(run_dispatch(settings))


async def run_dispatch(settings: Settings, stop: asyncio.Event | None = None) -> int:
    """Dispatch until SIGTERM / SIGINT (or ``stop``), then shut down within 10 s."""
    assert settings.redis_url is not None  # checked by dispatch()
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    redis = worker_redis(settings.redis_url)
    twilio = TwilioRest(settings)
    monitor = await _serve_ops(settings.gateway_worker_port)
    async with http_session() as session:
        await twilio.start()
        try:
            # A text that cannot be sent ends its conversation, which then
            # leaves the web processes' lookup index too.
            stores = build_stores(settings, redis)
            sdx = sdx_client(settings, session)
            # Re-read as the web processes do, so a derived default region
            # follows the routed numbers here too.
            router = build_router(settings, sdx)
            refreshing = asyncio.create_task(router.run(), name="routing-refresh")
            dispatcher = build_dispatcher(
                settings,
                sdx,
                redis,
                twilio,
                stores.conversations,
                attempts=stores.attempts,
                router=router,
                feed=build_feed(settings, sdx, stores, router.region_code),
            )
            try:
                await dispatcher.run(stop)
            finally:
                await stop_tasks([refreshing])
        finally:
            await twilio.close()
            await redis.aclose()
            if monitor is not None:
                await monitor.cleanup()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(sig)
    return 0


async def _serve_ops(port: int) -> web.AppRunner | None:
    """/metrics (dials by outcome, SDX latency) and /healthz for the worker, if asked for."""
    if not port:
        return None
    return await start_site(ops_app(), "0.0.0.0", port)  # noqa: S104 (scraped from outside)
