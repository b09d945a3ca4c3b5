"""Refuse a ``/twilio/*`` body nobody could read, before anything tries to read it.

Twilio posts UTF-8 forms (``application/x-www-form-urlencoded``) and, for a
few products, UTF-8 JSON (signed through ``bodySHA256``: see signature.py).
aiohttp's ``request.post()`` decodes a form with whatever charset the
request names, so an unknown charset, one that is not ASCII-compatible
(``utf-16``) or bytes that are not UTF-8 made it raise; the signature check
parses the form first, so anyone could cause a 500, a traceback at ERROR
and a 5xx in the metrics. Here such a body gets a 4xx decided from the
headers and the raw bytes alone, whether signatures are checked or not:

- a content type other than a form or JSON (multipart, text): 415;
- a charset other than UTF-8: 415;
- bytes, raw or percent-escaped, that are not UTF-8: 400 (aiohttp would
  silently turn escaped ones into U+FFFD, changing a respondent's answer).

Each is logged at INFO, with the reason and never the body.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import unquote_to_bytes

from aiohttp import web
from aiohttp.typedefs import Handler

from gateway.logging import clip, get_logger
from gateway.twilio import urls

log = get_logger(__name__)

_FORM: Final = "application/x-www-form-urlencoded"
_JSON: Final = "application/json"
_MULTIPART: Final = "multipart/form-data"
# "" is what aiohttp's form parser also takes for a form.
_TYPES: Final = frozenset({"", _FORM, _JSON})
# Compared as sent: a caller's charset name is never looked up in the codec
# registry, which would import whichever stdlib codec it names.
_CHARSETS: Final = frozenset({"utf-8", "utf8"})

# reason -> (status, text)
_REFUSALS: Final = {
    "content_type": (415, "Unsupported media type: send application/x-www-form-urlencoded"),
    "charset": (415, "Unsupported charset: send UTF-8"),
    "undecodable": (400, "Bad request: the body is not UTF-8"),
}


@web.middleware
async def webhook_body(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer 415 / 400 to a ``/twilio/*`` body that is not UTF-8 form or JSON; pass the rest."""
    # Without a body there is nothing to read, except that aiohttp's form
    # parser still parses an empty multipart body, and raises on it: a 500
    # for anyone who sent one.
    if not request.path.startswith(urls.PREFIX) or (
        not request.body_exists and request.content_type != _MULTIPART
    ):
        return await handler(request)
    reason = await _refusal(request)
    if reason is None:
        return await handler(request)
    status, text = _REFUSALS[reason]
    # The path only: the query string and the body can hold phone numbers.
    log.info("webhook_body_refused", path=clip(request.path), reason=reason, status=status)
    return web.Response(status=status, text=text + "\n")


async def _refusal(request: web.Request) -> str | None:
    """Why the body cannot be read, or None when it can."""
    content_type = request.content_type
    if content_type not in _TYPES:
        return "content_type"
    charset = request.charset
    if charset is not None and charset.strip().lower() not in _CHARSETS:
        return "charset"
    # Read once (bounded by the app's client_max_size); aiohttp keeps the
    # bytes, so the signature check and the handler parse these same ones.
    body = await request.read()
    try:
        text = body.decode("utf-8")
        if content_type != _JSON:
            unquote_to_bytes(text).decode("utf-8")
    except UnicodeDecodeError:
        return "undecodable"
    return None
