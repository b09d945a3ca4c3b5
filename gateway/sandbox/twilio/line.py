"""The line to a call in progress: how the REST API reaches a running call task.

``POST /Calls/{Sid}.json`` with ``Status=completed`` or a new ``Url`` must
reach the call wherever it is: fetching a webhook, ringing, waiting for the
respondent. The call task awaits those through ``Line.run``, which gives up
the awaited work as soon as a command arrives and raises ``Interrupted``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import NoReturn, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class HangUp:
    status: str  # the final status: "completed" or "canceled"


@dataclass(frozen=True)
class Redirect:
    """Continue the call with the TwiML at ``url`` (fetched with ``method``) or ``twiml``."""

    url: str | None
    method: str = "POST"
    twiml: str | None = None


Command = HangUp | Redirect


class Interrupted(Exception):
    def __init__(self, command: Command) -> None:
        super().__init__(command)
        self.command = command


class Line:
    def __init__(self) -> None:
        self._command: Command | None = None
        self._signal = asyncio.Event()

    def send(self, command: Command) -> None:
        """Deliver ``command``; a later one replaces one not yet acted on."""
        self._command = command
        self._signal.set()

    def check(self) -> None:
        """Raise ``Interrupted`` if a command is waiting."""
        command, self._command = self._command, None
        self._signal.clear()
        if command is not None:
            raise Interrupted(command)

    async def run(self, work: Awaitable[T]) -> T:
        """``await work``, unless a command arrives first (then ``Interrupted``)."""
        self.check()
        task = asyncio.ensure_future(work)
        signal = asyncio.ensure_future(self._signal.wait())
        try:
            await asyncio.wait({task, signal}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            pending = [t for t in (task, signal) if not t.done()]
            for waiting in pending:
                waiting.cancel()
            if pending:
                await asyncio.wait(pending)
        if self._command is not None:
            if not task.cancelled():
                task.exception()  # seen, so asyncio does not warn about it
            self.check()
        return task.result()

    async def hold(self) -> NoReturn:
        """Wait for a command and raise it: a call nobody picks up."""
        await self._signal.wait()
        self.check()
        raise AssertionError("unreachable: a set signal always carries a command")
