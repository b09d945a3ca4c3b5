"""``gateway serve``: the webhook server, its parts opened and closed with the app.

``create_app(settings)`` opens nothing until the app starts: the HTTP
session, the Redis pool and the parts built on them are made in the app's
cleanup contexts and closed there, background loops included.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from aiohttp import web

from gateway.background import stop_tasks
from gateway.config import Settings, load_settings
from gateway.logging import configure_logging, get_logger
from gateway.run.components import Components, build_components
from gateway.run.connections import http_session, sdx_client, twilio_rest
from gateway.run.event_loop import use_fast_loop
from gateway.run.exposure import refuse_if_exposed
from gateway.sms.routes import DELIVERY, SMS, add_sms_routes
from gateway.state.redis_client import server_redis
from gateway.twilio.rest import TwilioRest
from gateway.voice.routes import VOICE, add_voice_routes
from gateway.web.app import webhook_app
from gateway.web.keys import HTTP_SESSION, REDIS, SDX, SETTINGS

log = get_logger(__name__)

# Every part of a running server (tests reach the stores and sweepers here).
COMPONENTS = web.AppKey("components", Components)
# How often the web process looks for surveys due a full pass.
KEEP_EVERY = 60.0
# Twilio's REST API: a call that asynchronous detection found answered by a
# machine is redirected through it.
TWILIO = web.AppKey("twilio", TwilioRest)


async def _connections(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    async with http_session() as session, twilio_rest(settings) as twilio:
        app[HTTP_SESSION] = session
        app[SDX] = sdx_client(settings, session)
        app[TWILIO] = twilio
        if settings.redis_url is None:
            log.warning(
                "redis_url_unset",
                detail="state is kept in memory: run a single process only, and expect "
                "sessions to be lost on restart",
            )
            app[REDIS] = None
            yield
            return
        redis = server_redis(settings.redis_url)
        app[REDIS] = redis
        yield
        await redis.aclose()
        await redis.connection_pool.aclose()


async def _components(app: web.Application) -> AsyncIterator[None]:
    if not app[SETTINGS].gateway_validate_signatures:
        log.warning(
            "signature_validation_disabled",
            detail="GATEWAY_VALIDATE_SIGNATURES=false: anyone can post webhooks; "
            "never run this way in production",
        )
    parts = build_components(app[SETTINGS], app[SDX], app[REDIS], app[TWILIO])
    app[COMPONENTS] = parts
    app[VOICE] = parts.voice
    app[SMS] = parts.sms
    app[DELIVERY] = parts.sms_delivery
    # Number routing is re-read from SDX in the background (a failure keeps
    # the last good table); idle SMS conversations are abandoned in SDX.
    # Each routed survey is listed in full every GATEWAY_RECONCILE_INTERVAL
    # (by one replica: dispatcher or web); the web process first looks a
    # minute after start (a lookup lists a survey with no index meanwhile).
    tasks = [
        asyncio.create_task(parts.router.run(), name="routing-refresh"),
        asyncio.create_task(parts.sms_expiry.run(), name="sms-expiry"),
        asyncio.create_task(parts.feed.run(parts.router.survey_ids, KEEP_EVERY), name="feed"),
    ]
    yield
    await stop_tasks(tasks)
    await parts.feed.close()


def create_app(settings: Settings, *, ops_host: str = "127.0.0.1") -> web.Application:
    """The gateway's web application. Opens nothing until it starts.

    ``ops_host``: where GATEWAY_OPS_PORT is bound, if set (``serve`` passes
    its own ``--host``).
    """
    app = webhook_app(settings, ops_host=ops_host)
    app.cleanup_ctx.append(_connections)
    app.cleanup_ctx.append(_components)
    add_voice_routes(app)
    add_sms_routes(app)
    return app


def serve(host: str) -> int:
    """``gateway serve``: until SIGTERM / SIGINT."""
    settings = load_settings()
    refuse_if_exposed(settings)
    configure_logging(settings.log_format, settings.log_level, final=True)
    log.info(
        "serving",
        loop=use_fast_loop(),
        host=host,
        port=settings.port,
        ops_port=settings.gateway_ops_port or None,
        sdx=settings.sdx_api_url,
    )
    web.run_app(
        create_app(settings, ops_host=host),
        host=host,
        port=settings.port,
        access_log=None,
        print=None,
        shutdown_timeout=10,
    )
    return 0
