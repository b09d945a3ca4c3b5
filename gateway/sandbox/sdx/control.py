"""``/_sandbox``: control endpoints for tests and demos in another process.

No auth, no faults, not recorded: this is a local development tool, and the
point of these endpoints is to look at the API from outside of it.
"""

from __future__ import annotations

import re
from dataclasses import fields
from typing import Any

from aiohttp import web

from gateway.sandbox.sdx.backlog import BacklogOrder
from gateway.sandbox.sdx.errors import BadRequest, NotFound
from gateway.sandbox.sdx.faults import Fault
from gateway.sandbox.sdx.latency import Latency
from gateway.sandbox.sdx.state import FLAVOURS
from gateway.sandbox.sdx.views.common import json_answer, match_id, state_of

_FAULT_FIELDS = frozenset(f.name for f in fields(Fault))
# JSON types each Fault field accepts (bool is excluded from numbers below).
_FAULT_TYPES: dict[str, tuple[type, ...]] = {
    "method": (str, type(None)),
    "path": (str,),
    "status": (int, type(None)),
    "delay": (int, float),
    "after": (bool,),
    "times": (int, type(None)),
    "headers": (dict,),
    "drop": (bool,),
    "body": (str, type(None)),
}


def fault_from_json(body: Any) -> Fault:
    """A Fault from its JSON form, with a 400 naming what is wrong."""
    if not isinstance(body, dict):
        raise BadRequest("a fault is a JSON object")
    unknown = set(body) - _FAULT_FIELDS
    if unknown:
        raise BadRequest(f"unknown fault fields: {', '.join(sorted(unknown))}")
    for name, value in body.items():
        numeric = name in ("status", "delay", "times")
        if not isinstance(value, _FAULT_TYPES[name]) or (numeric and isinstance(value, bool)):
            raise BadRequest(f"fault field {name} has the wrong type")
    headers = body.get("headers", {})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
        raise BadRequest("fault headers must map strings to strings")
    try:
        return Fault(**body)
    except (ValueError, re.error) as exc:
        raise BadRequest(f"bad fault: {exc}") from None


async def list_requests(request: web.Request) -> web.Response:
    return json_answer([r.as_json() for r in state_of(request).requests])


async def request_counts(request: web.Request) -> web.Response:
    """``{"total": n, "by_endpoint": {"GET /interactions": n, ...}}``: every
    request since the log was cleared, including those no longer listed."""
    return json_answer(state_of(request).requests.counts_json())


async def clear_requests(request: web.Request) -> web.Response:
    requests = state_of(request).requests
    cleared = len(requests)
    requests.clear()
    return json_answer({"cleared": cleared})


async def list_faults(request: web.Request) -> web.Response:
    return json_answer(state_of(request).faults.as_json())


async def add_fault(request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except ValueError:
        raise BadRequest("the body must be a JSON object with Fault fields") from None
    fault = state_of(request).faults.add(fault_from_json(body))
    return web.json_response(fault.as_json(), status=201)


async def clear_faults(request: web.Request) -> web.Response:
    faults = state_of(request).faults
    cleared = len(faults)
    faults.clear()
    return json_answer({"cleared": cleared})


async def reset(request: web.Request) -> web.Response:
    state_of(request).reset()
    return json_answer({"reset": True})


async def recorded_responses(request: web.Request) -> web.Response:
    """The answers recorded for an interaction, even a deleted one; [] if none."""
    store = state_of(request).store
    interaction_id = match_id(request)
    if interaction_id not in store.interactions:
        raise NotFound(f"no interaction {interaction_id}")
    return json_answer([r.as_json() for r in store.responses_for(interaction_id)])


async def add_backlog(request: web.Request) -> web.Response:
    """Seed many not-started interactions at once (``backlog.BacklogOrder``).

    201 with ``{"created": n, "first_id": .., "last_id": ..}``; the ids are
    consecutive. 404 for an unknown survey, 409 if a number already has a
    pending interaction in the survey (then nothing is created).
    """
    try:
        body = await request.json()
    except ValueError:
        raise BadRequest("the body must be a JSON object") from None
    made = BacklogOrder.from_json(body).create_in(state_of(request).store)
    answer = {"created": len(made), "first_id": made[0].id, "last_id": made[-1].id}
    return web.json_response(answer, status=201)


async def get_latency(request: web.Request) -> web.Response:
    return json_answer(state_of(request).latency.as_json())


async def set_latency(request: web.Request) -> web.Response:
    """``{"per_request": s, "per_row": s}``: from the next API request on."""
    try:
        body = await request.json()
    except ValueError:
        body = None
    latency = state_of(request).latency = Latency.from_json(body)
    return json_answer(latency.as_json())


async def get_flavour(request: web.Request) -> web.Response:
    return json_answer({"flavour": state_of(request).flavour})


async def set_flavour(request: web.Request) -> web.Response:
    """``{"flavour": "plain" | "php"}``: switch how the API answers from the next request."""
    try:
        body = await request.json()
    except ValueError:
        body = None
    wanted = body.get("flavour") if isinstance(body, dict) else None
    for flavour in FLAVOURS:
        if wanted == flavour:
            state_of(request).flavour = flavour
            return json_answer({"flavour": flavour})
    raise BadRequest(f'the body must be {{"flavour": one of {", ".join(FLAVOURS)}}}')
