"""A respondent on the phone from another process: one Gather at a time, over HTTP.

The terminal softphone runs apart from the emulator (``gateway demo`` in one
terminal, ``gateway phone`` in another), so it cannot be an in-process
responder. ``RemotePhone`` is that responder's stand-in: each Gather waits
until the softphone, having been shown what was heard (``next_turn``),
POSTs the respondent's input (``answer``).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

from gateway.sandbox.twilio.calls import CallRecord
from gateway.sandbox.twilio.respondent import GatherEvent, parse_input


def since_last_input(call: CallRecord) -> list[tuple[str, str]]:
    """What the call said after the respondent's last input (a closing message, an error)."""
    inputs = [index for index, (kind, _) in enumerate(call.transcript) if kind == "input"]
    start = inputs[-1] + 1 if inputs else 0
    return list(call.transcript[start:])


def _turn_json(event: GatherEvent) -> dict[str, Any]:
    return {
        "state": "gather",
        "heard": [list(entry) for entry in event.heard],
        "input": event.input,
        "num_digits": event.num_digits,
        "finish_on_key": event.finish_on_key,
    }


class RemotePhone:
    """A responder whose answers arrive over HTTP, kept per call."""

    def __init__(self) -> None:
        self.announced: set[str] = set()  # calls already handed to the softphone
        self._turns: defaultdict[str, asyncio.Queue[GatherEvent]] = defaultdict(asyncio.Queue)
        self._inputs: defaultdict[str, asyncio.Queue[str]] = defaultdict(asyncio.Queue)

    async def __call__(self, event: GatherEvent) -> str:
        sid = event.call.sid
        self._turns[sid].put_nowait(event)
        return await self._inputs[sid].get()

    def answer(self, call: CallRecord, text: str) -> None:
        """The respondent's input for the call's current Gather (checked: ValueError)."""
        self._inputs[call.sid].put_nowait(str(parse_input(text)))

    async def next_turn(self, call: CallRecord, wait: float) -> dict[str, Any]:
        """The call's next Gather, its end, or ``{"state": "waiting"}`` after ``wait`` seconds."""
        turn = asyncio.ensure_future(self._turns[call.sid].get())
        ended = asyncio.ensure_future(call.finished.wait())
        try:
            await asyncio.wait({turn, ended}, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in (turn, ended):
                waiting.cancel()
        if call.finished.is_set():  # a Gather left behind by a hang-up is moot
            self._turns.pop(call.sid, None)
            self._inputs.pop(call.sid, None)
            heard = [list(entry) for entry in since_last_input(call)]
            return {"state": "ended", "status": call.status, "heard": heard}
        if turn.done() and not turn.cancelled():
            return _turn_json(turn.result())
        return {"state": "waiting"}
