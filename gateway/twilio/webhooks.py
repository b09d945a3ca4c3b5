"""Twilio's webhooks as aiohttp sees them: the form Twilio posts, the TwiML it gets back.

Handlers of both channels read requests through these helpers, so a field
is read (and bounded) one way, a malformed request is a 400 with a plain
reason, and every answer is TwiML with the right content type.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from aiohttp import web

CALL_SID: Final = re.compile(r"CA[0-9a-fA-F]{32}")
# SM (SMS) or MM (MMS) followed by 32 hex digits.
MESSAGE_SID: Final = re.compile(r"(SM|MM)[0-9a-fA-F]{32}")
# Longer than any field Twilio sends; bounds what a forged request can make us hold.
MAX_FIELD: Final = 4096

Form = Mapping[str, str]


async def read_form(request: web.Request) -> dict[str, str]:
    """The posted form's plain fields (Twilio sends nothing else; file parts are ignored)."""
    return {key: value for key, value in (await request.post()).items() if isinstance(value, str)}


def field(form: Form, name: str, limit: int = MAX_FIELD) -> str:
    """A form field, "" when absent, at most ``limit`` characters."""
    return form.get(name, "")[:limit]


def bad_request(reason: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=f"Bad request: {reason}\n")


def twiml_response(text: str) -> web.Response:
    return web.Response(text=text, content_type="text/xml", charset="utf-8")
