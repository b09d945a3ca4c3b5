"""create_app(settings): the webhook server, with its shared resources."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web
from redis.asyncio import BlockingConnectionPool, Redis

from gateway import __version__
from gateway.background import stop_tasks
from gateway.config import Settings
from gateway.keys import (
    CONVERSATIONS,
    HTTP_SESSION,
    INDEX,
    OUTCOMES,
    REDIS,
    ROUTER,
    SDX,
    SESSIONS,
    SETTINGS,
    SMS,
    SMS_EXPIRY,
    VOICE,
)
from gateway.logging import get_logger
from gateway.run.connections import sdx_client
from gateway.state.redis_client import client_options
from gateway.web.middleware import request_context
from gateway.web.ops import healthz, metrics, readyz
from gateway.web.signature import twilio_signature
from gateway.web.sms import add_sms_routes
from gateway.web.voice import add_voice_routes
from gateway.wiring import build_components

log = get_logger(__name__)


async def _http_session(app: web.Application) -> AsyncIterator[None]:
    # One pooled session for every outgoing request (SDX now, Twilio later).
    settings = app[SETTINGS]
    session = aiohttp.ClientSession(
        headers={"User-Agent": f"sdx-twilio-gateway/{__version__}"},
        # Close idle connections before SDX does, so a POST is not sent on a
        # socket the server is closing (which would make it ambiguous).
        connector=aiohttp.TCPConnector(limit=100, keepalive_timeout=10),
    )
    app[HTTP_SESSION] = session
    app[SDX] = sdx_client(settings, session)
    yield
    await session.close()


async def _redis(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    if settings.redis_url is None:
        log.warning(
            "redis_url_unset",
            detail="state is kept in memory: run a single process only, and expect "
            "sessions to be lost on restart",
        )
        app[REDIS] = None
        yield
        return
    # A blocking pool: in a burst a turn waits briefly for a connection
    # instead of failing with "Too many connections" (the benchmark saw
    # throughput collapse that way past saturation).
    pool = BlockingConnectionPool.from_url(
        settings.redis_url,
        max_connections=200,
        timeout=2.0,
        socket_timeout=2.0,
        socket_connect_timeout=2.0,
        # No health_check_interval: its PING would add a round trip to the
        # first turn after an idle spell. A connection the server closed is
        # noticed when it leaves the pool (see gateway.state.redis_client).
        **client_options(),
    )
    client = Redis(connection_pool=pool)
    app[REDIS] = client
    yield
    await client.aclose()
    await pool.aclose()


async def _survey_logic(app: web.Application) -> AsyncIterator[None]:
    if not app[SETTINGS].gateway_validate_signatures:
        log.warning(
            "signature_validation_disabled",
            detail="GATEWAY_VALIDATE_SIGNATURES=false: anyone can post webhooks; "
            "never run this way in production",
        )
    parts = build_components(app[SETTINGS], app[SDX], app[REDIS])
    app[SESSIONS] = parts.sessions
    app[INDEX] = parts.index
    app[ROUTER] = parts.router
    app[VOICE] = parts.voice
    app[SMS] = parts.sms
    app[SMS_EXPIRY] = parts.sms_expiry
    app[OUTCOMES] = parts.outcomes
    app[CONVERSATIONS] = parts.conversations
    # Number routing is re-read from SDX in the background (a failure keeps
    # the last good table); idle SMS conversations are abandoned in SDX.
    tasks = [
        asyncio.create_task(parts.router.run(), name="routing-refresh"),
        asyncio.create_task(parts.sms_expiry.run(), name="sms-expiry"),
    ]
    yield
    await stop_tasks(tasks)
    await parts.index.close()


def create_app(settings: Settings) -> web.Application:
    """The gateway's web application. Opens nothing until it starts."""
    # request_context first, so a rejected signature still gets a request id
    # and its one log line.
    app = web.Application(
        middlewares=[request_context, twilio_signature], client_max_size=256 * 1024
    )
    app[SETTINGS] = settings
    app.cleanup_ctx.append(_http_session)
    app.cleanup_ctx.append(_redis)
    app.cleanup_ctx.append(_survey_logic)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    add_voice_routes(app)
    add_sms_routes(app)
    return app
