"""``gateway sandbox``: the SDX sandbox at ``/api`` and the Twilio emulator at ``/twilio``.

One process, one port, so a local gateway needs two URLs from it:
``SDX_API_URL=http://host:port/api`` and ``TWILIO_API_URL=http://host:port/twilio``.
"""

from __future__ import annotations

from aiohttp import web

from gateway.sandbox.credentials import (
    DEMO_AUTH_TOKEN,
    DEMO_BEARER_TOKEN,
    DEMO_CUSTOMER_UUID,
    DEMO_TWILIO_ACCOUNT_SID,
    DEMO_TWILIO_AUTH_TOKEN,
)
from gateway.sandbox.sdx import create_sdx_sandbox
from gateway.sandbox.twilio import TWILIO_STATE, TwilioState, create_twilio_emulator

TWILIO_PREFIX = "/twilio"
EMULATOR = web.AppKey("twilio_emulator", web.Application)


def create_sandbox(
    *,
    customer_uuid: str = DEMO_CUSTOMER_UUID,
    auth_token: str = DEMO_AUTH_TOKEN,
    bearer_token: str | None = DEMO_BEARER_TOKEN,
    twilio_account_sid: str = DEMO_TWILIO_ACCOUNT_SID,
    twilio_auth_token: str = DEMO_TWILIO_AUTH_TOKEN,
) -> web.Application:
    app = create_sdx_sandbox(
        customer_uuid=customer_uuid, auth_token=auth_token, bearer_token=bearer_token
    )
    emulator = create_twilio_emulator(account_sid=twilio_account_sid, auth_token=twilio_auth_token)
    app.add_subapp(TWILIO_PREFIX, emulator)
    app[EMULATOR] = emulator
    return app


def twilio_state(sandbox: web.Application) -> TwilioState:
    return sandbox[EMULATOR][TWILIO_STATE]
