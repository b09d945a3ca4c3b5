"""Reading request parameters the way SDX does, with a 400 for bad ones."""

from __future__ import annotations

from collections.abc import Mapping

from gateway.sandbox.sdx.errors import BadRequest

Params = Mapping[str, str]

_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})


def required_text(params: Params, name: str) -> str:
    value = params.get(name)
    if value is None or value == "":
        raise BadRequest(f"{name} is required")
    return value


def optional_int(params: Params, name: str) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise BadRequest(f"{name} must be an integer") from None


def required_int(params: Params, name: str) -> int:
    value = optional_int(params, name)
    if value is None:
        raise BadRequest(f"{name} is required")
    return value


def optional_bool(params: Params, name: str) -> bool | None:
    """true/false/1/0 in any case; anything else is a 400."""
    value = params.get(name)
    if value is None:
        return None
    word = value.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise BadRequest(f"{name} must be true, false, 1 or 0")


def flag(params: Params, name: str) -> bool:
    return optional_bool(params, name) or False


def path_int(value: str, what: str) -> int:
    """An id from the URL (routes only match digits, but stay defensive)."""
    try:
        return int(value)
    except ValueError:
        raise BadRequest(f"{what} must be an integer") from None
