"""``/v1/Services``: Messaging Services, read and pointed at an application.

Twilio serves these on ``messaging.twilio.com``; the emulator beside the
v2010 API, under ``/v1``, so one base URL serves both (the gateway points
the library's ``messaging`` domain at it as well as ``api``).
"""

from __future__ import annotations

from aiohttp import web

from gateway.sandbox.twilio import params
from gateway.sandbox.twilio.errors import bad_request
from gateway.sandbox.twilio.params import Form
from gateway.sandbox.twilio.services import FLAGS, METHOD_FIELDS, URL_FIELDS, MessagingService
from gateway.sandbox.twilio.views.common import found, resource, state_of

INVALID_URL, INVALID_METHOD, INVALID_PARAMETER = 21402, 21403, 20001


def api_base(request: web.Request) -> str:
    """Where the emulator is served (its mount point included), for absolute v1 URLs."""
    path = request.path
    cut = min((i for i in (path.find("/v1/"), path.find("/_twilio/")) if i >= 0), default=0)
    return str(request.url.origin()) + path[:cut]


def _service(request: web.Request) -> MessagingService:
    return found(request, state_of(request).services)


async def fetch_service(request: web.Request) -> web.Response:
    return resource(_service(request).as_json(api_base(request)))


async def update_service(request: web.Request) -> web.Response:
    service = _service(request)
    form = await Form.read(request)
    for name in URL_FIELDS:
        value = form.get(name)  # "" clears a URL
        if value and not params.is_url(value):
            raise bad_request(INVALID_URL, f"{name}: {value}")
    for name in METHOD_FIELDS:
        if name in form:
            params.method(form, name, INVALID_METHOD)
    for name in FLAGS:
        if name in form and (form.get(name) or "").lower() not in ("true", "false"):
            raise bad_request(INVALID_PARAMETER, f"{name} must be true or false")
    service.update(form.as_dict())
    return resource(service.as_json(api_base(request)))


async def list_service_numbers(request: web.Request) -> web.Response:
    """One page holding the whole pool (a pool is small; no paging to follow)."""
    state = state_of(request)
    service = _service(request)
    base = api_base(request)
    records = [
        service.number_json(phone, number.sid, base)
        for phone in service.numbers
        if (number := state.number(phone)) is not None
    ]
    size = request.query.get("PageSize", "50")
    url = f"{base}/v1/Services/{service.sid}/PhoneNumbers?PageSize={size}&Page=0"
    meta = {
        "page": 0,
        "page_size": int(size) if size.isdigit() else 50,
        "first_page_url": url,
        "previous_page_url": None,
        "next_page_url": None,
        "url": url,
        "key": "phone_numbers",
    }
    return resource({"phone_numbers": records, "meta": meta})
