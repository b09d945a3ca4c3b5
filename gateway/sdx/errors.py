"""Typed SDX errors, keyed by what went wrong, so callers decide what a respondent hears.

SDX signals errors by status code only (no documented error body), so the
hierarchy follows the status codes of SURVEY_DYNAMIX_API.md.
"""

from __future__ import annotations


class SdxError(Exception):
    """Any failure of an SDX request."""

    status: int | None = None

    def __init__(self, method: str, path: str, detail: str = "") -> None:
        self.method = method
        self.path = path
        self.detail = detail
        text = f"SDX {method} {path}"
        if self.status is not None:
            text += f" answered {self.status}"
        if detail:
            text += f": {detail}"
        super().__init__(text)


class SdxTransientError(SdxError):
    """Worth trying again later: SDX is down, slow, overloaded or unreachable."""

    # Seconds SDX asked us to wait (Retry-After), when it said.
    retry_after: float | None = None


class SdxBadRequest(SdxError):
    status = 400


class SdxUnauthorized(SdxError):
    """Wrong SDX_CUSTOMER_UUID / SDX_AUTH_TOKEN / SDX_BEARER_TOKEN."""

    status = 401


class SdxNotFound(SdxError):
    status = 404


class SdxMethodNotAllowed(SdxError):
    status = 405


class SdxConflict(SdxError):
    """A pending interaction already exists, or the interaction is not in a
    state that allows the call (started and so not deletable, already ended)."""

    status = 409


class SdxGone(SdxError):
    """The interaction was deleted."""

    status = 410


class SdxRateLimited(SdxTransientError):
    status = 429

    def __init__(
        self, method: str, path: str, detail: str = "", retry_after: float | None = None
    ) -> None:
        super().__init__(method, path, detail)
        self.retry_after = retry_after


class SdxServerError(SdxTransientError):
    """A 5xx answer."""

    def __init__(self, method: str, path: str, status: int, detail: str = "") -> None:
        self.status = status
        super().__init__(method, path, detail)


class SdxUnavailable(SdxServerError):
    """503: maintenance."""

    def __init__(
        self, method: str, path: str, detail: str = "", retry_after: float | None = None
    ) -> None:
        super().__init__(method, path, 503, detail)
        self.retry_after = retry_after


class SdxTimeout(SdxTransientError):
    """No answer in time. The request may have been applied by SDX."""


class SdxConnectionError(SdxTransientError):
    """The connection failed. ``sent`` tells whether the request may have reached SDX."""

    def __init__(self, method: str, path: str, detail: str = "", *, sent: bool) -> None:
        super().__init__(method, path, detail)
        self.sent = sent


class SdxProtocolError(SdxError):
    """SDX answered 2xx with a body the gateway cannot read."""


class SdxRedirect(SdxError):
    """A 3xx. SDX's reference says a step sent out of order "redirects" (e.g.
    ``submit_response`` before ``start_survey``): SDX did not act on it."""

    def __init__(self, method: str, path: str, status: int, location: str) -> None:
        self.status = status
        self.location = location
        super().__init__(method, path, f"to {location or '(no Location)'}")

    def to_start(self) -> bool:
        """It points at ``start_survey``: the survey has not been started."""
        return self.location.rstrip("/").endswith("/start_survey")


class SdxUnexpectedStatus(SdxError):
    """A status code SDX does not document."""

    def __init__(self, method: str, path: str, status: int, detail: str = "") -> None:
        self.status = status
        super().__init__(method, path, detail)


# Answers a proxy gives when the upstream failed or was too slow: SDX may
# still be working on the request (and apply it after this answer).
_PROXY_STATUSES = frozenset({502, 504})


def refused(exc: SdxError) -> bool:
    """SDX certainly did not act: the request never left, or SDX refused it (429).

    The only outcomes after which a request that changes SDX may be sent again
    blindly.
    """
    if isinstance(exc, SdxConnectionError):
        return not exc.sent
    return isinstance(exc, SdxRateLimited)


def maybe_applied(exc: SdxError) -> bool:
    """An ambiguous outcome: SDX may have applied the request (timeout after
    sending, a 5xx, a connection lost mid-answer). Ask SDX before repeating it."""
    return isinstance(exc, SdxTransientError) and not refused(exc)


def maybe_in_flight(exc: SdxError) -> bool:
    """Ambiguous, and SDX may still be applying it: nobody saw it finish.

    A timeout, a lost connection or a proxy's 502/504 leaves the request
    possibly queued upstream; a 5xx SDX answered itself (500, 503) means its
    work on the request is over. Only in the second case can "SDX is still on
    the same question" be taken to mean "it was not applied".
    """
    if isinstance(exc, SdxTimeout):
        return True
    if isinstance(exc, SdxConnectionError):
        return exc.sent
    return isinstance(exc, SdxServerError) and exc.status in _PROXY_STATUSES


_BY_STATUS: dict[int, type[SdxError]] = {
    400: SdxBadRequest,
    401: SdxUnauthorized,
    404: SdxNotFound,
    405: SdxMethodNotAllowed,
    409: SdxConflict,
    410: SdxGone,
}


def error_for_status(
    method: str, path: str, status: int, detail: str = "", retry_after: float | None = None
) -> SdxError:
    """The typed error for a non-2xx status."""
    if status == 429:
        return SdxRateLimited(method, path, detail, retry_after)
    if status == 503:
        return SdxUnavailable(method, path, detail, retry_after)
    if status >= 500:
        return SdxServerError(method, path, status, detail)
    cls = _BY_STATUS.get(status)
    if cls is None:
        return SdxUnexpectedStatus(method, path, status, detail)
    return cls(method, path, detail)
