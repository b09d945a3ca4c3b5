"""POST /twilio/sms: verify (middleware), parse, ``gateway.sms``, TwiML.

Failures inside become the "please try again later" reply with status 200:
Twilio would otherwise log an error and the respondent would hear nothing.
"""

from __future__ import annotations

import re

from aiohttp import web

from gateway.keys import SETTINGS, SMS
from gateway.logging import bind_context, get_logger
from gateway.sms import IncomingSms
from gateway.sms_text import MAX_MESSAGE, render_messages
from gateway.web.voice import twiml

log = get_logger(__name__)

# SM (SMS) or MM (MMS) followed by 32 hex digits.
_MESSAGE_SID = re.compile(r"(SM|MM)[0-9a-fA-F]{32}")


def _bad_request(reason: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=f"Bad request: {reason}\n")


async def incoming(request: web.Request) -> web.Response:
    form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
    message_sid = form.get("MessageSid", "")
    if not _MESSAGE_SID.fullmatch(message_sid):
        raise _bad_request("MessageSid missing or malformed")
    bind_context(message_sid=message_sid)
    respondent, number = form.get("From", ""), form.get("To", "")
    if not respondent or not number:
        raise _bad_request("From and To are required")
    # Keep more than a message can hold, so the answer is cut in one place.
    body = form.get("Body", "")[: MAX_MESSAGE * 2]
    sms = IncomingSms(message_sid, respondent, number, body, form.get("OptOutType", "")[:16])
    try:
        return twiml(await request.app[SMS].receive(sms))
    except Exception:
        # SDX errors and the deadline are handled in gateway.sms; this is
        # Redis down, or a bug.
        log.exception("sms_failed")
        message = request.app[SETTINGS].gateway_sms_try_later_message
        return twiml(render_messages([message]))


def add_sms_routes(app: web.Application) -> None:
    app.router.add_post("/twilio/sms", incoming)
