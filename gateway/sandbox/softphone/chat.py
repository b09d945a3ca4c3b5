"""``gateway phone sms``: a text chat between the respondent and one of our numbers.

Texts from our number are shown as they arrive, whoever sent them: the
gateway's replies, and messages the dispatcher sends on its own (the first
question of an SMS survey). Each is shown once, by its sid, however it was
learnt of: the long-poll running in the background, or the look taken right
after sending so the replies come before the next prompt.
"""

from __future__ import annotations

import asyncio
import contextlib

from gateway.sandbox.softphone.console import Console
from gateway.sandbox.softphone.errors import WebhookFailed
from gateway.sandbox.softphone.events import Text
from gateway.sandbox.softphone.sandbox import POLL_WAIT, SandboxPhone


def text_lines(text: Text) -> list[str]:
    """``< first line``, then the other lines of a multi-line text indented under it."""
    first, *rest = text.body.splitlines() or [""]
    return [f"< {first}", *(f"  {line}" for line in rest)]


class Inbox:
    """Texts to ``me`` from ``them``, shown once each, in order."""

    def __init__(self, phone: SandboxPhone, console: Console, me: str, them: str) -> None:
        self._phone, self._console = phone, console
        self._me, self._them = me, them
        self._cursor = 0
        self._seen: set[str] = set()

    async def fetch(self, wait: float = 0.0) -> list[Text]:
        """What arrived since the last look, waiting up to ``wait`` s for something."""
        texts, self._cursor = await self._phone.texts(self._me, self._them, self._cursor, wait)
        return texts

    def display(self, texts: list[Text]) -> None:
        for text in texts:
            if text.sid not in self._seen:
                self._seen.add(text.sid)
                for line in text_lines(text):
                    self._console.show(line)

    async def show_new(self, wait: float = 0.0) -> None:
        self.display(await self.fetch(wait))

    async def follow(self, wait: float) -> None:
        """Show texts as they arrive, until cancelled (or a SandboxError)."""
        while True:
            await self.show_new(wait)


async def _next_line(console: Console, follower: asyncio.Task[None]) -> str | None:
    """The user's next line; if the sandbox goes away first, its error ends the chat."""
    reading = asyncio.ensure_future(console.read("> "))
    try:
        await asyncio.wait({reading, follower}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not reading.done():
            reading.cancel()
    if reading.done() and not reading.cancelled():
        return reading.result()
    follower.result()  # raises: following only ever stops on an error
    raise AssertionError("the inbox stopped following without an error")


async def _send(phone: SandboxPhone, console: Console, me: str, them: str, body: str) -> None:
    try:
        await phone.send_sms(me, them, body)
    except WebhookFailed as exc:  # the gateway failed, not the sandbox: the chat goes on
        console.show(f"[Twilio: the message's webhook failed: {exc}]")


async def chat(
    phone: SandboxPhone, console: Console, me: str, them: str, *, poll_wait: float = POLL_WAIT
) -> None:
    """Chat until the end of input (Ctrl-D); an empty line sends nothing."""
    inbox = Inbox(phone, console, me, them)
    earlier = await inbox.fetch()  # e.g. the survey's first question; and is the sandbox up?
    console.show(f"Texting {them} from {me}. Type a message and press Enter; Ctrl-D to stop.")
    inbox.display(earlier)
    follower = asyncio.create_task(inbox.follow(poll_wait))
    try:
        while (line := await _next_line(console, follower)) is not None:
            if body := line.strip():
                await _send(phone, console, me, them, body)
                await inbox.show_new()
    finally:
        follower.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await follower
