"""The HTTP shell of the gateway's processes: middleware and the operational endpoints.

The composition root (``gateway.run``) adds the channels' routes and the
resources they use; nothing here knows a survey.
"""

from __future__ import annotations

from aiohttp import web

from gateway.config import Settings
from gateway.web.keys import SETTINGS
from gateway.web.middleware import request_context
from gateway.web.ops import healthz, metrics, readyz
from gateway.web.readiness import READINESS, Readiness
from gateway.web.signature import twilio_signature

# Twilio's webhooks are small forms; anything bigger is not Twilio.
MAX_BODY = 256 * 1024


def webhook_app(settings: Settings) -> web.Application:
    """The webhook server's application, with /healthz, /readyz and /metrics."""
    # request_context first, so a rejected signature still gets a request id
    # and its one log line.
    app = web.Application(middlewares=[request_context, twilio_signature], client_max_size=MAX_BODY)
    app[SETTINGS] = settings
    readiness = Readiness(app)
    app[READINESS] = readiness
    app.on_cleanup.append(lambda _: readiness.close())
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    return app


def ops_app() -> web.Application:
    """/metrics and /healthz alone, for the dispatcher's GATEWAY_WORKER_PORT."""
    app = web.Application()
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", healthz)
    return app
