"""POST /twilio/sms and /twilio/sms/status: parse what Twilio posts, call the SMS survey.

The signature is checked before these run (``gateway.web.signature``). The
answer is TwiML with status 200 whatever happens inside: the survey turns
failures into the "please try again later" reply, since Twilio would
otherwise log an error and the respondent would hear nothing; a status
callback gets an empty ``<Response/>`` once it was read.
"""

from __future__ import annotations

import re
from typing import Final

from aiohttp import web

from gateway.logging import bind_context
from gateway.sms.delivery import DeliveryReport, SmsDelivery
from gateway.sms.survey import IncomingSms, SmsSurvey
from gateway.sms.text import MAX_MESSAGE, render_messages
from gateway.twilio import urls
from gateway.twilio.webhooks import MESSAGE_SID, bad_request, field, read_form, twiml_response

SMS = web.AppKey("sms", SmsSurvey)
DELIVERY = web.AppKey("sms_delivery", SmsDelivery)

# A dispatch attempt: an epoch second, or a resend ("retry-2").
_ATTEMPT: Final = re.compile(r"[0-9A-Za-z-]{1,32}")
_NUMBER: Final = re.compile(r"[0-9]{1,12}")
_STATUS: Final = re.compile(r"[a-z-]{1,32}")


async def incoming(request: web.Request) -> web.Response:
    form = await read_form(request)
    message_sid = field(form, "MessageSid")
    if not MESSAGE_SID.fullmatch(message_sid):
        raise bad_request("MessageSid missing or malformed")
    bind_context(message_sid=message_sid)
    respondent, number = field(form, "From"), field(form, "To")
    if not respondent or not number:
        raise bad_request("From and To are required")
    # Keep more than a message can hold, so the answer is cut in one place.
    body = field(form, "Body", MAX_MESSAGE * 2)
    opt_out_type = field(form, "OptOutType", 16)
    # Present when the number is in a Messaging Service's pool.
    service = field(form, "MessagingServiceSid", 64)
    sms = IncomingSms(message_sid, respondent, number, body, opt_out_type, service)
    return twiml_response(await request.app[SMS].receive(sms))


def _number(value: str, name: str) -> int | None:
    """An optional whole number (a query parameter or ErrorCode); 400 if malformed."""
    if not value:
        return None
    if not _NUMBER.fullmatch(value):
        raise bad_request(f"{name} must be a number")
    return int(value)


async def status(request: web.Request) -> web.Response:
    """POST /twilio/sms/status: a text the gateway sent was queued, sent, delivered... or not."""
    form = await read_form(request)
    message_sid = field(form, "MessageSid")
    if not MESSAGE_SID.fullmatch(message_sid):
        raise bad_request("MessageSid missing or malformed")
    bind_context(message_sid=message_sid)
    message_status = field(form, "MessageStatus")
    if not _STATUS.fullmatch(message_status):
        raise bad_request("MessageStatus missing or malformed")
    respondent, number = field(form, "To"), field(form, "From")
    if not respondent or not number:
        raise bad_request("From and To are required")
    query = request.query
    attempt = query.get("attempt")
    if attempt is not None and not _ATTEMPT.fullmatch(attempt):
        raise bad_request("attempt is malformed")
    report = DeliveryReport(
        message_sid=message_sid,
        status=message_status,
        error_code=_number(field(form, "ErrorCode"), "ErrorCode"),
        respondent=respondent,
        number=number,
        service=field(form, "MessagingServiceSid", 64),
        interaction_id=_number(query.get("interaction", ""), "interaction"),
        attempt=attempt,
        question=_number(query.get("question", ""), "question"),
    )
    await request.app[DELIVERY].report(report)
    return twiml_response(render_messages([]))


def add_sms_routes(app: web.Application) -> None:
    app.router.add_post(urls.SMS, incoming)
    app.router.add_post(urls.SMS_STATUS, status)
