"""How texts are sent: from a survey's number, or through a Twilio Messaging Service.

US senders need A2P 10DLC registration, which in practice means sending
through a Messaging Service: Twilio then picks the From from the service's
pool. ``TWILIO_MESSAGING_SERVICE_SID`` names one for every survey; an entry
``MG...=SURVEY_ID`` of ``GATEWAY_NUMBERS`` one for that survey, which comes
first. Such an entry routes nothing: the number entries (or SDX's survey
numbers) still route messages and calls by To, and still decide which
surveys text at all.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import (
    BaseModel,
    PrivateAttr,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

_SERVICE_SID = re.compile(r"MG[0-9a-fA-F]{32}")


def is_messaging_service(sender: str) -> bool:
    """True for a Messaging Service SID (``MG`` + 32 hex digits), not a number."""
    return _SERVICE_SID.fullmatch(sender) is not None


def check_messaging_service(text: str) -> str:
    """``text`` as a Messaging Service SID, or ValueError."""
    sid = text.strip()
    if not is_messaging_service(sid):
        raise ValueError(f"'{sid}' is not a Messaging Service SID (MG followed by 32 hex digits)")
    return sid


def split_services(text: str) -> tuple[str, dict[int, str]]:
    """GATEWAY_NUMBERS without its ``MG...=ID`` entries, and those: survey id -> service.

    ValueError for a malformed SID, or two services for one survey.
    """
    kept: list[str] = []
    services: dict[int, str] = {}
    for item in text.split(","):
        left, _, survey = item.partition("=")
        if not left.strip().upper().startswith("MG"):
            kept.append(item)  # a number (parse_routes checks it)
            continue
        sid = check_messaging_service(left)
        if not survey.strip().isdigit():
            raise ValueError(f"'{item.strip()}' is not SERVICE_SID=SURVEY_ID")
        if services.setdefault(int(survey), sid) != sid:
            raise ValueError(f"survey {int(survey)} is given two Messaging Services")
    return ",".join(kept), services


class MessagingSettings(BaseModel):
    """Part of ``Settings``: the Messaging Services texts go through."""

    twilio_messaging_service_sid: str | None = None
    # GATEWAY_NUMBERS' MG...=SURVEY_ID entries: survey id -> its service.
    _survey_services: dict[int, str] = PrivateAttr(default_factory=dict)

    @field_validator("twilio_messaging_service_sid")
    @classmethod
    def _check_service(cls, value: str | None) -> str | None:
        return check_messaging_service(value) if value and value.strip() else None

    @model_validator(mode="wrap")
    @classmethod
    def _services_of_numbers(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        # One variable, two readings: the gateway_numbers field keeps the
        # numbers (its validator checks the whole text); the services are kept here.
        settings = handler(data)
        raw = data.get("gateway_numbers") if isinstance(data, dict) else None
        if isinstance(settings, MessagingSettings) and isinstance(raw, str):
            settings._survey_services = split_services(raw)[1]
        return settings

    def messaging_service(self, survey_id: int) -> str | None:
        """The Messaging Service a survey's texts go through (None: from its number)."""
        return self._survey_services.get(survey_id, self.twilio_messaging_service_sid)

    @property
    def messaging_services(self) -> frozenset[str]:
        """Every Messaging Service the gateway sends through."""
        default = self.twilio_messaging_service_sid
        return frozenset({*self._survey_services.values(), *([default] if default else [])})
