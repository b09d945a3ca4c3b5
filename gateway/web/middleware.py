"""Request-scoped logging context and one summary line per request."""

from __future__ import annotations

import itertools
import os
import re
import secrets
import time

from aiohttp import web
from aiohttp.typedefs import Handler

from gateway.logging import bind_context, clear_context, clip, get_logger
from gateway.metrics import webhook_series
from gateway.twilio import urls

log = get_logger("gateway.web")

# Accept a caller's request id only if it is short and plain, so it cannot
# inject anything into logs. ASCII only (re's \w and \d would take other
# scripts' letters and digits); ":" for the ids of tracers that use it.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


# A request id made here: this process's random prefix and a counter, 32
# hex digits as uuid4().hex was, and as unique across replicas; uuid4 cost
# a getrandom system call and 3 µs a webhook.
_made = itertools.count()
_prefix = secrets.token_hex(8)


def _new_prefix() -> None:
    global _prefix
    _prefix = secrets.token_hex(8)


os.register_at_fork(after_in_child=_new_prefix)  # a forked worker gets its own


def _request_id(request: web.Request) -> str:
    given = request.headers.get("X-Request-Id", "")
    return given if _REQUEST_ID.fullmatch(given) else f"{_prefix}{next(_made):016x}"


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Bind a request id for every log line of this request; log one line at the end.

    Only the path is logged, never the query string or the body: both can
    carry phone numbers and answers.
    """
    clear_context()
    request_id = _request_id(request)
    bind_context(request_id=request_id)
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        response.headers["X-Request-Id"] = request_id
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        seconds = time.perf_counter() - started
        if request.path.startswith(urls.PREFIX):
            # One summary line per webhook (CallSid / MessageSid are bound by
            # the handler) and the webhook metrics.
            route = _route(request)
            counted, timed = webhook_series(route, status)
            counted.inc()
            timed.observe(seconds)
            log.info("webhook", route=route, status=status, ms=round(seconds * 1000, 2))
        elif request.path not in {"/healthz", "/readyz", "/metrics"}:
            log.info("request", method=clip(request.method), path=clip(request.path), status=status)
        clear_context()


def _route(request: web.Request) -> str:
    """The route's template (never the raw path: unknown paths would explode labels)."""
    info = request.match_info
    resource = info.route.resource if info.route is not None else None
    return resource.canonical if resource is not None else "other"
