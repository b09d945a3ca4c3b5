"""``create_twilio_emulator``: Twilio's REST API, offline, as an aiohttp app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence

import aiohttp
from aiohttp import web

from gateway.sandbox.credentials import DEMO_TWILIO_ACCOUNT_SID, DEMO_TWILIO_AUTH_TOKEN
from gateway.sandbox.twilio.middleware import twilio_api
from gateway.sandbox.twilio.routes import setup_routes
from gateway.sandbox.twilio.state import TWILIO_STATE, TwilioState

DEMO_NUMBERS = ("+61200000000", "+61200000001", "+61200000002")


def create_twilio_emulator(
    *,
    account_sid: str = DEMO_TWILIO_ACCOUNT_SID,
    auth_token: str = DEMO_TWILIO_AUTH_TOKEN,
    numbers: Sequence[str] = DEMO_NUMBERS,
    services: Mapping[str, Sequence[str]] | None = None,
) -> web.Application:
    """The REST API under ``/2010-04-01`` and control endpoints under ``/_twilio``.

    ``numbers`` are the account's IncomingPhoneNumbers (no webhooks set);
    ``services`` its Messaging Services, sid -> pool (see ``services``).
    Every app has its own state, ``app[TWILIO_STATE]``.
    """
    app = web.Application(middlewares=[twilio_api])
    seeded = {sid: tuple(pool) for sid, pool in (services or {}).items()}
    app[TWILIO_STATE] = TwilioState(account_sid, auth_token, tuple(numbers), seeded)
    app.cleanup_ctx.append(_webhook_session)
    app.on_shutdown.append(_stop_calls)
    setup_routes(app)
    return app


async def _stop_calls(app: web.Application) -> None:
    """Cancel every call and delivery under way, and wait until they have stopped."""
    tasks = app[TWILIO_STATE].cancel_all()
    if tasks:
        await asyncio.wait(tasks)


async def _webhook_session(app: web.Application) -> AsyncIterator[None]:
    """One session for every webhook the emulator sends, closed after the calls stop."""
    state = app[TWILIO_STATE]
    async with aiohttp.ClientSession() as session:
        state.http = session
        yield
        await _stop_calls(app)
        state.http = None
