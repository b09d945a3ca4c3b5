"""``/Calls``: place calls, look at them, hang them up or redirect them."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway.sandbox.twilio import params
from gateway.sandbox.twilio.calls import FINAL, CallRecord
from gateway.sandbox.twilio.dialer import start_call
from gateway.sandbox.twilio.errors import TwilioError, bad_request
from gateway.sandbox.twilio.filters import DateFilter, newest_first
from gateway.sandbox.twilio.line import HangUp, Redirect
from gateway.sandbox.twilio.paging import page_json
from gateway.sandbox.twilio.params import Form
from gateway.sandbox.twilio.state import TwilioState
from gateway.sandbox.twilio.views.common import found, list_uri, matches, resource, state_of
from gateway.sandbox.twilio.views.creates import answer_create

_NOT_ANSWERED = frozenset({"queued", "initiated", "ringing"})
_EVENTS = frozenset({"initiated", "ringing", "answered", "completed"})


def _new_call(state: TwilioState, form: Form) -> CallRecord:
    """The call ``form`` asks for, checked as Twilio checks it."""
    to = params.required_phone(form, "To", missing=21201, invalid=21211)
    from_ = form.get("From")
    if from_ is None:
        raise bad_request(21213)
    if state.number(from_) is None:
        raise bad_request(21210, from_)
    url, twiml = form.get("Url"), form.get("Twiml")
    if url is None and twiml is None:
        raise bad_request(21205, "Url parameter is required")
    if url is not None and not params.is_url(url):
        raise bad_request(21205, url)
    events = {event for value in form.getall("StatusCallbackEvent") for event in value.split()}
    timeout = form.get("Timeout") or "60"
    asynchronous = (form.get("AsyncAmd") or "").lower() == "true"
    amd_callback = params.optional_url(form, "AsyncAmdStatusCallback", 21609)
    return CallRecord(
        account_sid=state.account_sid,
        to=to,
        from_=from_,
        url=url if twiml is None else None,  # Twiml wins over Url, as on Twilio
        method=params.method(form, "Method", 21209),
        twiml=twiml,
        status_callback=params.optional_url(form, "StatusCallback", 21609),
        status_callback_method=params.method(form, "StatusCallbackMethod", 21209),
        status_callback_events=frozenset(events & _EVENTS),
        machine_detection=form.get("MachineDetection"),
        async_amd_callback=amd_callback if asynchronous else None,
        async_amd_method=params.method(form, "AsyncAmdStatusCallbackMethod", 21209),
        timeout=int(timeout) if timeout.isdigit() else 60,
    )


def _place_call(state: TwilioState, form: Form) -> dict[str, Any]:
    call = _new_call(state, form)
    state.add_call(call)
    call_json = call.as_json()  # before the task runs: Twilio answers "queued"
    start_call(state, call, outbound=True)
    return call_json


async def create_call(request: web.Request) -> web.Response:
    return await answer_create(request, "Calls", _place_call)


async def list_calls(request: web.Request) -> web.Response:
    state = state_of(request)
    query = request.query
    started = DateFilter.read(query, "StartTime")
    ended = DateFilter.read(query, "EndTime")
    chosen = [
        call.as_json()
        for call in newest_first(state.calls.values())
        if matches(query, {"To": call.to, "From": call.from_, "Status": call.status})
        and started.match(call.start_time)
        and ended.match(call.end_time)
    ]
    kept = ("To", "From", "Status", *started.names, *ended.names)
    body = page_json("calls", chosen, uri=list_uri(state, "Calls"), query=query, filters=kept)
    return resource(body)


async def fetch_call(request: web.Request) -> web.Response:
    return resource(found(request, state_of(request).calls).as_json())


def _hang_up(call: CallRecord, requested: str) -> None:
    """``Status=canceled`` ends a call not yet answered, ``completed`` any call (Twilio's rule)."""
    if call.status in FINAL:
        return
    if call.status in _NOT_ANSWERED:
        call.status = "canceled"
        call.line.send(HangUp("canceled"))
    elif requested == "completed":
        call.status = "completed"
        call.line.send(HangUp("completed"))


def _redirect(call: CallRecord, form: Form) -> None:
    url, twiml = form.get("Url"), form.get("Twiml")
    if url is not None and not params.is_url(url):
        raise bad_request(21205, url)
    method = params.method(form, "Method", 21209)
    if call.status in _NOT_ANSWERED:  # not answered yet: it will start there
        call.url, call.method, call.twiml = url, method, twiml
    elif call.status in FINAL:
        raise bad_request(21220)
    else:
        call.line.send(Redirect(None if twiml else url, method, twiml))


async def update_call(request: web.Request) -> web.Response:
    call = found(request, state_of(request).calls)
    form = await Form.read(request)
    status = form.get("Status")
    if status is not None:
        if status not in ("completed", "canceled"):
            raise TwilioError(400, 20001, "Status must be completed or canceled")
        _hang_up(call, status)
    elif form.get("Url") or form.get("Twiml"):
        _redirect(call, form)
    return resource(call.as_json())
