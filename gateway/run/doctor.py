"""``gateway doctor``: every setting and dependency checked in turn, with a fix for each failure.

One line per check: ``ok``, ``warn`` (works, but not as production should)
or ``FAIL`` (the gateway cannot work so), each failure with what to do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import aiohttp
from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway.config import ConfigError, Settings, load_settings
from gateway.logging import configure_logging
from gateway.numbers import region_of
from gateway.run.check import Check
from gateway.run.components import build_router
from gateway.run.connections import sdx_client
from gateway.run.doctor_languages import check_languages
from gateway.run.exposure import exposure_problem
from gateway.sdx.errors import SdxError, SdxUnauthorized
from gateway.survey.routing import Table, region_for
from gateway.twilio.number_config import plan
from gateway.twilio.rest import TwilioApiError, TwilioRest
from gateway.twilio.service_config import plan_services
from gateway.twilio.urls import WebhookUrls

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def check_public_url(settings: Settings) -> Check:
    url = urlsplit(settings.gateway_public_url)
    if url.hostname in LOCAL_HOSTS:
        return Check(
            "public URL",
            "warn",
            f"{settings.gateway_public_url} is local only",
            "Twilio cannot reach it: set the https URL of this gateway",
        )
    if url.scheme != "https":
        return Check(
            "public URL",
            "FAIL",
            f"{settings.gateway_public_url} is not https",
            "serve the gateway behind TLS and set GATEWAY_PUBLIC_URL=https://...",
        )
    return Check("public URL", "ok", settings.gateway_public_url)


def check_exposure(settings: Settings) -> Check:
    problem = exposure_problem(settings)
    if problem is None:
        return Check("exposure", "ok", "no demo secret or unsigned webhooks behind a public URL")
    return Check(
        "exposure",
        "FAIL",
        problem.removeprefix("configuration error: "),
        "serve and dispatch refuse to start so: fix the setting named",
    )


def check_retired(settings: Settings) -> Check | None:
    if settings.gateway_index_ttl is None:
        return None
    return Check(
        "GATEWAY_INDEX_TTL",
        "warn",
        "no longer used: new interactions are looked for as needed, and each survey "
        "is listed in full every GATEWAY_RECONCILE_INTERVAL",
        "remove GATEWAY_INDEX_TTL; set GATEWAY_RECONCILE_INTERVAL if the default does not suit",
    )


def check_signatures(settings: Settings) -> Check:
    if settings.gateway_validate_signatures:
        return Check("webhook signatures", "ok", "checked on every /twilio/* request")
    return Check(
        "webhook signatures",
        "FAIL",
        "GATEWAY_VALIDATE_SIGNATURES=false",
        "remove it: anyone could post fake answers",
    )


async def check_redis(settings: Settings) -> Check:
    if settings.redis_url is None:
        return Check(
            "redis",
            "warn",
            "REDIS_URL unset: in-memory state, one process only",
            "set REDIS_URL for production and for gateway dispatch",
        )
    redis = Redis.from_url(settings.redis_url, socket_connect_timeout=3, socket_timeout=3)
    try:
        await redis.ping()
    except (RedisError, OSError) as exc:
        return Check(
            "redis",
            "FAIL",
            f"{type(exc).__name__} at REDIS_URL",
            "start Redis or correct REDIS_URL",
        )
    finally:
        await redis.aclose()
    return Check("redis", "ok", "answers PING")


async def check_sdx(
    settings: Settings, session: aiohttp.ClientSession
) -> tuple[Check, Table | None]:
    sdx = sdx_client(settings, session)
    router = build_router(settings, sdx)
    try:
        await sdx.list_surveys(limit=1)
        table = await router.table()
    except SdxUnauthorized:
        return Check(
            "SDX credentials",
            "FAIL",
            f"{settings.sdx_api_url} answered 401",
            "check SDX_CUSTOMER_UUID and SDX_AUTH_TOKEN (or SDX_BEARER_TOKEN)",
        ), None
    except SdxError as exc:
        return Check(
            "SDX credentials",
            "FAIL",
            f"{settings.sdx_api_url}: {exc}",
            "check SDX_API_URL and that SDX is reachable from here",
        ), None
    count = len(set(table["voice"]) | set(table["sms"]))
    return Check(
        "SDX credentials", "ok", f"{settings.sdx_api_url} accepts them, {count} routed number(s)"
    ), table


def check_region(settings: Settings, table: Table | None) -> Check:
    """The region SDX's numbers without a country code are read in, and why."""
    configured = settings.gateway_default_region
    if table is None and not configured:
        return Check(
            "default region",
            "warn",
            "unknown: it comes from the routed numbers, and SDX did not list them",
            "fix SDX access, or set GATEWAY_DEFAULT_REGION",
        )
    region = region_for(configured, table or {"voice": {}, "sms": {}})
    detail = f"{region.code} ({region.source})"
    routed = [*table["voice"], *table["sms"]] if table else []
    regions = sorted({code for code in map(region_of, routed) if code})
    if not configured and len(regions) > 1:
        # The first number decides for every survey: likely wrong for some.
        return Check(
            "default region",
            "warn",
            f"{detail}, but the routed numbers are in {', '.join(regions)}",
            "set GATEWAY_DEFAULT_REGION to the region of the numbers in SDX",
        )
    return Check("default region", "ok", detail)


