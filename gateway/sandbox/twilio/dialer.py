"""A call's life, outbound and inbound: ringing, answering, TwiML, the final status.

Outbound (``POST /Calls.json``): queued -> initiated -> ringing -> one of
busy / no-answer / failed, or answered (in-progress) and the Url's TwiML is
followed -> the final status. The outcome comes from the number dialled
(``TwilioState.outcomes``). Inbound (``inbound_call``): ringing -> the number's
VoiceUrl is followed (a first ``<Reject>`` refuses the call) -> completed.

Each call runs in its own task, kept in ``TwilioState.tasks`` so that app
shutdown cancels it; ``call.finished`` is set however it ends.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import TYPE_CHECKING

from gateway.logging import get_logger
from gateway.sandbox.twilio.callbacks import StatusCallbacks
from gateway.sandbox.twilio.calls import CallRecord
from gateway.sandbox.twilio.detection import AsyncDetection, answered_by
from gateway.sandbox.twilio.interpreter import Fetch, Inline, Interpreter
from gateway.sandbox.twilio.line import HangUp, Interrupted
from gateway.sandbox.twilio.respondent import GatherEvent, Input, Outcome, next_input
from gateway.sandbox.twilio.sids import utc_now

if TYPE_CHECKING:
    from gateway.sandbox.twilio.state import TwilioState

log = get_logger(__name__)


def _interpreter(
    state: TwilioState,
    call: CallRecord,
    respondent: str,
    machine: bool = False,
    detection: AsyncDetection | None = None,
) -> Interpreter:
    def ask(event: GatherEvent) -> Awaitable[Input]:
        return next_input(state.scripts, state.responders, event)

    return Interpreter(
        call,
        state.webhooks(),
        ask,
        respondent=respondent,
        max_requests=state.max_webhooks,
        machine=machine,
        detection=detection,
    )


async def _outbound(state: TwilioState, call: CallRecord, callbacks: StatusCallbacks) -> str:
    outcome = state.outcome_for(call.to)
    if outcome is Outcome.HOLD:
        await call.line.hold()
    await callbacks.send("initiated")
    if outcome is Outcome.FAILED:
        return "failed"
    await call.line.run(asyncio.sleep(state.ring_delay))
    await callbacks.send("ringing")
    await call.line.run(asyncio.sleep(state.ring_delay))
    if outcome in (Outcome.BUSY, Outcome.NO_ANSWER):
        return outcome.value
    machine = outcome is Outcome.MACHINE
    result, detection = answered_by(call.machine_detection, machine), None
    if result is not None and call.async_amd_callback is not None:
        detection = AsyncDetection(call, state.webhooks(), result, state.detection_moment)
    elif result is not None:
        call.answered_by = result  # decided before the first webhook, which says so
    call.start_time, call.answered_at = utc_now(), time.monotonic()
    await callbacks.send("in-progress")
    first = Inline(call.twiml) if call.twiml is not None else Fetch(call.url or "", call.method)
    interpreter = _interpreter(state, call, call.to, machine=machine, detection=detection)
    status = await interpreter.run(first)
    if detection is not None:
        await detection.report()  # the call ended before its moment came
    return status


async def _inbound(state: TwilioState, call: CallRecord) -> str:
    call.status = "ringing"
    return await _interpreter(state, call, call.from_).run(Fetch(call.url or "", call.method))


async def _lifecycle(state: TwilioState, call: CallRecord, outbound: bool) -> None:
    callbacks = StatusCallbacks(call, state.webhooks())
    try:
        try:
            status = await (
                _outbound(state, call, callbacks) if outbound else _inbound(state, call)
            )
        except Interrupted as exc:  # hung up through the API before it was answered
            status = exc.command.status if isinstance(exc.command, HangUp) else "canceled"
        except Exception as exc:
            # A responder that raised, or an emulator bug: show it on the call
            # (and in the log) rather than let the task die unseen.
            log.exception("emulated_call_crashed", call_sid=call.sid)
            call.transcript.append(("error", f"emulator: {exc!r}"))
            status = "failed"
        await callbacks.finish(status)
    finally:
        call.finished.set()


def start_call(state: TwilioState, call: CallRecord, *, outbound: bool) -> asyncio.Task[None]:
    """Run ``call`` in a task that shutdown (and ``reset``) cancels."""
    return state.spawn(_lifecycle(state, call, outbound))
