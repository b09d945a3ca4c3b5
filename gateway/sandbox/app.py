"""``gateway sandbox``: the SDX sandbox at ``/api`` and the Twilio emulator at ``/twilio``.

One process, one port, so a local gateway needs two URLs from it:
``SDX_API_URL=http://host:port/api`` and ``TWILIO_API_URL=http://host:port/twilio``.
"""

from __future__ import annotations

from aiohttp import web

from gateway.logging import configure_logging
from gateway.sandbox.credentials import (
    DEMO_AUTH_TOKEN,
    DEMO_BEARER_TOKEN,
    DEMO_CUSTOMER_UUID,
    DEMO_TWILIO_ACCOUNT_SID,
    DEMO_TWILIO_AUTH_TOKEN,
)
from gateway.sandbox.sdx import Flavour, Latency, create_sdx_sandbox
from gateway.sandbox.settings import load_sandbox_settings
from gateway.sandbox.twilio import TWILIO_STATE, TwilioState, create_twilio_emulator

TWILIO_PREFIX = "/twilio"
# Recorded SDX requests a long-running sandbox keeps listed (about this many
# of the latest; /_sandbox/requests/counts still counts them all).
KEEP_REQUESTS = 10_000
EMULATOR = web.AppKey("twilio_emulator", web.Application)


def create_sandbox(
    *,
    customer_uuid: str = DEMO_CUSTOMER_UUID,
    auth_token: str = DEMO_AUTH_TOKEN,
    bearer_token: str | None = DEMO_BEARER_TOKEN,
    twilio_account_sid: str = DEMO_TWILIO_ACCOUNT_SID,
    twilio_auth_token: str = DEMO_TWILIO_AUTH_TOKEN,
    flavour: Flavour = "plain",
    latency: Latency | None = None,
    keep_requests: int | None = None,
) -> web.Application:
    app = create_sdx_sandbox(
        customer_uuid=customer_uuid,
        auth_token=auth_token,
        bearer_token=bearer_token,
        flavour=flavour,
        latency=latency,
        keep_requests=keep_requests,
    )
    emulator = create_twilio_emulator(account_sid=twilio_account_sid, auth_token=twilio_auth_token)
    app.add_subapp(TWILIO_PREFIX, emulator)
    app[EMULATOR] = emulator
    return app


def twilio_state(sandbox: web.Application) -> TwilioState:
    return sandbox[EMULATOR][TWILIO_STATE]


def run_sandbox(host: str, port: int, flavour: Flavour = "plain") -> int:
    """``gateway sandbox``: the credentials it accepts come from the environment."""
    settings = load_sandbox_settings()
    configure_logging(settings.log_format, settings.log_level)
    app = create_sandbox(
        customer_uuid=settings.sdx_customer_uuid,
        auth_token=settings.sdx_auth_token.get_secret_value(),
        bearer_token=settings.sdx_bearer_token.get_secret_value(),
        twilio_account_sid=settings.twilio_account_sid,
        twilio_auth_token=settings.twilio_auth_token.get_secret_value(),
        flavour=flavour,
        keep_requests=KEEP_REQUESTS,
    )
    base = f"http://{host}:{port}"
    print(f"SDX sandbox:      {base}/api     (SDX_API_URL, {flavour} flavour)", flush=True)
    print(f"Twilio emulator:  {base}/twilio  (TWILIO_API_URL)", flush=True)
    web.run_app(app, host=host, port=port, access_log=None, print=None)
    return 0
