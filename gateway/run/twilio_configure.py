"""The ``gateway twilio configure`` command: routing from SDX, the plan, the changes.

The routed numbers, then the Messaging Services texts go through
(``TWILIO_MESSAGING_SERVICE_SID``, GATEWAY_NUMBERS' ``MG...=ID`` entries).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import aiohttp

from gateway.config import Settings, load_settings
from gateway.logging import configure_logging
from gateway.run.components import build_router
from gateway.run.connections import sdx_client
from gateway.sdx.errors import SdxError
from gateway.twilio.number_config import apply, plan, report
from gateway.twilio.rest import TwilioApiError, TwilioRest
from gateway.twilio.service_config import apply_services, plan_services, report_services
from gateway.twilio.urls import WebhookUrls


def twilio_configure(dry_run: bool) -> int:
    """``gateway twilio configure [--dry-run]``: settings from the environment."""
    settings = load_settings()
    configure_logging(settings.log_format, "WARNING")
    return asyncio.run(configure(settings, dry_run=dry_run, say=print))


async def configure(settings: Settings, *, dry_run: bool, say: Callable[[str], None]) -> int:
    """Returns the exit status: 0, or 1 when numbers or Messaging Services are missing
    (or a service has no numbers), or a service (SDX, Twilio) failed."""
    async with aiohttp.ClientSession() as session:
        sdx = sdx_client(settings, session)
        router = build_router(settings, sdx)
        try:
            table = await router.table()
        except SdxError as exc:
            say(f"cannot read the surveys' numbers from SDX: {exc}")
            return 1
        twilio = TwilioRest(settings)
        await twilio.start()
        urls = WebhookUrls(settings.gateway_public_url)
        try:
            plans = await plan(urls, table["voice"], table["sms"], twilio)
            if not plans:
                say("no number routes to a survey (set GATEWAY_NUMBERS or the surveys' numbers)")
                return 1
            missing = report(plans, dry_run, say)
            services = await plan_services(urls, settings.messaging_services, twilio)
            missing += report_services(services, dry_run, say)
            if not dry_run:
                await apply(plans, twilio)
                await apply_services(services, twilio)
        except TwilioApiError as exc:
            say(f"Twilio refused: {exc}")
            return 1
        finally:
            await twilio.close()
    if dry_run:
        say("dry run: nothing was changed")
    return 1 if missing else 0
