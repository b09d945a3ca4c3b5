"""The HTTP shell of the gateway's processes: middleware and the operational endpoints.

The composition root (``gateway.run``) adds the channels' routes and the
resources they use; nothing here knows a survey.
"""

from __future__ import annotations

from aiohttp import web

from gateway.config import Settings
from gateway.web.bodies import webhook_body
from gateway.web.keys import SETTINGS
from gateway.web.middleware import request_context
from gateway.web.ops import add_ops_routes, healthz
from gateway.web.readiness import READINESS, Readiness
from gateway.web.signature import MISCONFIGURATION_LOG, OncePerPeriod, twilio_signature

# Twilio's webhooks are small forms; anything bigger is not Twilio.
MAX_BODY = 256 * 1024

_OPS_RUNNER = web.AppKey("ops_runner", web.AppRunner)


def webhook_app(settings: Settings, *, ops_host: str = "127.0.0.1") -> web.Application:
    """The webhook server's application, with /healthz, /readyz and /metrics.

    With GATEWAY_OPS_PORT set, /readyz and /metrics move to that port, bound
    on ``ops_host`` (the host the public port is bound on), while the app runs.
    """
    # request_context first, so a refused body or signature still gets a
    # request id and its one log line; the body check before the signature
    # check, which parses the body.
    app = web.Application(
        middlewares=[request_context, webhook_body, twilio_signature], client_max_size=MAX_BODY
    )
    app[SETTINGS] = settings
    app[MISCONFIGURATION_LOG] = OncePerPeriod()
    readiness = Readiness(app)
    app[READINESS] = readiness
    app.on_cleanup.append(lambda _: readiness.close())
    port = settings.gateway_ops_port
    if not port:
        add_ops_routes(app, readiness)
        return app
    app.router.add_get("/healthz", healthz)

    async def start_ops(app: web.Application) -> None:
        # on_startup runs after every cleanup context has opened, so the
        # connections /readyz checks exist before its port opens.
        app[_OPS_RUNNER] = await start_site(ops_app(readiness), ops_host, port)

    async def stop_ops(app: web.Application) -> None:
        # on_shutdown runs before the cleanup contexts close those connections
        # (and after a failed start, when there is no runner).
        runner = app.get(_OPS_RUNNER)
        if runner is not None:
            await runner.cleanup()

    app.on_startup.append(start_ops)
    app.on_shutdown.append(stop_ops)
    return app


def ops_app(readiness: Readiness | None = None) -> web.Application:
    """The internal port's application: /healthz and /metrics, and /readyz given
    a readiness (the webhook server's GATEWAY_OPS_PORT; the dispatcher's
    GATEWAY_WORKER_PORT has none)."""
    app = web.Application()
    add_ops_routes(app, readiness)
    return app


async def start_site(app: web.Application, host: str, port: int) -> web.AppRunner:
    """Serve ``app`` on host:port until the returned runner is cleaned up."""
    # A request in flight at shutdown is at most a readiness check.
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=5)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
