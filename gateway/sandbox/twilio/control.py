"""``/_twilio``: the emulator driven from another process (softphone, demo, benchmarks).

No auth and not recorded: a local development tool that looks at the
account from outside. Bodies are JSON; errors are ``{"error": "..."}``.

The knobs on creates (``faults`` says what they do), each answering 201 and
itself as JSON, 400 for a bad body:

- ``POST /_twilio/failures`` ``{resource, code, status?, to?, times?, message?}``:
  ``fail_next``, the next creates answer a Twilio error;
- ``POST /_twilio/slow`` ``{resource, delay, after?, to?, times?}``:
  ``slow_create``, the next creates wait ``delay`` seconds, before creating
  (``after`` false, the default) or after (``after`` true). ``resource`` is
  ``"Calls"`` or ``"Messages"``, ``to`` a number or null (any), ``times`` 1
  by default.

``POST /_twilio/detection`` ``{moment}`` sets when asynchronous answering
machine detection reports (``answer``, ``gather`` or ``after``: see
``gateway.sandbox.twilio.detection``).

``POST /_twilio/services`` ``{numbers, sid?}`` adds a Messaging Service over
those of the account's numbers (``TwilioState.add_service``) and answers it.

``POST /_twilio/delivery_failures`` ``{to, code, status?, times?}``:
``fail_delivery``, messages to ``to`` are accepted, then ``failed`` or
``undelivered`` with ErrorCode ``code`` (30003, 30007, 21610...), as a
carrier reports it to the StatusCallback; ``times`` null: every one.

``POST /_twilio/reset`` clears them all, with everything else (``TwilioState.reset``).
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from gateway.sandbox.twilio.detection import MOMENTS
from gateway.sandbox.twilio.errors import EmulatorError, NotConfigured, WebhookFailed
from gateway.sandbox.twilio.respondent import Outcome, parse_input
from gateway.sandbox.twilio.views.common import state_of
from gateway.sandbox.twilio.views.services import api_base


def bad(reason: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=json.dumps({"error": reason}), content_type="application/json")


async def json_object(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise bad("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise bad("the body must be a JSON object")
    return body


def strings(body: dict[str, Any], *names: str) -> list[str]:
    values = [body.get(name) for name in names]
    if not all(isinstance(value, str) for value in values):
        raise bad(f"{', '.join(names)} must be strings")
    return [str(value) for value in values]


def _inputs(body: dict[str, Any]) -> list[str]:
    inputs = body.get("inputs", [])
    if not isinstance(inputs, list) or not all(isinstance(i, str) for i in inputs):
        raise bad("inputs must be a list of strings")
    try:
        return [str(parse_input(text)) for text in inputs]
    except ValueError as exc:
        raise bad(str(exc)) from None


async def list_calls(request: web.Request) -> web.Response:
    calls = state_of(request).calls.values()
    to = request.query.get("to")
    return web.json_response([c.emulator_json() for c in calls if to in (None, c.to)])


async def list_messages(request: web.Request) -> web.Response:
    messages = state_of(request).messages
    to = request.query.get("to")
    body = [
        {**m.as_json(), "created_at": m.created_at, "callbacks": m.callbacks}
        for m in messages
        if to in (None, m.to)
    ]
    return web.json_response(body)


async def list_requests(request: web.Request) -> web.Response:
    return web.json_response([r.as_json() for r in state_of(request).requests])


async def set_outcomes(request: web.Request) -> web.Response:
    body = await json_object(request)
    try:
        outcomes = {str(number): Outcome(value) for number, value in body.items()}
    except ValueError:
        raise bad(f"outcomes are {', '.join(o.value for o in Outcome)}") from None
    state = state_of(request)
    state.outcomes.update(outcomes)
    return web.json_response({number: o.value for number, o in state.outcomes.items()})


async def set_detection(request: web.Request) -> web.Response:
    """``{"moment": "answer" | "gather" | "after"}``: when asynchronous machine
    detection reports on the calls placed from now on."""
    moment = (await json_object(request)).get("moment")
    if moment not in MOMENTS:
        raise bad(f"moment is one of {', '.join(MOMENTS)}")
    state = state_of(request)
    state.detection_moment = MOMENTS[MOMENTS.index(moment)]
    return web.json_response({"moment": state.detection_moment})


async def add_script(request: web.Request) -> web.Response:
    body = await json_object(request)
    (number,) = strings(body, "number")
    state = state_of(request)
    state.script(number, _inputs(body))
    return web.json_response({"number": number, "inputs": list(state.scripts[number])})


async def add_failure(request: web.Request) -> web.Response:
    body = await json_object(request)
    try:
        forced = state_of(request).fail_next(
            body.get("resource", ""),
            body.get("to"),
            code=int(body["code"]),
            status=body.get("status"),
            times=int(body.get("times", 1)),
            message=body.get("message"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise bad(f"bad failure: {exc}") from None
    return web.json_response(forced.as_json(), status=201)


async def add_delivery_failure(request: web.Request) -> web.Response:
    body = await json_object(request)
    to, code, status, times = (body.get(name) for name in ("to", "code", "status", "times"))
    if not isinstance(to, str):
        raise bad("to must be a phone number")
    if isinstance(code, bool) or not isinstance(code, int):
        raise bad("code must be a Twilio error code")
    if not isinstance(status, str | None):
        raise bad("status must be failed or undelivered")
    if isinstance(times, bool) or not isinstance(times, int | None):
        raise bad("times must be a whole number or null")
    try:
        failure = state_of(request).fail_delivery(to, code, status=status or "", times=times)
    except ValueError as exc:
        raise bad(f"bad delivery failure: {exc}") from None
    return web.json_response(failure.as_json(), status=201)


async def add_slow(request: web.Request) -> web.Response:
    body = await json_object(request)
    # Types checked here: JSON's true is an int to Python, and "2" is no delay.
    delay, after, to, times = (body.get(name) for name in ("delay", "after", "to", "times"))
    if isinstance(delay, bool) or not isinstance(delay, int | float):
        raise bad("delay must be a number of seconds")
    if not isinstance(after, bool | None):
        raise bad("after must be true or false")
    if not isinstance(to, str | None):
        raise bad("to must be a phone number or null")
    if isinstance(times, bool) or not isinstance(times, int | None):
        raise bad("times must be a whole number")
    try:
        slow = state_of(request).slow_create(
            body.get("resource", ""),
            float(delay),  # an int too big for a float: OverflowError
            after=bool(after),
            to=to,
            times=1 if times is None else times,
        )
    except (ValueError, OverflowError) as exc:
        raise bad(f"bad slow create: {exc}") from None
    return web.json_response(slow.as_json(), status=201)


async def add_service(request: web.Request) -> web.Response:
    body = await json_object(request)
    numbers, sid = body.get("numbers"), body.get("sid")
    if not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers):
        raise bad("numbers must be a list of the account's numbers")
    if not isinstance(sid, str | None):
        raise bad("sid must be a string or null")
    try:
        service = state_of(request).add_service(numbers, sid=sid)
    except EmulatorError as exc:
        raise bad(str(exc)) from None
    return web.json_response(service.as_json(api_base(request)), status=201)


async def inbound_sms(request: web.Request) -> web.Response:
    body = await json_object(request)
    from_, to, text = strings(body, "from", "to", "body")
    try:
        replies = await state_of(request).inbound_sms(from_, to, text)
    except NotConfigured as exc:
        raise bad(str(exc)) from None
    except WebhookFailed as exc:
        return web.json_response({"error": exc.detail, "code": exc.code}, status=502)
    return web.json_response({"replies": replies})


async def inbound_call(request: web.Request) -> web.Response:
    body = await json_object(request)
    from_, to = strings(body, "from", "to")
    state = state_of(request)
    inputs = _inputs(body)
    state.scripts.pop(from_, None)  # this call's inputs, not leftovers
    state.script(from_, inputs)
    try:
        call = await state.inbound_call(from_, to)
    except NotConfigured as exc:
        raise bad(str(exc)) from None
    return web.json_response(call.emulator_json())


async def reset(request: web.Request) -> web.Response:
    state_of(request).reset()
    return web.json_response({"reset": True})
