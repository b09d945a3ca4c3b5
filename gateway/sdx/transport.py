"""HTTP to SDX: auth, timeouts, status -> typed error, and the retry policy.

The retry policy is the heart of "never a lost or doubled answer":

* a *safe* call (GET, PUT of a whole resource, DELETE, start_survey which
  resumes) is retried on timeouts, connection failures, 5xx and 429;
* an *unsafe* call (create, submit_response, abandon_survey, an
  interaction-data write) is retried only when SDX certainly did not act on
  it: the connection was never made (refused, DNS, no free connection in
  the pool) or SDX answered 429. Anything else (a timeout after sending, a
  dropped connection, any 5xx with or without Retry-After: a proxy may
  answer 503 after SDX applied the request) is raised to the caller, and
  ``gateway.sdx.ambiguous`` asks SDX where things stand before anything is
  sent again.

Every call also has a total time budget, so that with retries it still
answers inside Twilio's 15 s webhook limit.
"""

from __future__ import annotations

import asyncio
import codecs
import functools
import json
import random
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

import aiohttp
from pydantic_core import from_json

from gateway.logging import get_logger
from gateway.metrics import SDX_ERRORS, sdx_endpoint, sdx_seconds
from gateway.sdx.errors import (
    SdxConnectionError,
    SdxError,
    SdxProtocolError,
    SdxRedirect,
    SdxTimeout,
    SdxTransientError,
    error_for_status,
    refused,
)

log = get_logger(__name__)

ParamValue = str | int | float | bool | None
Params = Mapping[str, ParamValue]


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 2
    backoff: float = 0.25  # first pause; doubles each time, with jitter
    max_retry_after: float = 5.0  # a longer Retry-After is the caller's to wait out
    total_budget: float = 12.0  # whole call, all attempts, under Twilio's 15 s


def encode_params(params: Params | None) -> dict[str, str]:
    """Form/query encoding, in the least ambiguous form: booleans as 1/0, None dropped.

    Laravel's ``boolean`` rule rejects the strings "true"/"false" (422) and
    PHP's truthiness reads "false" as true; 1 and 0 mean the same everywhere.
    """
    encoded: dict[str, str] = {}
    for key, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, bool):
            encoded[key] = "1" if value else "0"
        else:
            encoded[key] = str(value)
    return encoded


FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


def form_body(data: Params) -> bytes:
    """``data`` as an url-encoded form body, as aiohttp encodes a dict (UTF-8)."""
    return urlencode(encode_params(data)).encode()


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds from now (delta-seconds or HTTP-date)."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


@functools.lru_cache(maxsize=32)
def body_encoding(content_type: str) -> str:
    """The codec a response body is read with, as aiohttp's ``ClientResponse.text``
    picks it: the charset its Content-Type names when Python knows it, else
    UTF-8 (JSON's own, and aiohttp's fallback). Kept per header value: SDX
    answers with the same one every time."""
    header = Message()
    header["Content-Type"] = content_type
    charset = header.get_param("charset")
    if isinstance(charset, str) and charset:
        try:
            return codecs.lookup(charset).name
        except LookupError:
            pass
    return "utf-8"


def _short(text: str) -> str:
    return " ".join(text.split())[:160]


