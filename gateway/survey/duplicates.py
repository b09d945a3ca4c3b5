"""Waiting out a duplicate webhook: the second delivery answers what the first one answers.

Twilio repeats a webhook it got no answer to in time, and a respondent's
phone may send a message twice. The first delivery claims the turn (or the
MessageSid) and does the work; a duplicate arriving meanwhile must not do it
again, so it polls the store until the first one's reply is there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

# How long a duplicate waits for the first delivery's reply: past this the
# first one has missed Twilio's 15 s anyway.
DUPLICATE_WAIT = 8.0
POLL = 0.1


async def wait_for_reply(
    fetch: Callable[[], Awaitable[T]],
    ready: Callable[[T], bool],
    *,
    wait: float = DUPLICATE_WAIT,
    poll: float = POLL,
) -> T:
    """Fetch until ``ready`` says the first delivery is done, at most ``wait`` seconds.

    Returns the last value fetched either way; the caller tells a settled
    one from a timed-out one with ``ready`` again.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        value = await fetch()
        if ready(value) or loop.time() >= deadline:
            return value
        await asyncio.sleep(poll)
