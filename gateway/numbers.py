"""Phone numbers: one normal form (E.164) for matching, one masked form for logs.

Twilio sends E.164; SDX stores what the operator typed or imported, which
may be a local number (``0412 345 678``). A number without a country code
is read in a *region* (ISO 3166-1 alpha-2): ``GATEWAY_DEFAULT_REGION``, else
the region of the first number the gateway answers on, else ``US``. The
region is always passed in, never read from a global, so every reader of a
number shows where its region came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

# The last resort when nothing tells the gateway where its respondents are
# (and what every number was read as before the region could be set).
FALLBACK_REGION = "US"

# Text that may be a phone number: 7 to 15 digits, optionally after a "+"
# (or its URL-encoded form) or "(", grouped by up to three separators
# (spaces, dashes, dots, slashes, brackets) between digits, so
# "+61 - 409 - 999 - 999" and "61 409 999 999" qualify as well as
# "0412345678". Never inside a longer word or number, so SIDs, UUIDs and
# long ids stay intact. Dates and IPv4 addresses are given back unmasked.
_PHONE_LIKE = re.compile(r"(?<![\w+%.\-/])(?:\+|%2B|\()?\d(?:[\s\-./()]{0,3}\d){6,14}(?![\w])")
# _PHONE_LIKE needs at least seven digits.
_SHORTEST_PHONE_LIKE = 7
_NOT_A_NUMBER = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2})?"  # a date, with the hour a time may follow it by
    r"|\d{1,3}(?:\.\d{1,3}){3}"  # an IPv4 address
)


class InvalidNumber(ValueError):
    """Text that cannot be read as a phone number."""


def to_e164(text: str, region: str) -> str:
    """Normalise a phone number to E.164 (``+61409999999``).

    ``region`` reads a number written without a country code; one written
    with it (every number Twilio sends) reads the same in any region. Only
    parseability is required, not carrier validity: test and demo
    numbers must route too, and Twilio itself has already accepted them.
    """
    return _to_e164(text, region)


# phonenumbers takes ~100 µs a number, and every webhook normalises the same
# few numbers (ours, the caller's on each turn of a call) several times:
# the cache saves most of that. Bounded, so memory does not grow with the
# number of respondents (4096 entries: well under a megabyte). An invalid
# number raises and is not cached.
@lru_cache(maxsize=4096)
def _to_e164(text: str, region: str) -> str:
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidNumber(f"'{mask(text)}' is not a phone number") from None
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidNumber(f"'{mask(text)}' is not a possible phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def same_number(a: str, b: str, region: str) -> bool:
    """True when two spellings denote one number (e.g. SDX data vs Twilio's From)."""
    try:
        return to_e164(a, region) == to_e164(b, region)
    except InvalidNumber:
        return False


def check_region(text: str) -> str:
    """``text`` as a region code phonenumbers knows (``au`` -> ``AU``), or ValueError."""
    code = text.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(
            f"'{text.strip()}' is not an ISO 3166-1 alpha-2 region with a phone numbering "
            "plan, e.g. AU, GB, US"
        )
    return code


def region_of(number: str) -> str | None:
    """The region of a number written with its country code; None when it has none.

    Non-geographic numbers (+800...) and numbers whose country code is
    unknown name no region.
    """
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None
    code = phonenumbers.region_code_for_number(parsed)
    return code if code in phonenumbers.SUPPORTED_REGIONS else None


@dataclass(frozen=True)
class Region:
    """The region numbers without a country code are read in, and why it is that one."""

    code: str
    source: str  # for `gateway doctor` and the logs


def default_region(configured: str | None, routed: Iterable[str]) -> Region:
    """``configured`` (GATEWAY_DEFAULT_REGION) if set, else the first routed number's region.

    ``routed`` are the gateway's own numbers in routing order; one without
    a region of its own (non-geographic) is passed over.
    """
    if configured:
        return Region(configured, "GATEWAY_DEFAULT_REGION")
    for number in routed:
        code = region_of(number)
        if code is not None:
            return Region(code, f"routed number {number}")
    return Region(FALLBACK_REGION, "no routed number names a region")


def _mask_one(number: str) -> str:
    # Keep enough to tell numbers apart in an incident (country, prefix, last
    # three digits), never enough to dial: "+61409999999" -> "+6140****999".
    if _NOT_A_NUMBER.fullmatch(number):
        return number
    if len(number) <= 8:
        return "****"
    return f"{number[:5]}****{number[-3:]}"


def _mask_match(match: re.Match[str]) -> str:
    return _mask_one(match.group(0))


def mask(text: str) -> str:
    """Mask every phone-number-like run in ``text``."""
    if len(text) < _SHORTEST_PHONE_LIKE:
        return text  # every log line's short values (routes, event names) end here
    return _PHONE_LIKE.sub(_mask_match, text)


def parse_routes(text: str, region: str) -> dict[str, tuple[int, ...]]:
    """Parse ``+61200000000=52,+61200000001=53`` into E.164 number -> survey ids.

    A number may be listed more than once to serve several surveys; one
    without a country code is read in ``region``.
    """
    routes: dict[str, list[int]] = {}
    for raw_item in text.split(","):
        item = raw_item.strip()
        if not item:
            continue
        number, sep, survey = item.partition("=")
        if not sep or not survey.strip().isdigit():
            raise ValueError(f"'{item}' is not NUMBER=SURVEY_ID")
        try:
            e164 = to_e164(number.strip(), region)
        except InvalidNumber as exc:
            raise ValueError(str(exc)) from None
        ids = routes.setdefault(e164, [])
        if int(survey) not in ids:
            ids.append(int(survey))
    return {number: tuple(ids) for number, ids in routes.items()}
