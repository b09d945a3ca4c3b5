"""The operational endpoints: liveness, readiness and metrics.

/healthz answers while the process runs. /readyz answers 200 only when the
gateway could serve a survey turn: Redis answers PING and SDX answers an
authenticated request (checked at most once per 5 s: see readiness.py).
Otherwise 503, naming the failing part, so a load balancer stops sending
calls and an operator sees why.

With GATEWAY_OPS_PORT set, /readyz and /metrics are served on that port
only (``ops_app``), so the public port shows an outsider nothing but the
webhooks and /healthz.
"""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gateway.web.readiness import READINESS, Readiness


async def healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    report = await request.app[READINESS].report()
    if not report.ready:
        return web.json_response({"status": "unavailable", "checks": report.checks}, status=503)
    return web.json_response({"status": "ready", "checks": report.checks})


async def metrics(_: web.Request) -> web.Response:
    """GET /metrics: every counter of this process, in Prometheus' text format."""
    response = web.Response(body=generate_latest())
    response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
    response.charset = "utf-8"
    return response


def add_ops_routes(app: web.Application, readiness: Readiness | None) -> None:
    """/healthz and /metrics, and /readyz when there is something to check."""
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    if readiness is not None:
        app[READINESS] = readiness
        app.router.add_get("/readyz", readyz)
