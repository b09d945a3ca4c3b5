"""What every REST handler needs: the state, the record in the path, JSON answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from aiohttp import web

from gateway.sandbox.twilio.errors import not_found
from gateway.sandbox.twilio.middleware import api_path
from gateway.sandbox.twilio.sids import API_VERSION
from gateway.sandbox.twilio.state import TWILIO_STATE, TwilioState

T = TypeVar("T")


def state_of(request: web.Request) -> TwilioState:
    return request.app[TWILIO_STATE]


def list_uri(state: TwilioState, resource: str) -> str:
    return f"/{API_VERSION}/Accounts/{state.account_sid}/{resource}.json"


def found(request: web.Request, records: Mapping[str, T]) -> T:
    """The record named by ``{sid}`` in the path, or Twilio's 404."""
    record = records.get(request.match_info["sid"])
    if record is None:
        raise not_found(api_path(request) or request.path)
    return record


def resource(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(body, status=status)


def matches(query: Mapping[str, str], filters: Mapping[str, str | None]) -> bool:
    """True when every filter given in ``query`` (Twilio's names) equals the record's value."""
    return all(query[name] == value for name, value in filters.items() if name in query)
