"""A simulated SDX response time, for benches that model a real PHP API.

The in-memory sandbox answers a page of a thousand interactions in a few
milliseconds; a PHP service over MySQL takes tens or hundreds. A gateway
that lists everything on every poll looks cheap against the first and is
not against the second, so the scale bench sets a latency: every API answer
is held back by ``per_request`` plus ``per_row`` for each row of a list
answer. The wait is asynchronous: the sandbox serves other requests
meanwhile, as a real API's many workers would. Off (0) by default.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from aiohttp import web

from gateway.sandbox.sdx.errors import BadRequest

# Set by the list answers (views.common.json_list) on their response.
ROWS = web.ResponseKey("sdx_sandbox_rows", int)

_FIELDS = ("per_request", "per_row")


@dataclass(frozen=True)
class Latency:
    """Seconds per request and per row returned."""

    per_request: float = 0.0
    per_row: float = 0.0

    def __post_init__(self) -> None:
        for name in _FIELDS:
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a number of seconds, 0 or more")

    def delay(self, rows: int) -> float:
        return self.per_request + self.per_row * rows

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, body: Any) -> Latency:
        """``{"per_request": s, "per_row": s}``, either optional (0), with a 400 if wrong."""
        if not isinstance(body, dict) or set(body) - set(_FIELDS):
            raise BadRequest('the body must be {"per_request": seconds, "per_row": seconds}')
        for name in _FIELDS:
            value = body.get(name, 0)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise BadRequest(f"{name} must be a number of seconds")
        try:
            return cls(float(body.get("per_request", 0)), float(body.get("per_row", 0)))
        except ValueError as exc:
            raise BadRequest(str(exc)) from None
