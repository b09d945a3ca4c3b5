"""A call played out on the console: what the respondent hears, then their answer, to the end.

The emulator holds each Gather until the softphone answers it, so the call
moves at the user's pace; silence is an empty line, not a wait.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable

from gateway.sandbox.softphone.console import Console
from gateway.sandbox.softphone.errors import SandboxError
from gateway.sandbox.softphone.events import Ended, Gather, Heard
from gateway.sandbox.softphone.keypad import NotAccepted, heard_line, hint, to_input
from gateway.sandbox.softphone.sandbox import SandboxPhone

HOW_TO = "Type digits for keys, words to speak, Enter for silence, Ctrl-D to hang up."
HANG_UP_TIMEOUT = 2.0


def show_heard(console: Console, heard: Iterable[Heard]) -> None:
    for kind, value in heard:
        console.show(heard_line(kind, value))


async def hang_up_quietly(phone: SandboxPhone, sid: str) -> None:
    """Hang up on the way out (Ctrl-C), so the emulator does not wait on a Gather forever."""
    with contextlib.suppress(SandboxError, TimeoutError):
        async with asyncio.timeout(HANG_UP_TIMEOUT):
            await phone.send_input(sid, "hangup")


async def _answer(console: Console, gather: Gather) -> str:
    """The respondent's input for ``gather``, asked again until it is one the Gather takes."""
    while True:
        line = await console.read(f"({hint(gather)}) > ")
        if line is None:
            console.show("-- you hung up")
            return "hangup"
        try:
            return to_input(line, gather)
        except NotAccepted as exc:
            console.show(str(exc))


async def take_call(phone: SandboxPhone, sid: str, console: Console) -> str:
    """Play call ``sid`` out on the console; its final status (``completed``, ``failed``...)."""
    try:
        while True:
            turn = await phone.next_turn(sid)
            show_heard(console, turn.heard)
            if isinstance(turn, Ended):
                console.show(f"-- call ended ({turn.status})")
                return turn.status
            await phone.send_input(sid, await _answer(console, turn))
    except asyncio.CancelledError:
        await hang_up_quietly(phone, sid)
        raise


async def call_number(phone: SandboxPhone, console: Console, caller: str, callee: str) -> str:
    """``gateway phone call``: ring ``callee`` from ``caller`` and take the call."""
    sid = await phone.place_call(caller, callee)
    console.show(f"Calling {callee} from {caller}. {HOW_TO}")
    return await take_call(phone, sid, console)
