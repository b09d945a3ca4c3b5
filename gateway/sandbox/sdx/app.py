"""``create_sdx_sandbox``: an in-memory, SDX-compatible API as an aiohttp app."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from gateway.sandbox.credentials import DEMO_AUTH_TOKEN, DEMO_BEARER_TOKEN, DEMO_CUSTOMER_UUID
from gateway.sandbox.sdx.auth import Credentials
from gateway.sandbox.sdx.faults import RequestLog
from gateway.sandbox.sdx.latency import Latency
from gateway.sandbox.sdx.middleware import (
    error_answers,
    php_flavour,
    record_and_fault,
    require_auth,
    simulated_latency,
)
from gateway.sandbox.sdx.routes import setup_routes
from gateway.sandbox.sdx.seed import load_demo_data
from gateway.sandbox.sdx.state import SANDBOX_STATE, Flavour, SandboxState, cancel_in_flight
from gateway.sandbox.sdx.store import SdxStore


def create_sdx_sandbox(
    *,
    customer_uuid: str = DEMO_CUSTOMER_UUID,
    auth_token: str = DEMO_AUTH_TOKEN,
    bearer_token: str | None = DEMO_BEARER_TOKEN,
    data: Mapping[str, Any] | None = None,
    flavour: Flavour = "plain",
    latency: Latency | None = None,
    keep_requests: int | None = None,
) -> web.Application:
    """The SDX API under ``/api`` and control endpoints under ``/_sandbox``.

    ``data`` is the seed (the shape of ``demo.json``; default: the demo
    data). Every app gets its own copy, so apps and tests share no state;
    ``app[SANDBOX_STATE]`` is that state for in-process use. ``flavour``
    "php" answers as a PHP/Laravel SDX plausibly does (see ``php.py``).
    ``latency`` holds every API answer back (see ``latency.py``; default
    none). ``keep_requests`` bounds the recorded requests to about that many
    of the latest (default: all, as tests slice them; see ``RequestLog``).
    """
    seed = load_demo_data() if data is None else copy.deepcopy(dict(data))
    # Outermost first: faults and recording see every answer (and the time
    # the latency adds), auth comes before any handler, errors become plain
    # answers, and the php flavour's checks and shapes sit closest to the
    # handlers.
    app = web.Application(
        middlewares=[record_and_fault, simulated_latency, require_auth, error_answers, php_flavour]
    )
    app[SANDBOX_STATE] = SandboxState(
        store=SdxStore(seed),
        credentials=Credentials(customer_uuid, auth_token, bearer_token),
        flavour=flavour,
        requests=RequestLog(keep_requests),
        latency=latency or Latency(),
    )
    app.on_shutdown.append(cancel_in_flight)
    setup_routes(app)
    return app
