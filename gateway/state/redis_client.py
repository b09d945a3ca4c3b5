"""The gateway's Redis clients, and the options every one of them is made with.

redis-py (8.x) enables "maintenance notifications" (a Redis Enterprise
feature) in an "auto" mode by default. Besides an extra command on every new
connection, that mode switches off the pool's check that a pooled
connection is still open: after Redis restarted, or closed connections idle
past its ``timeout`` setting (common on managed Redis), the first command on
each stale connection failed with "Connection closed by server", and the
respondent got an apology although Redis was up (tests/faults/
test_redis_restart.py). With notifications off, the pool sees the closed
socket and reconnects before sending anything, so nothing is ever resent.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.maint_notifications import MaintNotificationsConfig


def client_options() -> dict[str, Any]:
    """Keyword arguments for ``Redis.from_url`` and ``ConnectionPool.from_url``."""
    return {"maint_notifications_config": MaintNotificationsConfig(enabled=False)}


def server_redis(url: str) -> Redis:
    """The webhook server's client: a blocking pool shared by every turn.

    In a burst a turn waits briefly for a connection instead of failing with
    "Too many connections" (the benchmark saw throughput collapse that way
    past saturation). No health_check_interval: its PING would add a round
    trip to the first turn after an idle spell; a connection the server
    closed is noticed when it leaves the pool (see above).
    """
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=200,
        timeout=2.0,
        socket_timeout=2.0,
        socket_connect_timeout=2.0,
        **client_options(),
    )
    return Redis(connection_pool=pool)


def worker_redis(url: str) -> Redis:
    """The dispatcher's client: few connections, patient with a slow Redis."""
    return Redis.from_url(url, socket_timeout=5.0, socket_connect_timeout=2.0, **client_options())
