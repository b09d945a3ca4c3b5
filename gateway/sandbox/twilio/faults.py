"""Forced errors and recorded requests: how tests make Twilio say no.

``fail_next("Messages", to="+61400000001", status=400, code=21610)`` makes the
next create request for that resource (and recipient; ``to=None``: any)
answer that Twilio error instead of creating anything. Sticky per-number
message errors (an opted-out number) live in ``TwilioState.number_errors``.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from gateway.sandbox.twilio.errors import TwilioError

Resource = Literal["Calls", "Messages"]
RESOURCES: tuple[Resource, ...] = ("Calls", "Messages")


@dataclass
class ForcedError:
    """Answer ``status``/``code`` to the next ``times`` creates of ``resource`` to ``to``."""

    resource: Resource
    status: int
    code: int
    to: str | None = None
    times: int = 1
    message: str | None = None

    def __post_init__(self) -> None:
        if self.resource not in RESOURCES:
            raise ValueError(f"resource must be one of {', '.join(RESOURCES)}")
        if not 400 <= self.status <= 599:
            raise ValueError("status must be an HTTP error status (400..599)")
        if self.times < 1:
            raise ValueError("times must be at least 1")

    def matches(self, resource: str, to: str) -> bool:
        return self.resource == resource and self.to in (None, to)

    def error(self) -> TwilioError:
        return TwilioError(self.status, self.code, self.message)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class ForcedErrors:
    """The forced errors in force; the first one matching a create is used up."""

    def __init__(self) -> None:
        self._pending: list[ForcedError] = []

    def add(self, forced: ForcedError) -> ForcedError:
        self._pending.append(forced)
        return forced

    def clear(self) -> None:
        self._pending.clear()

    def __len__(self) -> int:
        return len(self._pending)

    def as_json(self) -> list[dict[str, Any]]:
        return [forced.as_json() for forced in self._pending]

    def take(self, resource: str, to: str) -> TwilioError | None:
        for forced in self._pending:
            if forced.matches(resource, to):
                forced.times -= 1
                if forced.times <= 0:
                    self._pending.remove(forced)
                return forced.error()
        return None


@dataclass
class RecordedRequest:
    """One REST request as the emulator saw it.

    ``path`` starts at ``/2010-04-01`` whatever the app is mounted under;
    ``time`` is ``time.monotonic()`` on arrival (tests measure rates with it);
    ``status`` is None while the request is being handled.
    """

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    status: int | None = None
    time: float = field(default_factory=time.monotonic)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)
