"""Message resources and how many SMS segments a body takes."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gateway.sandbox.twilio.sids import API_VERSION, new_sid, rfc2822, utc_now

MAX_BODY = 1600  # Twilio refuses longer bodies (21617)
# Delivery errors Twilio reports as "undelivered" (the carrier had the
# message); others as "failed" (it never left Twilio).
UNDELIVERED_CODES = frozenset({30003, 30004, 30005, 30006, 30007, 30008})

# GSM 03.38: characters of the basic set take one septet, the extension two.
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = frozenset("^{}\\[~]|€\f")


def num_segments(body: str) -> int:
    """Segments a body is sent in: GSM-7 (160, or 153 each when split), else UCS-2 (70/67)."""
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENSION for ch in body):
        units = sum(2 if ch in _GSM_EXTENSION else 1 for ch in body)
        single, part = 160, 153
    else:
        units = len(body.encode("utf-16-le")) // 2  # code units: emoji take two
        single, part = 70, 67
    return 1 if units <= single else math.ceil(units / part)


@dataclass
class DeliveryFailure:
    """Messages to ``to`` are accepted, then fail: their status becomes ``status``
    (``failed`` or ``undelivered``) with ``code``, and the StatusCallback hears
    it. ``times`` None: every message to ``to``; else the next ``times``."""

    to: str
    code: int
    status: str = ""  # "": the one that goes with the code
    times: int | None = None

    def __post_init__(self) -> None:
        if not self.status:
            self.status = "undelivered" if self.code in UNDELIVERED_CODES else "failed"
        if self.status not in ("failed", "undelivered"):
            raise ValueError("status must be failed or undelivered")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be at least 1")

    def as_json(self) -> dict[str, Any]:
        return {"to": self.to, "code": self.code, "status": self.status, "times": self.times}


@dataclass
class MessageRecord:
    """A message sent through the API, received by a number, or sent as a TwiML reply.

    ``direction`` is Twilio's: ``outbound-api``, ``inbound`` or ``outbound-reply``.
    ``created_at`` is ``time.monotonic()``; ``callbacks`` the statuses POSTed
    to ``status_callback``, in order; ``failure`` how its delivery will fail
    (``TwilioState.fail_delivery``).
    """

    account_sid: str
    to: str
    from_: str | None
    body: str
    direction: str = "outbound-api"
    status: str = "queued"
    messaging_service_sid: str | None = None
    status_callback: str | None = None
    sid: str = field(default_factory=lambda: new_sid("SM"))
    error_code: int | None = None
    error_message: str | None = None
    date_created: datetime = field(default_factory=utc_now)
    date_updated: datetime = field(default_factory=utc_now)
    date_sent: datetime | None = None
    created_at: float = field(default_factory=time.monotonic)
    callbacks: list[str] = field(default_factory=list)
    failure: DeliveryFailure | None = None  # how its delivery will fail, if it will

    @property
    def arrives(self) -> bool:
        """Will (did) the recipient get it?"""
        return self.status not in ("failed", "undelivered") and self.failure is None

    @property
    def num_segments(self) -> int:
        return num_segments(self.body)

    @property
    def uri(self) -> str:
        return f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}.json"

    @property
    def shown_from(self) -> str | None:
        """The From Twilio shows: with a messaging service it picks one later, null till then."""
        return None if self.messaging_service_sid and self.status == "accepted" else self.from_

    def as_json(self) -> dict[str, Any]:
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": self.body,
            "date_created": rfc2822(self.date_created),
            "date_sent": rfc2822(self.date_sent),
            "date_updated": rfc2822(self.date_updated),
            "direction": self.direction,
            "error_code": self.error_code,
            "error_message": self.error_message,
            "from": self.shown_from,
            "messaging_service_sid": self.messaging_service_sid,
            "num_media": "0",
            "num_segments": str(self.num_segments),
            "price": None,
            "price_unit": "USD",
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {"media": self.uri.removesuffix(".json") + "/Media.json"},
            "to": self.to,
            "uri": self.uri,
        }
