"""``/IncomingPhoneNumbers``: the account's numbers and their webhook settings."""

from __future__ import annotations

from aiohttp import web

from gateway.sandbox.twilio import params
from gateway.sandbox.twilio.errors import bad_request
from gateway.sandbox.twilio.incoming_numbers import METHOD_FIELDS, URL_FIELDS
from gateway.sandbox.twilio.paging import page_json
from gateway.sandbox.twilio.params import Form
from gateway.sandbox.twilio.sids import API_VERSION
from gateway.sandbox.twilio.views.common import found, list_uri, matches, resource, state_of

INVALID_URL, INVALID_METHOD = 21402, 21403


async def list_numbers(request: web.Request) -> web.Response:
    state = state_of(request)
    chosen = [
        number.as_json()
        for number in state.numbers.values()
        if matches(
            request.query,
            {"PhoneNumber": number.phone_number, "FriendlyName": number.friendly_name},
        )
    ]
    uri = list_uri(state, "IncomingPhoneNumbers")
    filters = ("PhoneNumber", "FriendlyName")
    body = page_json(
        "incoming_phone_numbers", chosen, uri=uri, query=request.query, filters=filters
    )
    return resource(body)


async def fetch_number(request: web.Request) -> web.Response:
    return resource(found(request, state_of(request).numbers).as_json())


async def update_number(request: web.Request) -> web.Response:
    number = found(request, state_of(request).numbers)
    form = await Form.read(request)
    for name in URL_FIELDS:
        value = form.get(name)  # "" clears a URL, as on Twilio
        if value and not params.is_url(value):
            raise bad_request(INVALID_URL, f"{name}: {value}")
    for name in METHOD_FIELDS:
        if name in form:
            params.method(form, name, INVALID_METHOD)
    number.update(form.as_dict())
    return resource(number.as_json())


async def fetch_account(request: web.Request) -> web.Response:
    """``GET /Accounts/{Sid}.json``: what a credentials check (``gateway doctor``) reads."""
    state = state_of(request)
    uri = f"/{API_VERSION}/Accounts/{state.account_sid}"
    return resource(
        {
            "auth_token": state.auth_token,
            "date_created": None,
            "date_updated": None,
            "friendly_name": "Emulated account",
            "owner_account_sid": state.account_sid,
            "sid": state.account_sid,
            "status": "active",
            "subresource_uris": {
                "calls": f"{uri}/Calls.json",
                "messages": f"{uri}/Messages.json",
                "incoming_phone_numbers": f"{uri}/IncomingPhoneNumbers.json",
            },
            "type": "Full",
            "uri": f"{uri}.json",
        }
    )
