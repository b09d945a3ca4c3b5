"""Clients of the outside services, made from Settings: the only place that reads
credentials and tuning for them."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import aiohttp

from gateway import __version__
from gateway.config import Settings
from gateway.sdx import SdxClient
from gateway.sdx.transport import RetryPolicy, SdxTransport
from gateway.twilio.rest import TwilioRest


def sdx_client(settings: Settings, session: aiohttp.ClientSession) -> SdxClient:
    """An SdxClient using the shared HTTP session and the configured credentials."""
    secret = settings.sdx_auth_token or None
    bearer = settings.sdx_bearer_token or None
    transport = SdxTransport(
        session,
        settings.sdx_api_url,
        customer_uuid=settings.sdx_customer_uuid,
        auth_token=secret.get_secret_value() if secret else None,
        bearer_token=bearer.get_secret_value() if bearer else None,
        timeout=settings.gateway_sdx_timeout,
        # Retries must fit the webhook deadline: one that could not finish in
        # time is not started.
        policy=RetryPolicy(
            retries=settings.gateway_sdx_retries,
            total_budget=max(1.0, settings.gateway_webhook_deadline - 0.5),
        ),
    )
    return SdxClient(transport)


def http_session() -> aiohttp.ClientSession:
    """One pooled session for every outgoing request of a process."""
    return aiohttp.ClientSession(
        headers={"User-Agent": f"sdx-twilio-gateway/{__version__}"},
        # Close idle connections before SDX does, so a POST is not sent on a
        # socket the server is closing (which would make it ambiguous).
        connector=aiohttp.TCPConnector(limit=100, keepalive_timeout=10),
        # No cookies kept or sent back: SDX authenticates every request with
        # its credentials, and a PHP SDX handed its own session cookie back
        # serves requests sharing one session one at a time (PHP locks the
        # session for the length of each request).
        cookie_jar=aiohttp.DummyCookieJar(),
    )


@contextlib.asynccontextmanager
async def twilio_rest(settings: Settings) -> AsyncIterator[TwilioRest]:
    """Twilio's REST client, open for the block."""
    client = TwilioRest(settings)
    await client.start()
    try:
        yield client
    finally:
        await client.close()
