"""POST /twilio/sms: parse what Twilio posts, call the SMS survey, answer its TwiML.

The signature is checked before this runs (``gateway.web.signature``). The
answer is TwiML with status 200 whatever happens inside: the survey turns
failures into the "please try again later" reply, since Twilio would
otherwise log an error and the respondent would hear nothing.
"""

from __future__ import annotations

from aiohttp import web

from gateway.logging import bind_context
from gateway.sms.survey import IncomingSms, SmsSurvey
from gateway.sms.text import MAX_MESSAGE
from gateway.twilio import urls
from gateway.twilio.webhooks import MESSAGE_SID, bad_request, field, read_form, twiml_response

SMS = web.AppKey("sms", SmsSurvey)


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


def add_sms_routes(app: web.Application) -> None:
    app.router.add_post(urls.SMS, incoming)
