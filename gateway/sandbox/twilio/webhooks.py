"""Signed webhook requests, made the way Twilio makes them.

Every request carries ``X-Twilio-Signature``, computed with twilio's own
``RequestValidator`` over the exact URL requested (query included) and, for
POST, the form parameters. GET requests carry the parameters in the query
string (appended to any already there) and sign the whole URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

import aiohttp
from twilio.request_validator import RequestValidator
from yarl import URL

FORM = "application/x-www-form-urlencoded"
USER_AGENT = "TwilioProxy/1.1"


@dataclass(frozen=True)
class WebhookAnswer:
    """What came back. ``status`` None: no answer at all (refused, reset, timed out)."""

    url: str
    status: int | None
    content_type: str = ""
    text: str = ""

    @property
    def path_qs(self) -> str:
        return URL(self.url).raw_path_qs


class Webhooks:
    """POSTs (or GETs) signed requests through one shared session."""

    def __init__(self, session: aiohttp.ClientSession, auth_token: str, timeout: float) -> None:
        self._session = session
        self._validator = RequestValidator(auth_token)
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    def signature(self, url: str, params: Mapping[str, str]) -> str:
        return str(self._validator.compute_signature(url, dict(params)))

    async def send(self, url: str, method: str, params: Mapping[str, str]) -> WebhookAnswer:
        # yarl's encoded form is what goes on the wire, so it is what is signed.
        target = URL(url)
        if method.upper() == "GET":
            target = target.extend_query(dict(params))
            body, signed_params = None, {}
        else:
            body, signed_params = urlencode(list(params.items())).encode(), dict(params)
        headers = {
            "X-Twilio-Signature": self.signature(str(target), signed_params),
            "User-Agent": USER_AGENT,
        }
        if body is not None:
            headers["Content-Type"] = FORM
        try:
            async with self._session.request(
                method.upper(),
                target,
                data=body,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,
            ) as response:
                text = await response.text(errors="replace")
                return WebhookAnswer(str(target), response.status, response.content_type, text)
        except (aiohttp.ClientError, TimeoutError, ValueError):
            # ValueError: a URL aiohttp cannot request at all (relative, no host).
            return WebhookAnswer(str(target), None)
