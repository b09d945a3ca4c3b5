"""What /readyz reports: Redis and SDX reachable, checked at most once per interval.

/readyz is unauthenticated, and its SDX check is a real request counted
against the tenant's rate limit: if every GET made one, anyone could spend
that limit (200 GETs, 200 SDX requests) until the survey webhooks got 429s.
So a check's outcome is kept for ``interval`` seconds, and requests that
arrive while a check runs wait for that check instead of starting their own:
however many requests come, at most one check starts per interval and only
one is ever in flight.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from aiohttp import web
from redis.exceptions import RedisError

from gateway.logging import get_logger
from gateway.sdx.errors import SdxError, SdxUnauthorized
from gateway.web.keys import REDIS, SDX, SETTINGS

log = get_logger(__name__)

# Long enough to take an outsider's GET flood down to a trickle, short
# enough for a load balancer (probing every 10 s) to notice an outage
# within one probe.
INTERVAL = 5.0


@dataclass(frozen=True)
class Report:
    """The outcome of one check: each part's state, and what fails."""

    checks: dict[str, str]
    failing: tuple[str, ...]

    @property
    def ready(self) -> bool:
        return not self.failing


class Readiness:
    """Runs the checks of the app it was made for; shares and keeps their outcome."""

    def __init__(self, app: web.Application, interval: float = INTERVAL) -> None:
        self._app = app
        # An attribute, not a constant: tests that watch /readyz follow an
        # outage second by second set it to 0.
        self.interval = interval
        self._check: asyncio.Task[Report] | None = None
        self._started = 0.0

    async def report(self) -> Report:
        """The latest check's report, after starting one if the last is older than the interval."""
        now = time.monotonic()
        check = self._check
        # A check still running is waited for, however old: never two at once.
        if check is None or (check.done() and now - self._started >= self.interval):
            self._started = now
            check = self._check = asyncio.create_task(self._run(), name="readiness-check")
        # Shielded: a caller that goes away must not cancel the check the
        # other callers are waiting for.
        return await asyncio.shield(check)

    async def close(self) -> None:
        """Stop a check still running (shutdown)."""
        if self._check is not None and not self._check.done():
            self._check.cancel()
            await asyncio.wait([self._check])

    async def _run(self) -> Report:
        app = self._app
        timeout = app[SETTINGS].gateway_sdx_timeout + 1
        try:
            async with asyncio.timeout(timeout):
                redis_error, sdx_error = await asyncio.gather(_check_redis(app), _check_sdx(app))
        except TimeoutError:
            redis_error, sdx_error = None, "readiness checks timed out"
        report = Report(
            checks={
                "redis": redis_error or ("ok" if app[REDIS] is not None else "in-memory"),
                "sdx": sdx_error or "ok",
            },
            failing=tuple(error for error in (redis_error, sdx_error) if error),
        )
        if not report.ready:
            # Once per check, not once per request.
            log.warning("not_ready", failing=list(report.failing))
        return report


async def _check_redis(app: web.Application) -> str | None:
    redis = app[REDIS]
    if redis is None:
        return None  # in-memory state: nothing to reach
    try:
        await redis.ping()
    except (RedisError, OSError) as exc:
        return f"redis: {type(exc).__name__}"
    return None


async def _check_sdx(app: web.Application) -> str | None:
    try:
        await app[SDX].list_surveys(limit=1)
    except SdxUnauthorized:
        return "sdx: credentials rejected (401); check SDX_CUSTOMER_UUID / SDX_AUTH_TOKEN"
    except SdxError as exc:
        return f"sdx: {type(exc).__name__}" + (f" {exc.status}" if exc.status else "")
    return None


READINESS = web.AppKey("readiness", Readiness)