async def check_twilio(settings: Settings, twilio: TwilioRest) -> Check:
    try:
        status = await twilio.account_status()
    except TwilioApiError as exc:
        fix = (
            "check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"
            if exc.status == 401
            else "check TWILIO_API_URL / network access to Twilio"
        )
        return Check("Twilio credentials", "FAIL", str(exc), fix)
    if status != "active":
        return Check("Twilio credentials", "FAIL", f"account is {status}", "reactivate it")
    return Check("Twilio credentials", "ok", f"account {settings.twilio_account_sid} is active")


async def check_numbers(settings: Settings, table: Table, twilio: TwilioRest) -> list[Check]:
    if not table["voice"] and not table["sms"]:
        return [
            Check(
                "routed numbers",
                "FAIL",
                "no number routes to a survey",
                "set the surveys' numbers in SDX, or GATEWAY_NUMBERS",
            )
        ]
    checks = []
    for item in await plan(
        WebhookUrls(settings.gateway_public_url), table["voice"], table["sms"], twilio
    ):
        name = f"number {item.number}"
        if item.found is None:
            checks.append(
                Check(
                    name,
                    "FAIL",
                    "not in this Twilio account",
                    "buy or port it, or correct the routing",
                )
            )
        elif item.changes:
            wrong = ", ".join(sorted(item.changes))
            checks.append(
                Check(
                    name,
                    "FAIL",
                    f"does not point at this gateway ({wrong})",
                    "run: gateway twilio configure",
                )
            )
        else:
            checks.append(Check(name, "ok", "points at this gateway"))
    return checks


async def check_services(settings: Settings, twilio: TwilioRest) -> list[Check]:
    """Each Messaging Service texts go through: there, able to send, and where replies go."""
    checks = []
    urls = WebhookUrls(settings.gateway_public_url)
    for item in await plan_services(urls, settings.messaging_services, twilio):
        name = f"messaging service {item.sid}"
        fix = "run: gateway twilio configure"
        if item.found is None:
            fix = "correct TWILIO_MESSAGING_SERVICE_SID or GATEWAY_NUMBERS' MG... entries"
            checks.append(Check(name, "FAIL", "not in this Twilio account", fix))
        elif not item.found.numbers:
            fix = "add the surveys' numbers to its sender pool in the Twilio console"
            checks.append(Check(name, "FAIL", "has no phone numbers: Twilio refuses to send", fix))
        elif item.changes:
            detail = f"inbound messages go to {item.inbound}, not this gateway"
            checks.append(Check(name, "FAIL", detail, fix))
        else:
            count = len(item.found.numbers)
            detail = f"sends from {count} number(s); inbound messages go to {item.inbound}"
            checks.append(Check(name, "ok", detail))
    return checks


def doctor() -> int:
    """``gateway doctor``: exit status 1 when any check fails."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"FAIL  settings: {exc}\n      fix: set it in the environment or .env")
        return 1
    configure_logging(settings.log_format, "CRITICAL")  # the report is the output
    failed = asyncio.run(run_checks(settings, print))
    print(f"\n{failed} check(s) failed" if failed else "\nall checks passed")
    return 1 if failed else 0


async def run_checks(settings: Settings, say: Callable[[str], None]) -> int:
    """Run every check, printing as it goes; returns how many failed."""
    results: list[Check] = []

    def record(check: Check) -> None:
        results.append(check)
        say(check.line())

    record(check_public_url(settings))
    record(check_signatures(settings))
    record(check_exposure(settings))
    for check in check_languages(settings):
        record(check)
    retired = check_retired(settings)
    if retired is not None:
        record(retired)
    record(await check_redis(settings))
    async with aiohttp.ClientSession() as session:
        sdx_check, table = await check_sdx(settings, session)
        record(sdx_check)
        record(check_region(settings, table))
        twilio = TwilioRest(settings)
        await twilio.start()
        try:
            twilio_check = await check_twilio(settings, twilio)
            record(twilio_check)
            if table is not None and twilio_check.level == "ok":
                for check in await _guard(check_numbers(settings, table, twilio)):
                    record(check)
            if twilio_check.level == "ok":
                for check in await _guard(check_services(settings, twilio), "messaging services"):
                    record(check)
        finally:
            await twilio.close()
    return sum(1 for check in results if check.level == "FAIL")


async def _guard(checks: Awaitable[list[Check]], name: str = "routed numbers") -> list[Check]:
    try:
        return await checks
    except TwilioApiError as exc:
        return [Check(name, "FAIL", str(exc), "check access to Twilio")]
