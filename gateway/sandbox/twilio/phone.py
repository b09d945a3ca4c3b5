"""``/_twilio/phone``: the softphone's line into the emulator from another process.

- ``POST /_twilio/phone/call`` ``{from, to}``: call one of our numbers -> ``{sid}``;
- ``POST /_twilio/phone/answer`` ``{number}``: answer calls to ``number`` from here on;
- ``GET /_twilio/phone/ringing?number=N&timeout=S``: the next call to ``number``
  -> ``{state: "ringing", sid, from}``, or ``{state: "waiting"}``;
- ``GET /_twilio/phone/calls/{sid}/next?timeout=S``: the next Gather
  ``{state: "gather", heard, input, num_digits, finish_on_key}``, the end
  ``{state: "ended", status, heard}``, or ``{state: "waiting"}``;
- ``POST /_twilio/phone/calls/{sid}/input`` ``{input}``: the answer to that Gather;
- ``GET /_twilio/phone/messages?number=N&from=F&after=K&timeout=S``: the messages
  sent to ``number`` (from ``from``, if given) since cursor ``after``
  -> ``{messages: [{sid, from, to, body, direction}], next}``, waiting up to
  ``timeout`` seconds for one; ``next`` is the cursor for the following request.

``heard`` is a list of ``[kind, value]``: ``say``, ``play``, ``error``.
The long-polls (``ringing``, ``messages``) answer "nothing yet" at once when
the emulator shuts down or is reset, rather than hold a stopping server up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web

from gateway.sandbox.twilio.calls import CallRecord
from gateway.sandbox.twilio.control import bad, json_object, strings
from gateway.sandbox.twilio.errors import NotConfigured
from gateway.sandbox.twilio.inbound import begin_inbound_call
from gateway.sandbox.twilio.messages import MessageRecord
from gateway.sandbox.twilio.remote import RemotePhone
from gateway.sandbox.twilio.state import TwilioState
from gateway.sandbox.twilio.views.common import state_of

MAX_WAIT = 60.0

T = TypeVar("T")


def remote_phone(state: TwilioState, number: str) -> RemotePhone:
    """The RemotePhone answering for ``number``, put in place if need be."""
    current = state.responders.get(number)
    if isinstance(current, RemotePhone):
        return current
    phone = RemotePhone()
    state.responders[number] = phone
    return phone


def _timeout(request: web.Request) -> float:
    try:
        return min(max(float(request.query.get("timeout", "25")), 0.0), MAX_WAIT)
    except ValueError:
        raise bad("timeout must be a number of seconds") from None


async def _unless_stopped(state: TwilioState, work: Callable[[], Awaitable[T]]) -> T | None:
    """``await work()``; None if the emulator shuts down or is reset meanwhile.

    The wait runs as one of the state's tasks because shutdown and ``reset``
    cancel those, and a server stopping waits for every open request first.
    (``settle()`` waits for it too, at most for the long-poll's timeout.)
    """
    done: list[T] = []

    async def wait() -> None:
        done.append(await work())

    task = state.spawn(wait())
    try:
        await asyncio.wait({task})
    finally:
        task.cancel()  # the request itself timed out or went away
    if task.cancelled():
        return None
    task.result()  # an error in ``work()`` is the request's error
    return done[0]


def _call(request: web.Request) -> tuple[CallRecord, RemotePhone]:
    call = state_of(request).calls.get(request.match_info["sid"])
    if call is None:
        raise web.HTTPNotFound(text='{"error": "no such call"}', content_type="application/json")
    phone = state_of(request).responders.get(call.respondent)
    if not isinstance(phone, RemotePhone):
        raise bad("this call is not answered from a softphone")
    return call, phone


async def place(request: web.Request) -> web.Response:
    from_, to = strings(await json_object(request), "from", "to")
    state = state_of(request)
    remote_phone(state, from_)
    try:
        call, _ = begin_inbound_call(state, from_, to)
    except NotConfigured as exc:
        raise bad(str(exc)) from None
    return web.json_response({"sid": call.sid}, status=201)


async def answer(request: web.Request) -> web.Response:
    (number,) = strings(await json_object(request), "number")
    remote_phone(state_of(request), number)
    return web.json_response({"number": number})


async def ringing(request: web.Request) -> web.Response:
    state, number = state_of(request), request.query.get("number", "")
    phone = remote_phone(state, number)
    watched = state.watch(number)
    try:
        async with asyncio.timeout(_timeout(request)):
            call = await _unless_stopped(
                state, lambda: _next_unannounced(state, phone, number, watched)
            )
    except TimeoutError:
        call = None
    finally:
        state.unwatch(number, watched)
    if call is None:
        return web.json_response({"state": "waiting"})
    phone.announced.add(call.sid)
    return web.json_response({"state": "ringing", "sid": call.sid, "from": call.from_})


async def _next_unannounced(
    state: TwilioState, phone: RemotePhone, number: str, watched: asyncio.Queue[Any]
) -> CallRecord:
    for call in state.active_calls():  # placed before the softphone asked
        outbound = call.to == number and call.direction == "outbound-api"
        if outbound and call.sid not in phone.announced:
            return call
    while True:
        item = await watched.get()
        if isinstance(item, CallRecord) and item.direction == "outbound-api":
            return item


async def next_turn(request: web.Request) -> web.Response:
    call, phone = _call(request)
    return web.json_response(await phone.next_turn(call, _timeout(request)))


async def send_input(request: web.Request) -> web.Response:
    call, phone = _call(request)
    (text,) = strings(await json_object(request), "input")
    try:
        phone.answer(call, text)
    except ValueError as exc:
        raise bad(str(exc)) from None
    return web.json_response({"sid": call.sid, "input": text})


def _cursor(request: web.Request) -> int:
    try:
        return max(int(request.query.get("after", "0")), 0)
    except ValueError:
        raise bad("after must be a whole number") from None


def _messages_to(
    state: TwilioState, number: str, sender: str | None, after: int
) -> list[MessageRecord]:
    """Messages to ``number`` from index ``after`` on; a message Twilio refused never arrives."""
    if after > len(state.messages):
        after = 0  # the emulator was reset since: everything there now is new
    return [
        message
        for message in state.messages[after:]
        if message.to == number and sender in (None, message.from_) and message.arrives
    ]


def _message_json(message: MessageRecord) -> dict[str, Any]:
    return {
        "sid": message.sid,
        "from": message.from_,
        "to": message.to,
        "body": message.body,
        "direction": message.direction,
    }


async def messages(request: web.Request) -> web.Response:
    state, number = state_of(request), request.query.get("number", "")
    if not number:
        raise bad("number is required")
    sender, after, wait = request.query.get("from"), _cursor(request), _timeout(request)
    watched = state.watch(number)  # before looking, so nothing slips in between
    try:
        async with asyncio.timeout(wait):
            while not (found := _messages_to(state, number, sender, after)):
                if await _unless_stopped(state, watched.get) is None:
                    break
    except TimeoutError:
        found = []
    finally:
        state.unwatch(number, watched)
    body = {"messages": [_message_json(m) for m in found], "next": len(state.messages)}
    return web.json_response(body)


def phone_routes() -> list[web.RouteDef]:
    return [
        web.post("/phone/call", place),
        web.post("/phone/answer", answer),
        web.get("/phone/ringing", ringing),
        web.get("/phone/calls/{sid}/next", next_turn),
        web.post("/phone/calls/{sid}/input", send_input),
        web.get("/phone/messages", messages),
    ]
