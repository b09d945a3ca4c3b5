"""Options every Redis client of the gateway is made with.

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

from redis.maint_notifications import MaintNotificationsConfig


def client_options() -> dict[str, Any]:
    """Keyword arguments for ``Redis.from_url`` and ``ConnectionPool.from_url``."""
    return {"maint_notifications_config": MaintNotificationsConfig(enabled=False)}
