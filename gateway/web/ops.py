"""The operational endpoints: liveness, readiness and metrics.

/healthz answers while the process runs. /readyz answers 200 only when the
gateway could serve a survey turn: Redis answers PING and SDX answers an
authenticated request. Otherwise 503, naming the failing part, so a load
balancer stops sending calls and an operator sees why.
"""

from __future__ import annotations

import asyncio

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis.exceptions import RedisError

from gateway.logging import get_logger
from gateway.sdx.errors import SdxError, SdxUnauthorized
from gateway.web.keys import REDIS, SDX, SETTINGS

log = get_logger(__name__)


async def healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _check_redis(app: web.Application) -> str | None:
    redis = app[REDIS]
    if redis is None:
        return None  # in-memory state: nothing to reach
    try:
        await redis.ping()
    except (RedisError, OSError) as exc:
        return f"redis: {type(exc).__name__}"
    return None


async def _check_sdx(app: web.Application) -> str | None:
    try:
        await app[SDX].list_surveys(limit=1)
    except SdxUnauthorized:
        return "sdx: credentials rejected (401); check SDX_CUSTOMER_UUID / SDX_AUTH_TOKEN"
    except SdxError as exc:
        return f"sdx: {type(exc).__name__}" + (f" {exc.status}" if exc.status else "")
    return None


async def readyz(request: web.Request) -> web.Response:
    app = request.app
    timeout = app[SETTINGS].gateway_sdx_timeout + 1
    try:
        async with asyncio.timeout(timeout):
            redis_error, sdx_error = await asyncio.gather(_check_redis(app), _check_sdx(app))
    except TimeoutError:
        redis_error, sdx_error = None, "readiness checks timed out"
    checks = {
        "redis": redis_error or ("ok" if app[REDIS] is not None else "in-memory"),
        "sdx": sdx_error or "ok",
    }
    failing = [error for error in (redis_error, sdx_error) if error]
    if failing:
        log.warning("not_ready", failing=failing)
        return web.json_response({"status": "unavailable", "checks": checks}, status=503)
    return web.json_response({"status": "ready", "checks": checks})


async def metrics(_: web.Request) -> web.Response:
    """GET /metrics: every counter of this process, in Prometheus' text format."""
    response = web.Response(body=generate_latest())
    response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
    response.charset = "utf-8"
    return response
