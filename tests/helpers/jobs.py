"""Dispatch jobs for the store tests, and the dispatcher's keys they look at."""

from __future__ import annotations

from gateway.dispatch.jobs import Channel, Job

PREFIX = "t:"
STREAM = f"{PREFIX}dispatch:stream"


def job(n: int = 1, attempt: str = "100", channel: str = "voice") -> Job:
    kind: Channel = "sms" if channel == "sms" else "voice"
    return Job(1000 + n, 53, kind, f"+6140000{n:04d}", "+61200000001", attempt)
