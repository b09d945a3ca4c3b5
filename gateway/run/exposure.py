"""Refusing to run where anyone can act as Twilio: the checks ``serve`` and
``dispatch`` make before they start.

With signature validation off, any POST to a webhook is taken as Twilio's:
it can start another respondent's survey (interaction ids are sequential),
answer it, or reschedule anyone's interaction. That is a tool for a
developer's machine, so it is allowed only while ``GATEWAY_PUBLIC_URL`` is a
loopback address. The demo secrets are published in this repository: with a
public URL they would let anyone sign webhooks (the Twilio token) or act as
the gateway towards a sandbox.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from gateway.config import DEMO_SECRETS, ConfigError, Settings


def is_loopback(url: str) -> bool:
    """``localhost``, ``127.0.0.0/8`` or ``::1``: reachable from this machine only."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _demo_secret_in_use(settings: Settings) -> str | None:
    """The variable holding a published demo secret, if any."""
    secrets = {
        "TWILIO_AUTH_TOKEN": settings.twilio_auth_token,
        "SDX_AUTH_TOKEN": settings.sdx_auth_token,
        "SDX_BEARER_TOKEN": settings.sdx_bearer_token,
    }
    for name, secret in secrets.items():
        if secret is not None and secret.get_secret_value() in DEMO_SECRETS:
            return name
    return None


def exposure_problem(settings: Settings) -> str | None:
    """Why this configuration must not run, in one line; None when it may."""
    if is_loopback(settings.gateway_public_url):
        return None
    if not settings.gateway_validate_signatures:
        return (
            "configuration error: GATEWAY_VALIDATE_SIGNATURES=false is allowed only with a "
            "loopback GATEWAY_PUBLIC_URL (localhost, 127.0.0.1, ::1): anyone could post webhooks"
        )
    name = _demo_secret_in_use(settings)
    if name is not None:
        return (
            f"configuration error: {name} is the published demo value, allowed only with a "
            "loopback GATEWAY_PUBLIC_URL: set the real secret"
        )
    return None


def refuse_if_exposed(settings: Settings) -> None:
    problem = exposure_problem(settings)
    if problem is not None:
        raise ConfigError(problem)
