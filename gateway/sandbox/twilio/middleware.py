"""The REST API's middleware: record every request, check Basic auth, answer errors as JSON.

Only requests under ``/2010-04-01`` and ``/v1`` (Messaging Services) are
touched, wherever the app is mounted; ``/_twilio`` control requests pass
straight through.
"""

from __future__ import annotations

import base64
import binascii
import hmac

from aiohttp import web
from aiohttp.typedefs import Handler

from gateway.sandbox.twilio.errors import TwilioError, not_found, unauthenticated
from gateway.sandbox.twilio.faults import RecordedRequest
from gateway.sandbox.twilio.params import Form
from gateway.sandbox.twilio.sids import API_VERSION
from gateway.sandbox.twilio.state import TWILIO_STATE, TwilioState

_ROOTS = (f"/{API_VERSION}", "/v1")


def api_path(request: web.Request) -> str | None:
    """The path from ``/2010-04-01`` (or ``/v1``) on, or None for anything else."""
    for root in _ROOTS:
        index = request.path.find(root + "/")
        if index < 0 and request.path.endswith(root):
            index = len(request.path) - len(root)
        if index >= 0:
            return request.path[index:]
    return None


def error_response(error: TwilioError) -> web.Response:
    return web.json_response(error.as_json(), status=error.status)


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def authenticated(request: web.Request, state: TwilioState) -> bool:
    """Basic ``AccountSid:AuthToken``, and the account in the path is that account."""
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, colon, password = (
            base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
        )
    except (binascii.Error, UnicodeDecodeError):
        return False
    user_ok = _same(user, state.account_sid)
    password_ok = _same(password, state.auth_token)  # both checked: no early exit
    path_account = request.match_info.get("account", state.account_sid)
    return bool(colon) and user_ok and password_ok and path_account == state.account_sid


def _from_http_error(path: str, error: web.HTTPException) -> TwilioError:
    if error.status == 405:
        return TwilioError(405, 20004)
    if error.status == 404:
        return not_found(path)
    return TwilioError(error.status, 20500 if error.status >= 500 else 20001, error.reason)


@web.middleware
async def twilio_api(request: web.Request, handler: Handler) -> web.StreamResponse:
    path = api_path(request)
    if path is None:
        return await handler(request)
    state = request.app[TWILIO_STATE]
    form = await Form.read(request)
    record = RecordedRequest(request.method, path, dict(request.query), form.as_dict())
    state.requests.append(record)
    try:
        if not authenticated(request, state):
            raise unauthenticated()
        response = await handler(request)
    except TwilioError as exc:
        response = error_response(exc)
    except web.HTTPException as exc:  # unknown path or method, in Twilio's words
        response = error_response(_from_http_error(path, exc))
    record.status = response.status
    return response
