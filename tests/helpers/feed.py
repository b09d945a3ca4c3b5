"""The lookup index and the dispatcher's agenda over a real store, fed from the sandbox."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from redis.asyncio import Redis

from gateway.sandbox.sdx import SandboxState
from gateway.sdx import SdxClient
from gateway.state.agenda import Agenda, MemoryAgenda, RedisAgenda
from gateway.state.feed_marks import FeedMarks, MemoryFeedMarks, RedisFeedMarks
from gateway.state.index import IndexStore, MemoryIndexStore, RedisIndexStore
from gateway.survey.feed import InteractionFeed, RegionSource
from gateway.survey.index import InteractionIndex
from gateway.survey.routing import NumberRouter


def listed(sandbox: SandboxState) -> int:
    """SDX listing requests so far (every page counts)."""
    return sum(1 for r in sandbox.requests if r.method == "GET" and r.path == "/interactions")


def au(sdx: SdxClient) -> RegionSource:
    """The default region of a gateway with GATEWAY_DEFAULT_REGION=AU."""
    return NumberRouter(sdx, None, refresh=60, region="AU").region_code


@dataclass
class Fed:
    store: IndexStore
    agenda: Agenda
    marks: FeedMarks
    feed: InteractionFeed
    index: InteractionIndex


def stores(redis: Redis | None, prefix: str = "test:") -> tuple[IndexStore, Agenda, FeedMarks]:
    if redis is None:
        return MemoryIndexStore(keep=86400), MemoryAgenda(), MemoryFeedMarks()
    return (
        RedisIndexStore(redis, prefix=prefix, keep=86400),
        RedisAgenda(redis, prefix=prefix),
        RedisFeedMarks(redis, prefix=prefix, keep=86400),
    )


def fed(
    sdx: SdxClient,
    redis: Redis | None = None,
    *,
    region: RegionSource | None = None,
    min_age: float = 5.0,
    reconcile: float = 21600.0,
    clock: Callable[[], float] | None = None,
    prefix: str = "test:",
) -> Fed:
    store, agenda, marks = stores(redis, prefix)
    region = region or au(sdx)
    extra = {} if clock is None else {"clock": clock}
    feed = InteractionFeed(
        sdx, store, agenda, marks, region=region, reconcile_interval=reconcile, **extra
    )
    index = InteractionIndex(store, feed, min_age=min_age, region=region, **extra)
    return Fed(store, agenda, marks, feed, index)
