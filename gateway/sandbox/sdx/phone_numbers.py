"""``/phone_numbers``: what SDX knows about a phone number, via libphonenumber."""

from __future__ import annotations

import re
from typing import Any

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from gateway.sandbox.sdx.errors import BadRequest, NotFound

_REGION = re.compile(r"[A-Za-z]{2}")

# SDX knows three kinds; numbers that may be either are taken as mobile,
# because SDX then tries SMS rather than giving up on it.
_KINDS = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "mobile",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.FIXED_LINE: "landline",
}


def lookup(number: str, country_code: str = "US") -> dict[str, Any]:
    """The number in E.164 with its region, national format and kind; 404 if invalid."""
    if _REGION.fullmatch(country_code) is None:
        raise BadRequest("country_code must be a two-letter ISO country code")
    try:
        parsed = phonenumbers.parse(number, country_code.upper())
    except phonenumbers.NumberParseException:
        raise NotFound("not a phone number") from None
    if not phonenumbers.is_valid_number(parsed):
        raise NotFound("not a valid phone number")
    return {
        "phone_number": phonenumbers.format_number(parsed, PhoneNumberFormat.E164),
        "country_code": phonenumbers.region_code_for_number(parsed),
        "national_format": phonenumbers.format_number(parsed, PhoneNumberFormat.NATIONAL),
        "phone_type": _KINDS.get(phonenumbers.number_type(parsed), "landline"),
    }
