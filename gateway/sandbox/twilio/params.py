"""Reading Twilio's form parameters, and the checks Twilio makes on them."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from aiohttp import web
from multidict import MultiDict, MultiDictProxy

from gateway.sandbox.twilio.errors import bad_request

# E.164: "+", a country code that does not start with 0, at most 15 digits.
_E164 = re.compile(r"\+[1-9]\d{6,14}")
METHODS = frozenset({"GET", "POST"})


class Form:
    """A request's form body; repeated names (``StatusCallbackEvent``) keep every value."""

    def __init__(self, posted: MultiDictProxy[str]) -> None:
        self._posted = posted

    @classmethod
    async def read(cls, request: web.Request) -> Form:
        posted = await request.post()
        values = [(k, v) for k, v in posted.items() if isinstance(v, str)]
        return cls(MultiDictProxy(MultiDict(values)))

    def get(self, name: str) -> str | None:
        value = self._posted.get(name)
        return value if value else None

    def getall(self, name: str) -> list[str]:
        return list(self._posted.getall(name, []))

    def __contains__(self, name: str) -> bool:
        return name in self._posted

    def as_dict(self) -> dict[str, str]:
        """Names to values, repeated names' values joined with a space (for records)."""
        return {name: " ".join(self._posted.getall(name)) for name in self._posted}


def is_phone(value: str) -> bool:
    return _E164.fullmatch(value) is not None


def is_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def method(form: Form, name: str, code: int) -> str:
    """An HTTP method parameter (POST when absent); Twilio only calls with GET or POST."""
    value = (form.get(name) or "POST").upper()
    if value not in METHODS:
        raise bad_request(code, f"{name} must be GET or POST")
    return value


def optional_url(form: Form, name: str, code: int) -> str | None:
    value = form.get(name)
    if value is not None and not is_url(value):
        raise bad_request(code, f"{name} is not a valid URL: {value}")
    return value


def required_phone(form: Form, name: str, missing: int, invalid: int) -> str:
    value = form.get(name)
    if value is None:
        raise bad_request(missing)
    if not is_phone(value):
        raise bad_request(invalid, value)
    return value