# JSON can escape half a surrogate pair (``\ud800`` alone: an emoji cut in
# two), and json.loads turns it into a lone surrogate, which UTF-8 cannot
# encode: saving a call's session or an SMS conversation (its question) then
# fails, and the call or the conversation breaks. Each becomes U+FFFE, a
# noncharacter UTF-8 carries and the TwiML rule (``twilio/xml_text.py``)
# drops as it drops surrogates: a caller hears the same words, and a
# sound-file URL holding one is still never played.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _encodable(value: Any) -> Any:
    """``value`` (decoded JSON) with every lone surrogate replaced by U+FFFE."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffe", value)
    if isinstance(value, list):
        return [_encodable(item) for item in value]
    if isinstance(value, dict):
        return {_encodable(key): _encodable(item) for key, item in value.items()}
    return value


class SdxTransport:
    """Sends one logical SDX request, retrying only where that is safe."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        *,
        customer_uuid: str | None = None,
        auth_token: str | None = None,
        bearer_token: str | None = None,
        timeout: float = 3.0,
        policy: RetryPolicy | None = None,
    ) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")
        # ``connect`` bounds the wait for a pooled connection plus the TCP/TLS
        # set-up: its expiry is reported apart from a timeout after sending
        # (ConnectionTimeoutError), so a request that never left is known
        # as such. Half the budget leaves the other half for the answer.
        self._timeout = aiohttp.ClientTimeout(total=timeout, connect=timeout / 2)
        self._policy = policy or RetryPolicy()
        self._headers: dict[str, str] = {"Accept": "application/json"}
        if bearer_token:
            self._headers["Authorization"] = f"Bearer {bearer_token}"
        elif customer_uuid and auth_token is not None:
            self._headers["Authorization"] = aiohttp.encode_basic_auth(customer_uuid, auth_token)
        else:
            raise ValueError("SDX credentials: a bearer token, or customer UUID and auth token")
        # A form body is sent as bytes with these headers: what aiohttp writes
        # for a dict (urlencode, this content type), without building a
        # FormData per request (~30 us of CPU per SDX request).
        self._form_headers = {**self._headers, "Content-Type": FORM_CONTENT_TYPE}

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def timeout(self) -> float:
        """Seconds one attempt may take before it is given up on."""
        return self._timeout_seconds()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        data: Params | None = None,
        safe: bool,
    ) -> Any:
        """Send and return the decoded JSON (None for 204 / empty body)."""
        deadline = time.monotonic() + self._policy.total_budget
        attempt = 0
        while True:
            started = time.monotonic()
            try:
                result = await self._once(method, path, params, data)
            except SdxError as exc:
                wait = self._retry_wait(exc, safe, attempt, deadline)
                log.warning(
                    "sdx_request_failed",
                    method=method,
                    path=path,
                    error=type(exc).__name__,
                    status=exc.status,
                    attempt=attempt + 1,
                    retry_in=None if wait is None else round(wait, 3),
                )
                if wait is None:
                    raise
                await asyncio.sleep(wait)
                attempt += 1
                continue
            log.debug(
                "sdx_request",
                method=method,
                path=path,
                attempt=attempt + 1,
                ms=round((time.monotonic() - started) * 1000, 1),
            )
            return result

    def _retry_wait(self, exc: SdxError, safe: bool, attempt: int, deadline: float) -> float | None:
        """Seconds to wait before the next attempt, or None to give up."""
        if attempt >= self._policy.retries or not isinstance(exc, SdxTransientError):
            return None
        retry_after = exc.retry_after
        if not safe and not refused(exc):
            return None
        if retry_after is not None:
            if retry_after > self._policy.max_retry_after:
                return None
            wait = retry_after
        else:
            wait = self._policy.backoff * (2**attempt) * random.uniform(0.5, 1.0)  # noqa: S311
        # Only retry when the wait and a whole further attempt fit the budget.
        remaining = deadline - time.monotonic()
        if wait + self._timeout_seconds() > remaining:
            return None
        return wait

    def _timeout_seconds(self) -> float:
        return float(self._timeout.total or 0.0)

    async def _once(
        self, method: str, path: str, params: Params | None, data: Params | None
    ) -> Any:
        url = self._base_url + path
        endpoint = sdx_endpoint(path)
        started = time.monotonic()
        try:
            return await self._send(method, path, url, params, data)
        except SdxError as exc:
            SDX_ERRORS.labels(endpoint, type(exc).__name__).inc()
            raise
        finally:
            sdx_seconds(method, endpoint).observe(time.monotonic() - started)

    async def _send(
        self, method: str, path: str, url: str, params: Params | None, data: Params | None
    ) -> Any:
        try:
            async with self._session.request(
                method,
                url,
                params=encode_params(params),
                data=None if data is None else form_body(data),
                headers=self._headers if data is None else self._form_headers,
                timeout=self._timeout,
                allow_redirects=False,
            ) as response:
                encoding = body_encoding(response.headers.get("Content-Type", ""))
                body = (await response.read()).decode(encoding, "replace")
                status = response.status
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                location = response.headers.get("Location")
        except aiohttp.ConnectionTimeoutError:
            # No connection within ``connect``: waiting for the pool or
            # connecting, the request was never written.
            raise SdxConnectionError(method, path, "no connection in time", sent=False) from None
        except TimeoutError:
            raise SdxTimeout(method, path, f"no answer within {self._timeout.total}s") from None
        except aiohttp.ClientConnectorError as exc:
            # The TCP (or TLS) connection was never established: nothing was sent.
            raise SdxConnectionError(method, path, type(exc).__name__, sent=False) from None
        except aiohttp.ClientError as exc:
            raise SdxConnectionError(method, path, type(exc).__name__, sent=True) from None
        return self._decode(method, path, status, body, retry_after, location)

    @staticmethod
    def _decode(
        method: str,
        path: str,
        status: int,
        body: str,
        retry_after: float | None,
        location: str | None,
    ) -> Any:
        if status == 204 or (200 <= status < 300 and not body.strip()):
            return None
        if 300 <= status < 400:
            # Never followed: a POST that changes SDX is not re-sent to a
            # place we did not choose. The caller reads where SDX points.
            raise SdxRedirect(method, path, status, location or "")
        if not 200 <= status < 300:
            raise error_for_status(method, path, status, _short(body), retry_after)
        # pydantic's parser reads JSON as json.loads does, in under half the
        # time, but refuses an escaped lone surrogate: only a body holding
        # one is read by json.loads, and walked (a listing can be large).
        halved = _SURROGATE_ESCAPE.search(body) is not None
        try:
            decoded = json.loads(body) if halved else from_json(body)
        except ValueError:
            raise SdxProtocolError(method, path, f"not JSON: {_short(body)[:60]}") from None
        return _encodable(decoded) if halved else decoded
