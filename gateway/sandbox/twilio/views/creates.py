"""Answering ``POST /Calls.json`` and ``POST /Messages.json`` with the test knobs applied.

A slow create (``TwilioState.slow_create``, see ``faults``) is taken when the
request arrives; forced errors, Twilio's checks and the creation itself
happen when the request "reaches Twilio": at once, or when an ``after=False``
delay is over.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aiohttp import web

from gateway.sandbox.twilio.errors import TwilioError
from gateway.sandbox.twilio.faults import Resource
from gateway.sandbox.twilio.middleware import error_response
from gateway.sandbox.twilio.params import Form
from gateway.sandbox.twilio.state import TwilioState
from gateway.sandbox.twilio.views.common import resource, state_of

# Checks ``form``, creates the record and answers its JSON (Twilio's 201 body).
Make = Callable[[TwilioState, Form], dict[str, Any]]

# A create cut short by reset or shutdown before it was made: nothing exists,
# and 503 is what a client treats as "not done, try again".
_STOPPED = TwilioError(503, 20503, "Service Unavailable: the emulator was reset or is stopping")


async def answer_create(request: web.Request, kind: Resource, make: Make) -> web.Response:
    state = state_of(request)
    form = await Form.read(request)
    to = form.get("To") or ""
    slow = state.slow.take(kind, to)

    def create() -> web.Response:
        # Errors become answers here, so that a late answer is late whatever it says.
        forced = state.forced.error(kind, to)
        if forced is not None:
            return error_response(forced)
        try:
            return resource(make(state, form), status=201)
        except TwilioError as exc:
            return error_response(exc)

    if slow is None:
        return create()
    if slow.after:
        answer = create()
        await _late_answer(state, slow.delay)
        return answer
    return await _late_but_sure(state, slow.delay, create)


async def _late_answer(state: TwilioState, delay: float) -> None:
    """Wait ``delay`` before answering; reset and shutdown end the wait early.

    The wait is one of the state's tasks because those are what reset and
    shutdown cancel (a stopping server waits for open requests). If the
    client leaves, nobody needs the wait any more: it is cancelled with the
    handler, so ``settle()`` does not wait for it.
    """
    task = state.spawn(asyncio.sleep(delay))
    try:
        await asyncio.wait({task})
    finally:
        task.cancel()


async def _late_but_sure(
    state: TwilioState, delay: float, create: Callable[[], web.Response]
) -> web.Response:
    """Wait ``delay``, then create, even if the client leaves meanwhile.

    The request was sent, so Twilio has it. Whether aiohttp cancels the
    handler of a departed client depends on the server (``web.run_app`` does
    not by default, aiohttp's test server does); ``asyncio.wait`` never
    cancels what it waits for, so the work goes on either way. It is one of
    the state's tasks, so reset and shutdown can cancel it: then nothing is
    created, and a client still waiting hears 503.
    """

    async def later() -> web.Response:
        await asyncio.sleep(delay)
        return create()

    task = state.spawn(later())
    await asyncio.wait({task})
    if task.cancelled():
        return error_response(_STOPPED)
    return task.result()
