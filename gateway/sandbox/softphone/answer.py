"""``gateway phone answer``: wait for calls placed to a number, and take them.

Calls to the number wait for the softphone from the moment it starts, even
between two calls or after it quits: the next ``phone answer`` is told of a
call already waiting.
"""

from __future__ import annotations

import asyncio

from gateway.sandbox.softphone.call import HOW_TO, hang_up_quietly, take_call
from gateway.sandbox.softphone.console import Console
from gateway.sandbox.softphone.events import Ring
from gateway.sandbox.softphone.sandbox import SandboxPhone


async def _pick_up(phone: SandboxPhone, console: Console, ring: Ring) -> bool:
    """Ask the user; False (and the call hung up) when they quit instead (Ctrl-D)."""
    prompt = f"Incoming call from {ring.caller} (Enter to answer, Ctrl-D to quit) "
    try:
        line = await console.read(prompt)
    except asyncio.CancelledError:
        await hang_up_quietly(phone, ring.sid)
        raise
    if line is None:
        await hang_up_quietly(phone, ring.sid)
        console.show("-- call declined")
        return False
    console.show(HOW_TO)
    return True


async def answer_calls(
    phone: SandboxPhone, console: Console, number: str, *, once: bool
) -> str | None:
    """Take calls to ``number`` until the user quits (or after one with ``once``).

    The final status of the last call taken; None if none was.
    """
    await phone.pick_up(number)
    status: str | None = None
    while True:
        console.show(f"Waiting for calls to {number} (Ctrl-C to stop)")
        ring = await phone.wait_for_ring(number)
        if not await _pick_up(phone, console, ring):
            return status
        status = await take_call(phone, ring.sid, console)
        if once:
            return status
