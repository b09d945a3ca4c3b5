"""``SandboxPhone``: the Twilio emulator's softphone API, over HTTP.

The only module that knows the emulator's paths and status codes (see
``gateway.sandbox.twilio.phone``): callers get events and ``SandboxError``s.
Every request has a timeout. Long-polls ask the emulator to hold on for
``poll_wait`` seconds and ask again while it has nothing to tell.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from gateway.sandbox.softphone.errors import (
    SandboxError,
    SandboxRefused,
    SandboxUnreachable,
    WebhookFailed,
)
from gateway.sandbox.softphone.events import (
    Ring,
    Text,
    Turn,
    ring_from_json,
    texts_from_json,
    turn_from_json,
)

DEFAULT_SANDBOX = "http://127.0.0.1:8081/twilio"
REQUEST_TIMEOUT = 10.0
# Short enough that a server shutting down (it waits for open requests) is not
# held up for long by a softphone that went away mid-poll.
POLL_WAIT = 10.0
# The emulator gives the gateway's SMS webhook up to 15 s, as Twilio does.
SMS_TIMEOUT = 30.0


def _answer(base_url: str, status: int, raw: bytes) -> dict[str, Any]:
    """The JSON object the emulator answered, or its error as a SandboxError."""
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if not isinstance(body, dict) or (status == 404 and "error" not in body):
        # Something else answers there: another server, or a URL without /twilio.
        raise SandboxError(
            f"no Twilio emulator at {base_url} (HTTP {status}); "
            f"the sandbox serves it under /twilio, e.g. {DEFAULT_SANDBOX}"
        )
    if status == 502:
        code = body.get("code")
        raise WebhookFailed(str(body.get("error", "")), code if isinstance(code, int) else None)
    if status >= 400:
        raise SandboxRefused(str(body.get("error", f"HTTP {status}")))
    return body


class SandboxPhone:
    """One respondent's line into the emulator at ``base_url`` (``.../twilio``)."""

    def __init__(
        self, http: aiohttp.ClientSession, base_url: str, *, poll_wait: float = POLL_WAIT
    ) -> None:
        self._http = http
        self.base_url = base_url.rstrip("/")
        self._poll_wait = poll_wait

    async def place_call(self, caller: str, callee: str) -> str:
        """Ring ``callee`` (one of our numbers) from ``caller``: the call's sid."""
        body = await self._request("POST", "phone/call", json={"from": caller, "to": callee})
        if not isinstance(body.get("sid"), str):
            raise SandboxError("the sandbox placed the call but sent no call sid")
        return str(body["sid"])

    async def pick_up(self, number: str) -> None:
        """From now on, calls to ``number`` wait for this softphone to answer their Gathers."""
        await self._request("POST", "phone/answer", json={"number": number})

    async def wait_for_ring(self, number: str) -> Ring:
        """The next call placed to ``number`` (however long that takes)."""
        while True:
            ring = ring_from_json(await self._poll("phone/ringing", {"number": number}))
            if ring is not None:
                return ring

    async def next_turn(self, sid: str) -> Turn:
        """The call's next Gather, or its end."""
        while True:
            turn = turn_from_json(await self._poll(f"phone/calls/{sid}/next", {}))
            if turn is not None:
                return turn

    async def send_input(self, sid: str, text: str) -> None:
        """Answer the call's Gather: digits, ``speech:...``, ``silence`` or ``hangup``."""
        await self._request("POST", f"phone/calls/{sid}/input", json={"input": text})

    async def send_sms(self, sender: str, to: str, body: str) -> None:
        """Text ``body`` to ``to``; the replies arrive as texts (``texts``)."""
        message = {"from": sender, "to": to, "body": body}
        await self._request("POST", "inbound/sms", json=message, seconds=SMS_TIMEOUT)

    async def texts(
        self, number: str, sender: str, after: int, wait: float
    ) -> tuple[list[Text], int]:
        """Texts to ``number`` from ``sender`` since cursor ``after`` (waiting up to
        ``wait`` seconds for one), and the cursor to ask from next."""
        params = {"number": number, "from": sender, "after": str(after), "timeout": str(wait)}
        seconds = wait + REQUEST_TIMEOUT
        return texts_from_json(
            await self._request("GET", "phone/messages", params=params, seconds=seconds)
        )

    async def _poll(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        query = {**params, "timeout": str(self._poll_wait)}
        seconds = self._poll_wait + REQUEST_TIMEOUT
        return await self._request("GET", path, params=query, seconds=seconds)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: dict[str, str] | None = None,
        seconds: float = REQUEST_TIMEOUT,
    ) -> dict[str, Any]:
        url = f"{self.base_url}/_twilio/{path}"
        limit = aiohttp.ClientTimeout(total=seconds)
        try:
            async with self._http.request(
                method, url, params=params, json=json, timeout=limit
            ) as response:
                return _answer(self.base_url, response.status, await response.read())
        except (aiohttp.ClientError, TimeoutError):
            raise SandboxUnreachable(self.base_url) from None
