"""``gateway demo``: everything in one process, no accounts needed.

The SDX sandbox and the Twilio emulator (``gateway sandbox``), the webhook
server and the dispatcher run together; state is in memory unless
REDIS_URL is set. The emulator's numbers are pointed at the gateway the way
``gateway twilio configure`` does it, and calls to the demo respondent wait
for ``gateway phone answer``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal

from aiohttp import web

from gateway.config import CallWindow, Settings
from gateway.logging import configure_logging, get_logger
from gateway.run.components import build_dispatcher
from gateway.run.serve import COMPONENTS, create_app
from gateway.run.twilio_configure import configure
from gateway.sandbox.app import KEEP_REQUESTS, create_sandbox, twilio_state
from gateway.sandbox.credentials import (
    DEMO_AUTH_TOKEN,
    DEMO_CUSTOMER_UUID,
    DEMO_RESPONDENT,
    DEMO_TWILIO_ACCOUNT_SID,
    DEMO_TWILIO_AUTH_TOKEN,
)
from gateway.sandbox.sdx import SANDBOX_STATE, Flavour
from gateway.sandbox.sdx.models import SurveyType
from gateway.sandbox.sdx.store import SdxStore
from gateway.sandbox.twilio import Outcome
from gateway.sandbox.twilio.phone import remote_phone
from gateway.twilio.rest import TwilioRest
from gateway.web.keys import REDIS, SDX

log = get_logger(__name__)

INBOUND, OUTBOUND, SMS = "+61200000000", "+61200000001", "+61200000002"
# A respondent SDX knows as Mexican Spanish ("es-MX"): the demo speaks Spanish
# to them (its "es" entry), and the sandbox's surveys carry Spanish texts.
SPANISH_RESPONDENT = "+61409999998"
DEMO_LANGUAGES = '{"es": {"voice": "Polly.Lupe", "language": "es-US"}}'


def demo_settings(host: str, port: int, sandbox_port: int) -> Settings:
    """Settings pointing the gateway at the in-process sandbox.

    REDIS_URL (and any other variable) from the environment still applies,
    so the demo can run against a real Redis.
    """
    sandbox = f"http://{host}:{sandbox_port}"
    return Settings(
        sdx_api_url=f"{sandbox}/api",
        sdx_customer_uuid=DEMO_CUSTOMER_UUID,
        sdx_auth_token=DEMO_AUTH_TOKEN,
        sdx_bearer_token=None,
        twilio_account_sid=DEMO_TWILIO_ACCOUNT_SID,
        twilio_auth_token=DEMO_TWILIO_AUTH_TOKEN,
        twilio_api_url=f"{sandbox}/twilio",
        gateway_public_url=f"http://{host}:{port}",
        port=port,
        log_format="console",
        log_level="WARNING",
        # A demo dials at any hour, soon, and not too fast to follow.
        gateway_call_window=CallWindow.parse("00:00-24:00"),
        gateway_dispatch_interval=5,
        gateway_calls_per_second=2,
        # Unless the environment says otherwise: Spanish for the Spanish respondent.
        gateway_languages=os.environ.get("GATEWAY_LANGUAGES") or DEMO_LANGUAGES,
    )


def add_spanish_respondent(store: SdxStore) -> None:
    """The Spanish respondent's three surveys: a call in, a call out, a first text."""
    surveys: tuple[tuple[int, SurveyType], ...] = ((52, "inbound"), (53, "outbound"), (54, "sms"))
    for survey_id, survey_type in surveys:
        interaction = store.create_interaction(
            survey_id,
            survey_type=survey_type,
            phone_number=SPANISH_RESPONDENT,
            external_ref=f"demo-{survey_type}-es",
        )
        interaction.respondent_language = "es-MX"


async def _start(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


def _banner(settings: Settings, host: str, port: int, sandbox_port: int) -> str:
    phone = ".venv/bin/gateway phone"
    sandbox = f"--sandbox http://{host}:{sandbox_port}/twilio" if sandbox_port != 8081 else ""
    sessions = "Redis at REDIS_URL" if settings.redis_url else "in memory"
    ops = settings.gateway_ops_port
    routes = (
        f"(/healthz; /readyz, /metrics on http://{host}:{ops})"
        if ops
        else "(/healthz, /readyz, /metrics)"
    )
    return f"""
Survey gateway demo is running (Ctrl-C to stop)
  gateway          http://{host}:{port}        {routes}
  SDX sandbox      http://{host}:{sandbox_port}/api    user {DEMO_CUSTOMER_UUID}
                                                 token {DEMO_AUTH_TOKEN}
  Twilio emulator  http://{host}:{sandbox_port}/twilio
  dispatcher       running; sessions {sessions}

Take a survey, in a second terminal (you are {DEMO_RESPONDENT}):
  {phone} call --from {DEMO_RESPONDENT} --to {INBOUND} {sandbox}    by phone (keys or words)
  {phone} sms --from {DEMO_RESPONDENT} --to {SMS} {sandbox}     by SMS (its first text is waiting)
  {phone} answer --number {DEMO_RESPONDENT} {sandbox}          answer the survey call placed to you
In Spanish, as {SPANISH_RESPONDENT} (SDX says es-MX; GATEWAY_LANGUAGES has es):
  {phone} call --from {SPANISH_RESPONDENT} --to {INBOUND} {sandbox}
  {phone} sms --from {SPANISH_RESPONDENT} --to {SMS} {sandbox}
  {phone} answer --number {SPANISH_RESPONDENT} {sandbox}
""".replace("  \n", "\n")


def demo(host: str, port: int, sandbox_port: int, flavour: Flavour = "plain") -> int:
    """``gateway demo``: until Ctrl-C."""
    return asyncio.run(run_demo(host=host, port=port, sandbox_port=sandbox_port, flavour=flavour))


async def run_demo(host: str, port: int, sandbox_port: int, flavour: Flavour = "plain") -> int:
    settings = demo_settings(host, port, sandbox_port)
    configure_logging("console", settings.log_level)
    sandbox = create_sandbox(flavour=flavour, keep_requests=KEEP_REQUESTS)
    twilio = twilio_state(sandbox)
    twilio.default_outcome = Outcome.NO_ANSWER  # other respondents: rescheduled, not surveyed
    # The demo respondent picks up from a softphone: their calls ring until then.
    add_spanish_respondent(sandbox[SANDBOX_STATE].store)
    for respondent in (DEMO_RESPONDENT, SPANISH_RESPONDENT):
        remote_phone(twilio, respondent)
        twilio.outcomes[respondent] = Outcome.ANSWER
    app = create_app(settings, ops_host=host)
    runners = [await _start(sandbox, host, sandbox_port), await _start(app, host, port)]
    await configure(settings, dry_run=False, say=lambda _: None)
    rest = TwilioRest(settings)
    await rest.start()
    parts = app[COMPONENTS]
    dispatcher = build_dispatcher(
        settings,
        app[SDX],
        app[REDIS],
        rest,
        parts.stores.conversations,
        attempts=parts.stores.attempts,
        feed=parts.feed,  # in memory: the agenda the web process fills
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    dispatching = asyncio.create_task(dispatcher.run(stop))
    print(_banner(settings, host, port, sandbox_port), flush=True)
    try:
        await stop.wait()
    finally:
        stop.set()
        await dispatching
        await rest.close()
        for active in twilio.active_calls():
            active.finished.set()
        for runner in reversed(runners):
            await runner.cleanup()
    return 0
