"""``/Messages``: send SMS and look at them."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway.sandbox.twilio import params
from gateway.sandbox.twilio.delivery import start_delivery
from gateway.sandbox.twilio.errors import TwilioError, bad_request
from gateway.sandbox.twilio.filters import DateFilter, newest_first
from gateway.sandbox.twilio.messages import MAX_BODY, MessageRecord
from gateway.sandbox.twilio.paging import page_json
from gateway.sandbox.twilio.params import Form
from gateway.sandbox.twilio.services import INVALID, NOT_FOUND, SERVICE_SID
from gateway.sandbox.twilio.state import TwilioState
from gateway.sandbox.twilio.views.common import found, list_uri, matches, resource, state_of
from gateway.sandbox.twilio.views.creates import answer_create


def _sender(state: TwilioState, form: Form, to: str) -> tuple[str, str | None]:
    """(the sending number, the messaging service sid or None)."""
    from_, service_sid = form.get("From"), form.get("MessagingServiceSid")
    if from_ is None and service_sid is None:
        raise bad_request(21603)
    service = None
    if service_sid is not None:
        if not SERVICE_SID.fullmatch(service_sid):
            raise bad_request(INVALID, service_sid)
        service = state.services.get(service_sid)
        if service is None:
            raise bad_request(NOT_FOUND, service_sid)
    if from_ is not None:
        if state.number(from_) is None:
            raise bad_request(21606, from_)
        return from_, service_sid
    assert service is not None
    return service.sender_for(to), service_sid  # the service picks from its pool


def _new_message(state: TwilioState, form: Form) -> MessageRecord:
    to = params.required_phone(form, "To", missing=21604, invalid=21211)
    if to in state.number_errors:
        status, code = state.number_errors[to]
        raise TwilioError(status, code)
    from_, service = _sender(state, form, to)
    body = form.get("Body")
    if body is None:
        raise bad_request(21602)
    if len(body) > MAX_BODY:
        raise bad_request(21617)
    return MessageRecord(
        state.account_sid,
        to=to,
        from_=from_,
        body=body,
        status="accepted" if service and not form.get("From") else "queued",
        messaging_service_sid=service,
        status_callback=params.optional_url(form, "StatusCallback", 21609),
        failure=state.take_delivery_failure(to),
    )


def _send_message(state: TwilioState, form: Form) -> dict[str, Any]:
    message = _new_message(state, form)
    state.add_message(message)
    message_json = message.as_json()  # before delivery starts: Twilio answers "queued"
    start_delivery(state, message)
    return message_json


async def create_message(request: web.Request) -> web.Response:
    return await answer_create(request, "Messages", _send_message)


async def list_messages(request: web.Request) -> web.Response:
    state = state_of(request)
    query = request.query
    sent = DateFilter.read(query, "DateSent")
    chosen = [
        message.as_json()
        for message in newest_first(state.messages)
        if matches(query, {"To": message.to, "From": message.shown_from})
        and sent.match(message.date_sent)
    ]
    kept = ("To", "From", *sent.names)
    body = page_json("messages", chosen, uri=list_uri(state, "Messages"), query=query, filters=kept)
    return resource(body)


async def fetch_message(request: web.Request) -> web.Response:
    messages = {message.sid: message for message in state_of(request).messages}
    return resource(found(request, messages).as_json())
