"""Reject ``/twilio/*`` requests that Twilio did not sign (``X-Twilio-Signature``).

Twilio signs the URL it *called* (the public https address set in the console
or in TwiML) together with the POST parameters. Behind a TLS-terminating
proxy or load balancer the gateway is reached as something else
(``http://10.0.0.7:8080``), and the Host header is whatever the client chose,
so the signed URL is rebuilt from ``GATEWAY_PUBLIC_URL`` plus the path and
query exactly as received (still percent-encoded); the Host header and the
socket address are never used. Twilio's ``RequestValidator`` compares in
constant time and accepts the URL with or without its default port.

Bodies: form parameters (what voice and SMS webhooks send) are signed with
the URL, every value of a repeated key included. A JSON body is accepted only
through Twilio's ``bodySHA256`` route: the signature covers the URL, whose
``bodySHA256`` query parameter is the SHA-256 of the body; a JSON body without
it is unauthenticated and rejected. Any other body (multipart, text) is
nothing Twilio sends and is rejected too.
"""

from __future__ import annotations

import functools
import hmac
import time
from typing import Any, Final
from urllib.parse import urlparse

from aiohttp import web
from aiohttp.typedefs import Handler
from multidict import MultiDict
from pydantic import SecretStr
from twilio.request_validator import (
    HMAC_SHA1,
    HMAC_SHA256,
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    add_port,
    get_signature_algorithm,
    remove_port,
)

from gateway.config import Settings
from gateway.logging import clip, get_logger
from gateway.twilio import urls
from gateway.web.keys import SETTINGS

log = get_logger(__name__)

PROTECTED_PREFIX: Final = urls.PREFIX
INVALID_SIGNATURE_TEXT: Final = "Invalid Twilio signature"

# Checked here rather than left to RequestValidator.validate, which would
# log its own warning line through the standard library.
_ALGORITHMS: Final = frozenset({HMAC_SHA1, HMAC_SHA256})
_FORM_TYPES: Final = frozenset({"", "application/x-www-form-urlencoded"})


class OncePerPeriod:
    """Which of a repeated ERROR's lines to write: the first per key and period.

    A missing secret is reported on every request it breaks, and anyone can
    send such requests: without a limit, one ERROR each would flood the logs
    and an operator's alerts. The requests themselves still log their
    rejection (a WARNING); the ERROR says what to fix, once a minute, with
    how many times it was held back since.
    """

    def __init__(self, period: float = 60.0) -> None:
        self.period = period
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def due(self, key: str) -> int | None:
        """How many were held back since the last line when one is due now, else None."""
        now = time.monotonic()
        last = self._last.get(key)
        if last is not None and now - last < self.period:
            self._held[key] = self._held.get(key, 0) + 1
            return None
        self._last[key] = now
        return self._held.pop(key, 0)


MISCONFIGURATION_LOG = web.AppKey("misconfiguration_log", OncePerPeriod)


