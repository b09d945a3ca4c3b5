"""Fixtures of the survey tests: the stores over Redis and in memory alike."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis


@pytest.fixture(params=["redis", "memory"])
async def redis(request: pytest.FixtureRequest, redis_url: str) -> AsyncIterator[Redis | None]:
    """A client of the test's redis-server, or None: the in-memory stores."""
    if request.param == "memory":
        yield None
        return
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()
