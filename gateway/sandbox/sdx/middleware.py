"""Middlewares of the API part: recording and faults, latency, auth, error answers.

They wrap only ``/api`` requests (the ``/_sandbox`` control endpoints are
neither recorded, faulted nor authenticated). The order matters: faults and
recording are outermost so that they also see 401s and unknown paths.
"""

from __future__ import annotations

import asyncio
import json
from http import HTTPStatus

from aiohttp import web
from aiohttp.typedefs import Handler

from gateway.sandbox.sdx.errors import SandboxError, Unprocessable
from gateway.sandbox.sdx.faults import Fault, RecordedRequest
from gateway.sandbox.sdx.latency import ROWS
from gateway.sandbox.sdx.php import check_booleans, php_answer
from gateway.sandbox.sdx.state import SANDBOX_STATE

API_PREFIX = "/api"


def api_path(request: web.Request) -> str | None:
    """The path without ``/api``, or None when the request is not for the API."""
    path = request.path
    if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
        return path[len(API_PREFIX) :] or "/"
    return None


async def _form(request: web.Request) -> dict[str, str]:
    posted = await request.post()
    return {key: value for key, value in posted.items() if isinstance(value, str)}


@web.middleware
async def record_and_fault(request: web.Request, handler: Handler) -> web.StreamResponse:
    path = api_path(request)
    if path is None:
        return await handler(request)
    state = request.app[SANDBOX_STATE]
    record = RecordedRequest(request.method, path, dict(request.query), await _form(request))
    state.requests.record(record, _endpoint(request))
    fault = state.faults.take(request.method, path)
    record.faulted = fault is not None
    try:
        if fault is None:
            response = await handler(request)
        else:
            response = await _with_fault(fault, request, handler)
    except Exception:
        record.status = 500  # what aiohttp answers for an unexpected exception
        raise
    record.status = None if _dropped(request) else response.status
    return response


def _endpoint(request: web.Request) -> str:
    """The route a request matched, as counted: ``GET /interactions/{id}``.

    Unknown paths and methods are counted together, whatever they were, so
    that the counts stay a short table however a client misbehaves.
    """
    resource = request.match_info.route.resource
    if resource is None:
        return f"{request.method} (no route)"
    return f"{request.method} {resource.canonical.removeprefix(API_PREFIX)}"


@web.middleware
async def simulated_latency(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Hold each API answer back by the latency in force (see latency.py)."""
    response = await handler(request)
    if api_path(request) is not None:
        delay = request.app[SANDBOX_STATE].latency.delay(response.get(ROWS, 0))
        if delay > 0:
            await asyncio.sleep(delay)
    return response


async def _with_fault(fault: Fault, request: web.Request, handler: Handler) -> web.StreamResponse:
    real: web.StreamResponse | None = None
    if fault.after:
        real = await handler(request)  # the change is made...
        await asyncio.sleep(fault.delay)  # ...and only then is the reply late or lost
    elif fault.status is not None or fault.drop:
        await asyncio.sleep(fault.delay)  # SDX never handles this one
    else:
        real = await _late_but_sure(request, handler, fault.delay)
    if fault.drop:
        return _drop(request)
    if fault.status is not None:
        return _fault_answer(fault)
    assert real is not None
    real.headers.update(fault.headers)
    return real


async def _late_but_sure(
    request: web.Request, handler: Handler, delay: float
) -> web.StreamResponse:
    """Wait, then handle the request even if its client leaves meanwhile.

    Whether aiohttp cancels a handler whose client went away depends on the
    server (``web.run_app`` does not by default, aiohttp's test server does).
    Shielding the work makes a delayed request behave the same in both: it
    reached SDX, so it is applied. The task is kept in the state so that
    app shutdown can cancel it.
    """

    if not delay:
        return await handler(request)

    async def later() -> web.StreamResponse:
        await asyncio.sleep(delay)
        return await handler(request)

    in_flight = request.app[SANDBOX_STATE].in_flight
    task = asyncio.create_task(later())
    in_flight.add(task)
    task.add_done_callback(in_flight.discard)
    return await asyncio.shield(task)


def _drop(request: web.Request) -> web.StreamResponse:
    """Close the connection without answering; the client sees a disconnect.

    aiohttp has no public "abort" for a request, so the transport is closed
    under it. The response returned is never written: aiohttp notices the
    closed transport and treats it as a client that went away.
    """
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=HTTPStatus.NO_CONTENT)


def _dropped(request: web.Request) -> bool:
    return request.transport is None or request.transport.is_closing()


def _fault_answer(fault: Fault) -> web.Response:
    assert fault.status is not None
    if fault.status in (204, 304):
        return web.Response(status=fault.status, headers=fault.headers)
    reason = _reason(fault.status)
    if fault.body is not None:
        text, content_type = fault.body, "text/plain"
    elif fault.status >= 500:
        # Like a load balancer's or maintenance page: HTML a client must not parse.
        title = f"{fault.status} {reason}".strip()
        text = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
        content_type = "text/html"
    else:
        text, content_type = f"{fault.status} {reason}".strip(), "text/plain"
    return web.Response(
        status=fault.status, text=text, content_type=content_type, headers=fault.headers
    )


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


@web.middleware
async def require_auth(request: web.Request, handler: Handler) -> web.StreamResponse:
    if api_path(request) is None:
        return await handler(request)
    credentials = request.app[SANDBOX_STATE].credentials
    if credentials.accepts(request.headers.get("Authorization")):
        return await handler(request)
    return web.Response(
        status=401,
        text="401 Unauthorized: bad or missing credentials\n",
        headers={"WWW-Authenticate": 'Basic realm="sdx"'},
    )


@web.middleware
async def error_answers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn errors into plain answers, so the outer middlewares see a response.

    Real SDX documents no error body; a short text line is all a client gets,
    except for the php flavour's validation errors, which Laravel writes as JSON.
    """
    try:
        return await handler(request)
    except Unprocessable as exc:
        return web.json_response(exc.as_json(), status=exc.status)
    except SandboxError as exc:
        return web.Response(status=exc.status, text=f"{exc.status} {exc.message}\n")
    except web.HTTPException as exc:
        return web.Response(status=exc.status, body=exc.body, headers=exc.headers)


@web.middleware
async def php_flavour(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The php flavour's checks on what comes in and its shapes for what goes out.

    Innermost, so that a refused parameter becomes the 422 of ``error_answers``
    and only answers a handler gave (not error lines) are reshaped.
    """
    path = api_path(request)
    if path is None or request.app[SANDBOX_STATE].flavour != "php":
        return await handler(request)
    check_booleans({**request.query, **await _form(request)})
    response = await handler(request)
    if isinstance(response, web.Response) and response.content_type == "application/json":
        assert isinstance(response.body, bytes)  # json_response's body
        response.body = json.dumps(php_answer(path, json.loads(response.body))).encode()
    return response
