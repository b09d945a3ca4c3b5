"""IncomingPhoneNumbers: the account's numbers and where they send webhooks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gateway.sandbox.twilio.sids import API_VERSION, new_sid, rfc2822, utc_now

# Form parameter -> attribute, for what ``POST /IncomingPhoneNumbers/{Sid}.json`` may change.
UPDATABLE = {
    "FriendlyName": "friendly_name",
    "VoiceUrl": "voice_url",
    "VoiceMethod": "voice_method",
    "StatusCallback": "status_callback",
    "StatusCallbackMethod": "status_callback_method",
    "SmsUrl": "sms_url",
    "SmsMethod": "sms_method",
}
URL_FIELDS = ("VoiceUrl", "StatusCallback", "SmsUrl")
METHOD_FIELDS = ("VoiceMethod", "StatusCallbackMethod", "SmsMethod")


def friendly(number: str) -> str:
    """Twilio's default friendly name; for non-NANP numbers that is the number."""
    digits = number.removeprefix("+1")
    if number.startswith("+1") and len(digits) == 10:
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    return number


@dataclass
class PhoneNumber:
    account_sid: str
    phone_number: str
    sid: str = field(default_factory=lambda: new_sid("PN"))
    friendly_name: str = ""
    voice_url: str = ""
    voice_method: str = "POST"
    status_callback: str = ""
    status_callback_method: str = "POST"
    sms_url: str = ""
    sms_method: str = "POST"
    date_created: datetime = field(default_factory=utc_now)
    date_updated: datetime = field(default_factory=utc_now)

    def __post_init__(self) -> None:
        self.friendly_name = self.friendly_name or friendly(self.phone_number)

    @property
    def uri(self) -> str:
        return f"/{API_VERSION}/Accounts/{self.account_sid}/IncomingPhoneNumbers/{self.sid}.json"

    def update(self, form: dict[str, str]) -> None:
        for param, attribute in UPDATABLE.items():
            if param in form:
                value = (form[param].upper() or "POST") if param in METHOD_FIELDS else form[param]
                setattr(self, attribute, value)
        self.date_updated = utc_now()

    def as_json(self) -> dict[str, Any]:
        return {
            "account_sid": self.account_sid,
            "address_requirements": "none",
            "address_sid": None,
            "api_version": API_VERSION,
            "beta": False,
            "capabilities": {"voice": True, "sms": True, "mms": False, "fax": False},
            "date_created": rfc2822(self.date_created),
            "date_updated": rfc2822(self.date_updated),
            "emergency_address_sid": None,
            "emergency_address_status": "unregistered",
            "emergency_status": "Inactive",
            "friendly_name": self.friendly_name,
            "identity_sid": None,
            "origin": "twilio",
            "phone_number": self.phone_number,
            "sid": self.sid,
            "sms_application_sid": "",
            "sms_fallback_method": "POST",
            "sms_fallback_url": "",
            "sms_method": self.sms_method,
            "sms_url": self.sms_url,
            "status": "in-use",
            "status_callback": self.status_callback,
            "status_callback_method": self.status_callback_method,
            "trunk_sid": None,
            "uri": self.uri,
            "voice_application_sid": "",
            "voice_caller_id_lookup": False,
            "voice_fallback_method": "POST",
            "voice_fallback_url": "",
            "voice_method": self.voice_method,
            "voice_receive_mode": "voice",
            "voice_url": self.voice_url,
            "bundle_sid": None,
            "subresource_uris": {
                "assigned_add_ons": self.uri.removesuffix(".json") + "/AssignedAddOns.json"
            },
        }
