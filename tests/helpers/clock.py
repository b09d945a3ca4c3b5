"""A clock a test moves by hand: what the stores' ``clock=`` parameter takes."""

from __future__ import annotations


class Clock:
    """Seconds, as ``time.monotonic`` or ``time.time`` give them; ``now`` is set by the test."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
