"""Forced errors, slow creates and recorded requests: how tests make Twilio say no, or late.

``fail_next("Messages", to="+61400000001", status=400, code=21610)`` makes the
next create request for that resource (and recipient; ``to=None``: any)
answer that Twilio error instead of creating anything. Sticky per-number
message errors (an opted-out number) live in ``TwilioState.number_errors``.

``slow_create("Calls", 2.0, after=False, to=None, times=1)`` holds the next
``times`` creates of a resource (to ``to``) for ``delay`` seconds, so that a
test can stop its client at a known point of a create:

- ``after=False``: the request reaches "Twilio" only when the delay is over;
  then it is handled as usual (forced errors, checks, the call or message
  created). It is handled even if the client has given up meanwhile: it was
  sent, so Twilio has it. Until then nothing exists.
- ``after=True``: the call or message is created at once (a call starts its
  lifecycle, both show in lists and fetches), and only the answer waits:
  "Twilio accepted it, the reply is late".

A slow create is used up by the create it matches, whatever that create
answers; an error answer is as late as a success. ``reset`` (and shutdown)
cuts the waits short: a reply held back (``after=True``) goes out at once; a
create not yet made (``after=False``) is never made, and a client still
waiting hears 503 / 20503.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar

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


@dataclass
class SlowCreate:
    """Hold the next ``times`` creates of ``resource`` to ``to`` for ``delay`` seconds.

    ``after=False`` waits before creating, ``after=True`` after (see the module).
    """

    resource: Resource
    delay: float
    after: bool = False
    to: str | None = None
    times: int = 1

    def __post_init__(self) -> None:
        if self.resource not in RESOURCES:
            raise ValueError(f"resource must be one of {', '.join(RESOURCES)}")
        # NaN and infinity would make asyncio.sleep misbehave or never end.
        if not (math.isfinite(self.delay) and self.delay >= 0):
            raise ValueError("delay must be a finite, non-negative number of seconds")
        if self.times < 1:
            raise ValueError("times must be at least 1")

    def matches(self, resource: str, to: str) -> bool:
        return self.resource == resource and self.to in (None, to)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class _ForCreates(Protocol):
    times: int

    def matches(self, resource: str, to: str) -> bool: ...

    def as_json(self) -> dict[str, Any]: ...


K = TypeVar("K", bound=_ForCreates)


class Pending(Generic[K]):
    """The knobs of one kind in force; the first one matching a create is used once.

    ``times`` counts down on the knob itself, so ``as_json`` shows what is left.
    """

    def __init__(self) -> None:
        self._pending: list[K] = []

    def add(self, knob: K) -> K:
        self._pending.append(knob)
        return knob

    def clear(self) -> None:
        self._pending.clear()

    def __len__(self) -> int:
        return len(self._pending)

    def as_json(self) -> list[dict[str, Any]]:
        return [knob.as_json() for knob in self._pending]

    def take(self, resource: str, to: str) -> K | None:
        for knob in self._pending:
            if knob.matches(resource, to):
                knob.times -= 1
                if knob.times <= 0:
                    self._pending.remove(knob)
                return knob
        return None


class ForcedErrors(Pending[ForcedError]):
    """The forced errors in force; ``error`` uses up the one matching a create."""

    def error(self, resource: str, to: str) -> TwilioError | None:
        forced = self.take(resource, to)
        return None if forced is None else forced.error()


SlowCreates = Pending[SlowCreate]


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