@web.middleware
async def twilio_signature(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer 403 to an unsigned or badly signed ``/twilio/*`` request; pass the rest."""
    settings = request.app[SETTINGS]
    if not request.path.startswith(PROTECTED_PREFIX) or not settings.gateway_validate_signatures:
        return await handler(request)
    reason = await _rejection(request, settings)
    if reason is not None:
        # The path only: the query string and the body can hold phone numbers.
        log.warning(
            "twilio_signature_invalid",
            method=clip(request.method),
            path=clip(request.path),
            reason=reason,
        )
        return web.Response(status=403, text=INVALID_SIGNATURE_TEXT)
    return await handler(request)


async def _rejection(request: web.Request, settings: Settings) -> str | None:
    """Why the request is not validly signed, or None when it is."""
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not signature:
        return "missing"
    signature_settings = request.headers.get(SIGNATURE_SETTINGS_HEADER, "").strip()
    if signature_settings:
        # A Twilio "Webhook Setting" signs with its own shared key, not the auth token.
        secret = _secret(settings.gateway_webhook_shared_key)
        if secret is None:
            _misconfigured(
                request,
                "twilio_webhook_shared_key_not_configured",
                detail="Twilio signed this webhook with a shared key (Webhook Settings); "
                "set GATEWAY_WEBHOOK_SHARED_KEY to that key's secret",
            )
            return "shared_key_not_configured"
        algorithm = get_signature_algorithm(signature_settings).upper()
        if algorithm not in _ALGORITHMS:
            return "unsupported_algorithm"
    else:
        secret, algorithm = _secret(settings.twilio_auth_token), HMAC_SHA1
        if secret is None:
            # An empty key would make every signature forgeable.
            _misconfigured(request, "twilio_auth_token_empty", detail="set TWILIO_AUTH_TOKEN")
            return "auth_token_not_configured"
    params = await _signed_params(request)
    if params is None:
        return "unsupported_body"
    url = settings.gateway_public_url + request.raw_path
    if isinstance(params, str):  # a JSON body: the library checks its bodySHA256 too
        valid = RequestValidator(secret).validate(url, params, signature, algorithm)
    else:
        valid = _form_signed(RequestValidator(secret), url, params, signature, algorithm)
    return None if valid else "mismatch"


def _form_signed(
    validator: RequestValidator,
    url: str,
    params: MultiDict[str],
    signature: str,
    algorithm: str,
) -> bool:
    """``RequestValidator.validate`` for a form body, with the same answer.

    ``validate`` always signs the URL both without and with its default port
    and compares each a character at a time in Python; nearly every webhook
    matches the first, so it is tried alone first. Each signature is still
    the library's own (``compute_signature``), compared in constant time.
    """
    if not signature.isascii():
        return False  # never a base64 signature (and compare_digest refuses it)
    return any(
        hmac.compare_digest(validator.compute_signature(form, params, algorithm), signature)
        for form in _url_forms(url)
    )


def _url_forms(url: str) -> tuple[str, str]:
    """``url`` without and with its default port, as ``validate`` signs them.

    Parsing and rebuilding the URL was a third of the check. A call's URLs
    differ only in their query string (turn, interaction), which the two
    forms carry through unchanged: those of the part before it are kept.
    """
    head, mark, query = url.partition("?")
    if mark and query and "#" not in url:
        without, with_port = _kept_url_forms(head)
        return f"{without}?{query}", f"{with_port}?{query}"
    return _kept_url_forms(url)


@functools.lru_cache(maxsize=256)
def _kept_url_forms(url: str) -> tuple[str, str]:
    # Bounded: a caller's odd paths cannot make it hold more than a few MB.
    parsed = urlparse(url)
    return remove_port(parsed), add_port(parsed)


def _misconfigured(request: web.Request, event: str, **fields: Any) -> None:
    held = request.app[MISCONFIGURATION_LOG].due(event)
    if held is not None:
        log.error(event, **fields, **({"held_back": held} if held else {}))


def _secret(value: SecretStr | None) -> str | None:
    secret = value.get_secret_value() if value is not None else ""
    return secret or None


async def _signed_params(request: web.Request) -> MultiDict[str] | str | None:
    """What the signature covers besides the URL; None for a body it cannot cover.

    A MultiDict keeps repeated keys: RequestValidator reads them with
    ``getall``. A string is a JSON body, for the ``bodySHA256`` check.
    """
    if request.content_type == "application/json":
        if "bodySHA256" not in request.query:
            return None
        try:
            return (await request.read()).decode("utf-8")
        except UnicodeDecodeError:
            return None
    if request.body_exists and request.content_type not in _FORM_TYPES:
        return None
    # For GET (and other methods without a form) this is empty: the query
    # string is part of the signed URL.
    form = await request.post()
    return MultiDict((key, value) for key, value in form.items() if isinstance(value, str))
