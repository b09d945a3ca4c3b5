"""The route table: Twilio's REST API under ``/2010-04-01`` (Messaging Services under
``/v1``), control under ``/_twilio``.

Paths are relative to the app, so it works at the root or mounted with
``add_subapp``. Routes are per method: another method is Twilio's 405.
"""

from __future__ import annotations

from aiohttp import web

from gateway.sandbox.twilio import control
from gateway.sandbox.twilio.phone import phone_routes
from gateway.sandbox.twilio.sids import API_VERSION
from gateway.sandbox.twilio.views import calls, incoming_numbers, messages, services

_ACCOUNT = f"/{API_VERSION}/Accounts/{{account}}"


def _api_routes() -> list[web.RouteDef]:
    one = "/{sid}.json"
    return [
        web.get(".json", incoming_numbers.fetch_account),
        web.get("/Calls.json", calls.list_calls),
        web.post("/Calls.json", calls.create_call),
        web.get("/Calls" + one, calls.fetch_call),
        web.post("/Calls" + one, calls.update_call),
        web.get("/Messages.json", messages.list_messages),
        web.post("/Messages.json", messages.create_message),
        web.get("/Messages" + one, messages.fetch_message),
        web.get("/IncomingPhoneNumbers.json", incoming_numbers.list_numbers),
        web.get("/IncomingPhoneNumbers" + one, incoming_numbers.fetch_number),
        web.post("/IncomingPhoneNumbers" + one, incoming_numbers.update_number),
    ]


def _messaging_routes() -> list[web.RouteDef]:
    return [
        web.get("/Services/{sid}", services.fetch_service),
        web.post("/Services/{sid}", services.update_service),
        web.get("/Services/{sid}/PhoneNumbers", services.list_service_numbers),
    ]


def _control_routes() -> list[web.RouteDef]:
    return [
        web.get("/calls", control.list_calls),
        web.get("/messages", control.list_messages),
        web.get("/requests", control.list_requests),
        web.post("/outcomes", control.set_outcomes),
        web.post("/detection", control.set_detection),
        web.post("/scripts", control.add_script),
        web.post("/failures", control.add_failure),
        web.post("/slow", control.add_slow),
        web.post("/services", control.add_service),
        web.post("/delivery_failures", control.add_delivery_failure),
        web.post("/inbound/sms", control.inbound_sms),
        web.post("/inbound/call", control.inbound_call),
        web.post("/reset", control.reset),
        *phone_routes(),
    ]


def _prefixed(prefix: str, routes: list[web.RouteDef]) -> list[web.RouteDef]:
    return [web.route(r.method, prefix + r.path, r.handler) for r in routes]


def setup_routes(app: web.Application) -> None:
    app.router.add_routes(_prefixed(_ACCOUNT, _api_routes()))
    app.router.add_routes(_prefixed("/v1", _messaging_routes()))
    app.router.add_routes(_prefixed("/_twilio", _control_routes()))
