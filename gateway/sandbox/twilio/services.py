"""Messaging Services: a pool of the account's numbers that sends texts and hears replies.

Sending through a service (``MessagingServiceSid``, no ``From``), the
service picks the From from its pool: with sticky sender (on, as Twilio's
default) a recipient keeps the number they were first texted from; a new
recipient gets the pool's next number in turn (Twilio chooses by its own
rules: geomatch, number type; the emulator simply goes round). A test may
pin a recipient's sender in ``sticky``.

A message reaching a number of the pool is posted with its
``MessagingServiceSid`` to the service's ``inbound_request_url``, or to the
number's own SmsUrl when ``use_inbound_webhook_on_number`` ("defer to
sender's webhook"). A new service has neither: Twilio then drops the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gateway.numbers import region_of
from gateway.sandbox.twilio.errors import TwilioError
from gateway.sandbox.twilio.sids import new_sid, utc_now

SERVICE_SID = re.compile(r"MG[0-9a-fA-F]{32}")
NOT_FOUND, NO_NUMBERS, INVALID = 21701, 21704, 21705

# Form parameter -> attribute, for what ``POST /v1/Services/{Sid}`` may change.
UPDATABLE = {
    "FriendlyName": "friendly_name",
    "InboundRequestUrl": "inbound_request_url",
    "InboundMethod": "inbound_method",
    "FallbackUrl": "fallback_url",
    "FallbackMethod": "fallback_method",
    "StatusCallback": "status_callback",
}
URL_FIELDS = ("InboundRequestUrl", "FallbackUrl", "StatusCallback")
METHOD_FIELDS = ("InboundMethod", "FallbackMethod")
FLAGS = {
    "StickySender": "sticky_sender",
    "UseInboundWebhookOnNumber": "use_inbound_webhook_on_number",
}


_LINKS = {
    "phone_numbers": "PhoneNumbers",
    "short_codes": "ShortCodes",
    "alpha_senders": "AlphaSenders",
    "us_app_to_person": "Compliance/Usa2p",
}


def iso(value: datetime) -> str:
    """``2015-07-30T20:12:31Z``: the v1 APIs' dates."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class MessagingService:
    account_sid: str
    numbers: list[str]  # the pool: E.164 numbers of the account
    sid: str = field(default_factory=lambda: new_sid("MG"))
    friendly_name: str = "Emulated Messaging Service"
    inbound_request_url: str | None = None
    inbound_method: str = "POST"
    fallback_url: str | None = None
    fallback_method: str = "POST"
    status_callback: str | None = None
    sticky_sender: bool = True
    use_inbound_webhook_on_number: bool = False
    sticky: dict[str, str] = field(default_factory=dict)  # recipient -> the pool number
    turn: int = 0
    date_created: datetime = field(default_factory=utc_now)
    date_updated: datetime = field(default_factory=utc_now)

    def sender_for(self, to: str) -> str:
        """The pool number a text to ``to`` is sent from (21704 for an empty pool)."""
        if not self.numbers:
            raise TwilioError(400, NO_NUMBERS)
        kept = self.sticky.get(to)
        if self.sticky_sender and kept in self.numbers:
            return kept
        chosen = self.numbers[self.turn % len(self.numbers)]
        self.turn += 1
        if self.sticky_sender:
            self.sticky[to] = chosen
        return chosen

    def update(self, form: dict[str, str]) -> None:
        for param, attribute in UPDATABLE.items():
            if param not in form:
                continue
            value: str | None = form[param]
            if param in METHOD_FIELDS:
                value = form[param].upper() or "POST"
            elif param in URL_FIELDS:
                value = form[param] or None  # "" clears it, as on Twilio
            setattr(self, attribute, value)
        for param, attribute in FLAGS.items():
            if param in form:
                setattr(self, attribute, form[param].lower() == "true")
        self.date_updated = utc_now()

    def as_json(self, base: str) -> dict[str, Any]:
        """Twilio's shape; ``base`` is where the emulator's v1 API is served."""
        url = f"{base}/v1/Services/{self.sid}"
        return {
            "account_sid": self.account_sid,
            "sid": self.sid,
            "date_created": iso(self.date_created),
            "date_updated": iso(self.date_updated),
            "friendly_name": self.friendly_name,
            "inbound_request_url": self.inbound_request_url,
            "inbound_method": self.inbound_method,
            "fallback_url": self.fallback_url,
            "fallback_method": self.fallback_method,
            "status_callback": self.status_callback,
            "sticky_sender": self.sticky_sender,
            "smart_encoding": False,
            "mms_converter": True,
            "fallback_to_long_code": False,
            "scan_message_content": "inherit",
            "area_code_geomatch": True,
            "validity_period": 36000,
            "synchronous_validation": True,
            "usecase": "undeclared",
            "us_app_to_person_registered": False,
            "use_inbound_webhook_on_number": self.use_inbound_webhook_on_number,
            "links": {name: f"{url}/{path}" for name, path in _LINKS.items()},
            "url": url,
        }

    def number_json(self, phone: str, number_sid: str, base: str) -> dict[str, Any]:
        """One of the pool's numbers, as ``/v1/Services/{Sid}/PhoneNumbers`` lists it."""
        return {
            "sid": number_sid,
            "account_sid": self.account_sid,
            "service_sid": self.sid,
            "date_created": iso(self.date_created),
            "date_updated": iso(self.date_updated),
            "phone_number": phone,
            "country_code": region_of(phone) or "US",
            "capabilities": ["SMS", "Voice"],
            "url": f"{base}/v1/Services/{self.sid}/PhoneNumbers/{number_sid}",
        }
