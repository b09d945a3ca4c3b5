"""Dispatch jobs for the store tests, and what Redis holds of the dispatcher."""

from __future__ import annotations

from redis.asyncio import Redis

from gateway.dispatch.jobs import Channel, Job
from gateway.dispatch.store import GROUP

PREFIX = "t:"
STREAM = f"{PREFIX}dispatch:stream"
DEAD = f"{PREFIX}dispatch:dead"
RETRY = f"{PREFIX}dispatch:retry"


def job(n: int = 1, attempt: str = "100", channel: str = "voice") -> Job:
    kind: Channel = "sms" if channel == "sms" else "voice"
    return Job(1000 + n, 53, kind, f"+6140000{n:04d}", "+61200000001", attempt)


async def consumers(redis: Redis, prefix: str = PREFIX) -> dict[str, int]:
    """The group's consumers and how many entries each has pending."""
    found = await redis.xinfo_consumers(f"{prefix}dispatch:stream", GROUP)
    return {c["name"].decode(): int(c["pending"]) for c in found}
