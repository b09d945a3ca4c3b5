"""A respondent calls or texts one of the account's numbers.

Both find the number's webhook (VoiceUrl, SmsUrl) as Twilio would, and send
Twilio's signed request to it; an SMS to a number of a Messaging Service's
pool goes where the service says (see ``services``), with its
``MessagingServiceSid``. A call is then followed like any other (the
caller's script or responder answers its Gathers); an SMS's TwiML reply is
read for ``<Message>`` replies, which are "sent" back to the sender (and
delivered, each status told to the ``<Message>``'s ``action``, if it has one).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from gateway.sandbox.twilio import twiml
from gateway.sandbox.twilio.calls import CallRecord
from gateway.sandbox.twilio.delivery import message_params, start_delivery
from gateway.sandbox.twilio.dialer import start_call
from gateway.sandbox.twilio.errors import MESSAGES, NotConfigured, WebhookFailed
from gateway.sandbox.twilio.incoming_numbers import PhoneNumber
from gateway.sandbox.twilio.interpreter import ApplicationError, twiml_text
from gateway.sandbox.twilio.messages import MAX_BODY, MessageRecord
from gateway.sandbox.twilio.sids import utc_now

if TYPE_CHECKING:
    from gateway.sandbox.twilio.state import TwilioState

TOO_LONG = 21617


def _number(state: TwilioState, phone: str) -> PhoneNumber:
    number = state.number(phone)
    if number is None:
        raise NotConfigured(f"{phone} is not one of the account's numbers")
    return number


async def inbound_call(state: TwilioState, from_: str, to: str) -> CallRecord:
    """Ring ``to`` from ``from_`` and follow the call to its end."""
    call, task = begin_inbound_call(state, from_, to)
    await task
    return call


def begin_inbound_call(
    state: TwilioState, from_: str, to: str
) -> tuple[CallRecord, asyncio.Task[None]]:
    """Ring ``to`` from ``from_``: the call, already under way, and its task."""
    number = _number(state, to)
    if not number.voice_url:
        raise NotConfigured(f"{to} has no VoiceUrl")
    call = CallRecord(
        account_sid=state.account_sid,
        to=to,
        from_=from_,
        direction="inbound",
        url=number.voice_url,
        method=number.voice_method,
        status_callback=number.status_callback or None,
        status_callback_method=number.status_callback_method,
        phone_number_sid=number.sid,
    )
    state.add_call(call)
    return call, start_call(state, call, outbound=False)


def _sms_webhook(state: TwilioState, to: str) -> tuple[str, str, str | None]:
    """(url, method, messaging service sid) of the webhook a text to ``to`` reaches."""
    number = _number(state, to)
    service = state.service_of(to)
    if service is not None and not service.use_inbound_webhook_on_number:
        if not service.inbound_request_url:
            raise NotConfigured(f"{to}'s Messaging Service has no inbound request URL")
        return service.inbound_request_url, service.inbound_method, service.sid
    if not number.sms_url:
        raise NotConfigured(f"{to} has no SmsUrl")
    return number.sms_url, number.sms_method, service.sid if service else None


async def inbound_sms(state: TwilioState, from_: str, to: str, body: str) -> list[str]:
    """Text ``body`` to ``to``; the bodies of the replies sent back (in order)."""
    url, method, service = _sms_webhook(state, to)
    received = MessageRecord(
        state.account_sid,
        to=to,
        from_=from_,
        body=body,
        direction="inbound",
        status="received",
        messaging_service_sid=service,
    )
    state.add_message(received)
    params = {
        **message_params(received),
        "Body": body,
        "NumMedia": "0",
        "NumSegments": str(received.num_segments),
        "SmsMessageSid": received.sid,
    }
    answer = await state.webhooks().send(url, method, params)
    try:
        replies = twiml.parse_messaging(twiml_text(answer))
    except twiml.TwimlError as exc:
        raise WebhookFailed(exc.code, str(exc)) from None
    except ApplicationError as exc:
        raise WebhookFailed(exc.code, exc.detail) from None
    bodies = (_reply(state, received, r, url) for r in replies)
    return [body for body in bodies if body is not None]


def _reply(
    state: TwilioState, received: MessageRecord, reply: twiml.Message, document: str
) -> str | None:
    """Record one ``<Message>`` as sent; None if it never arrives (too long, or
    set to fail). With a StatusCallback (``action``), or set to fail, it goes
    through delivery as an API message does, each status told to the callback."""
    to = reply.to or received.from_ or ""
    callback = urljoin(document, reply.status_callback) if reply.status_callback else None
    failure = state.take_delivery_failure(to)
    delivered = callback is not None or failure is not None
    message = MessageRecord(
        state.account_sid,
        to=to,
        from_=reply.from_ or received.to,
        body=reply.body,
        direction="outbound-reply",
        status="queued" if delivered else "sent",
        messaging_service_sid=received.messaging_service_sid,
        date_sent=None if delivered else utc_now(),
        status_callback=callback,
        failure=failure,
    )
    if len(reply.body) > MAX_BODY:
        message.status, message.error_code = "failed", TOO_LONG
        message.error_message = MESSAGES[TOO_LONG]
        message.failure = None
        state.add_message(message)
        return None
    state.add_message(message)
    if delivered:
        start_delivery(state, message)
    return reply.body if message.arrives else None
