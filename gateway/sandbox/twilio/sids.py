"""Twilio identifiers and timestamps: ``CA`` + 32 hex digits, RFC 2822 dates."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from email.utils import format_datetime

API_VERSION = "2010-04-01"


def new_sid(prefix: str) -> str:
    """A fresh sid such as ``CA`` + 32 lowercase hex digits (Twilio's shape)."""
    return prefix + secrets.token_hex(16)


def utc_now() -> datetime:
    # Twilio keeps whole seconds in its resources.
    return datetime.now(UTC).replace(microsecond=0)


def rfc2822(value: datetime | None) -> str | None:
    """``Tue, 31 Aug 2010 20:36:28 +0000``, as Twilio's v2010 API writes dates."""
    if value is None:
        return None
    return format_datetime(value.astimezone(UTC))
