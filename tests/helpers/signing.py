"""Sign test requests exactly as Twilio does, with twilio's own RequestValidator.

    resp = await signed_post(client, "/twilio/sms", {"From": "+61400000000"}, settings=settings)

The signature covers ``settings.gateway_public_url`` + path (and query), never
the test server's own address, as for a gateway behind a proxy. Headers given
by the caller win, so ``headers={"X-Twilio-Signature": "bogus"}`` sends a bad
signature on purpose.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from multidict import CIMultiDict, MultiDict
from twilio.request_validator import (
    HMAC_SHA1,
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)
from yarl import URL

from gateway.config import Settings

Params = Mapping[str, str] | Sequence[tuple[str, str]]

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


def form_pairs(params: Params) -> list[tuple[str, str]]:
    """The parameters as ordered (name, value) pairs; repeated names are kept."""
    if isinstance(params, Mapping):
        return list(params.items())
    return list(params)


def twilio_signature(url: str, params: Params, token: str, algorithm: str = HMAC_SHA1) -> str:
    """The X-Twilio-Signature Twilio would send for a request to ``url`` with ``params``."""
    validator = RequestValidator(token)
    return str(validator.compute_signature(url, MultiDict(form_pairs(params)), algorithm))


def public_url(settings: Settings, path: str) -> str:
    """The URL Twilio calls for ``path``, encoded as the test client will send it.

    The client re-encodes a path (``é`` -> ``%C3%A9``, a space -> ``+``); signing
    the encoded form keeps the signature over the bytes on the wire, as Twilio's is.
    """
    return settings.gateway_public_url + URL(path).raw_path_qs


def _signed_headers(
    url: str,
    params: Params,
    settings: Settings,
    headers: Mapping[str, str] | None,
    token: str | None,
) -> CIMultiDict[str]:
    given = CIMultiDict(headers or {})
    # A Webhook Settings header names the algorithm, as on Twilio's side.
    algorithm = get_signature_algorithm(given.get(SIGNATURE_SETTINGS_HEADER))
    secret = token if token is not None else settings.twilio_auth_token.get_secret_value()
    signed = CIMultiDict({SIGNATURE_HEADER: twilio_signature(url, params, secret, algorithm)})
    signed.update(given)  # the caller's headers win, whatever their case
    return signed


async def signed_post(
    client: TestClient[Any, Any],
    path: str,
    params: Params,
    *,
    settings: Settings,
    headers: Mapping[str, str] | None = None,
    token: str | None = None,
) -> ClientResponse:
    """POST ``params`` form-encoded (order and repeated keys kept), signed as Twilio would.

    ``path`` may carry a query string. The secret is the Twilio auth token from
    ``settings`` unless ``token`` is given (a Webhook Settings shared key, or a
    wrong token). Add ``X-Twilio-Webhooks-Signature-Settings`` to ``headers`` to
    sign with the algorithm it names.
    """
    pairs = form_pairs(params)
    signed = _signed_headers(public_url(settings, path), pairs, settings, headers, token)
    sent = CIMultiDict({"Content-Type": FORM_CONTENT_TYPE})
    sent.update(signed)
    return await client.post(path, data=urlencode(pairs).encode("ascii"), headers=sent)


async def signed_get(
    client: TestClient[Any, Any],
    path: str,
    *,
    settings: Settings,
    headers: Mapping[str, str] | None = None,
    token: str | None = None,
) -> ClientResponse:
    """GET ``path`` (with its query string) signed as Twilio does for GET webhooks."""
    signed = _signed_headers(public_url(settings, path), [], settings, headers, token)
    return await client.get(path, headers=signed)
