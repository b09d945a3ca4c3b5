"""Fault injection and request recording: how tests make SDX misbehave.

A fault matches requests by method and path (the path without ``/api``) and
changes what the client gets: a delay, another status, extra headers, or no
answer at all. ``after=True`` handles the request for real first (the change
is made) and only then delays, replaces or drops the answer: "the request
reached SDX, the reply was lost or late".

Without ``after``, a delay comes before handling, and the request is still
handled when the delay is over even if the client has given up meanwhile
(it reached SDX). That holds whether or not the server cancels handlers of
departed clients (``web.run_app`` does not by default; aiohttp's test server
does): the delayed work is shielded. For "SDX never saw it" use ``status``
or ``drop`` without ``after``.

A ``status`` or ``drop`` fault with a delay waits first, then fails.
``headers`` go with the ``status`` answer, or are added to the real answer
when there is no ``status``. Faults apply before authentication.

aiohttp's ClientSession resends an idempotent request (GET, HEAD, PUT,
DELETE, ...) once when the connection closes without an answer, so a
``drop`` with ``times=1`` on such a request goes unnoticed by it: use
``times=2`` or more. (aiohttp's TestClient turns that resending off.)
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Fault:
    """What to do to requests matching ``method`` (None: any) and ``path`` (a regex)."""

    method: str | None = None
    path: str = ".*"
    status: int | None = None
    delay: float = 0.0
    after: bool = False
    times: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    # The body sent with ``status``; None gives a short default page.
    body: str | None = None

    def __post_init__(self) -> None:
        if self.method is not None:
            self.method = self.method.upper()
        self._pattern = re.compile(self.path)  # a bad regex fails here, not mid-test
        if self.status is not None and not 100 <= self.status <= 599:
            raise ValueError("status must be an HTTP status code (100..599)")
        if self.delay < 0:
            raise ValueError("delay must not be negative")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be at least 1 (or None: until cleared)")

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method.upper():
            return False
        return self._pattern.fullmatch(path) is not None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Armed:
    fault: Fault
    remaining: int | None


class FaultSet:
    """The faults in force. The first matching one applies to a request."""

    def __init__(self) -> None:
        self._armed: list[_Armed] = []

    def add(self, fault: Fault) -> Fault:
        self._armed.append(_Armed(fault, fault.times))
        return fault

    def clear(self) -> None:
        self._armed.clear()

    def __iter__(self) -> Iterator[Fault]:
        return (armed.fault for armed in self._armed)

    def __len__(self) -> int:
        return len(self._armed)

    def as_json(self) -> list[dict[str, Any]]:
        return [{**a.fault.as_json(), "remaining": a.remaining} for a in self._armed]

    def take(self, method: str, path: str) -> Fault | None:
        """The fault for this request, counting it against the fault's ``times``."""
        for armed in self._armed:
            if armed.fault.matches(method, path):
                if armed.remaining is not None:
                    armed.remaining -= 1
                    if armed.remaining <= 0:
                        self._armed.remove(armed)
                return armed.fault
        return None


@dataclass
class RecordedRequest:
    """One request to the API, as the sandbox saw it.

    ``path`` is without the ``/api`` prefix. ``status`` is None while the
    request is being handled and stays None if the connection was dropped.
    ``time`` is ``time.monotonic()`` when the request arrived.
    """

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    status: int | None = None
    time: float = field(default_factory=time.monotonic)
    faulted: bool = False

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class RequestLog(list[RecordedRequest]):
    """The requests the API saw, oldest first, and a count of all of them.

    A list, because tests slice it from a length they noted earlier
    (``requests[before:]``). With ``keep`` (``gateway sandbox`` sets it), a
    long-running sandbox holds a bounded number: once there are twice
    ``keep``, the oldest are dropped down to ``keep``, in one go so that
    recording stays cheap. Without it (tests, the default) nothing is
    dropped, so those slices stay right. The counts (``total`` and per
    endpoint, e.g. ``"GET /interactions/{id}"``) cover every request since
    the log was last cleared, dropped ones included.
    """

    def __init__(self, keep: int | None = None) -> None:
        super().__init__()
        if keep is not None and keep < 1:
            raise ValueError("keep must be at least 1 (or None: keep every request)")
        self.keep = keep
        self.total = 0
        self.by_endpoint: Counter[str] = Counter()

    def record(self, request: RecordedRequest, endpoint: str) -> None:
        self.append(request)
        self.total += 1
        self.by_endpoint[endpoint] += 1
        if self.keep is not None and len(self) > 2 * self.keep:
            del self[: len(self) - self.keep]

    def clear(self) -> None:
        super().clear()
        self.total = 0
        self.by_endpoint.clear()

    def counts_json(self) -> dict[str, Any]:
        return {"total": self.total, "by_endpoint": dict(sorted(self.by_endpoint.items()))}
