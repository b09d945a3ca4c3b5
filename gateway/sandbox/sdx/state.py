"""Everything one sandbox app holds, under one typed app key."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Literal

from aiohttp import web

from gateway.sandbox.sdx.auth import Credentials
from gateway.sandbox.sdx.engine import SurveyEngine
from gateway.sandbox.sdx.faults import FaultSet, RequestLog
from gateway.sandbox.sdx.latency import Latency
from gateway.sandbox.sdx.store import SdxStore

# How the sandbox answers: "plain" as the gateway assumes SDX does, "php" the
# way a PHP/Laravel service plausibly does (see gateway/sandbox/sdx/php.py).
Flavour = Literal["plain", "php"]
FLAVOURS: tuple[Flavour, ...] = ("plain", "php")


@dataclass
class SandboxState:
    """The sandbox's data, faults in force and the requests it has seen."""

    store: SdxStore
    credentials: Credentials
    flavour: Flavour = "plain"
    faults: FaultSet = field(default_factory=FaultSet)
    requests: RequestLog = field(default_factory=RequestLog)
    latency: Latency = field(default_factory=Latency)
    # Delayed requests still being handled after their client left.
    in_flight: set[asyncio.Task[web.StreamResponse]] = field(default_factory=set)

    @property
    def engine(self) -> SurveyEngine:
        return SurveyEngine(self.store)

    def reset(self) -> None:
        """Back to the seed data, no faults, no recorded requests (same flavour and latency)."""
        self.store.reset()
        self.faults.clear()
        self.requests.clear()


SANDBOX_STATE = web.AppKey("sdx_sandbox_state", SandboxState)


async def cancel_in_flight(app: web.Application) -> None:
    """On shutdown: stop delayed requests nobody is waiting for any more."""
    tasks = list(app[SANDBOX_STATE].in_flight)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
