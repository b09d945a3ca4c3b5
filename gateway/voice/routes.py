"""Voice webhooks: parse what Twilio posts, call the voice survey, answer its TwiML.

The signature is checked before these run (``gateway.web.signature``). Every
answer is TwiML with status 200: the survey turns any failure into an
apology, since a 5xx would make Twilio play its own error message.
"""

from __future__ import annotations

from aiohttp import web

from gateway.logging import bind_context
from gateway.twilio import urls
from gateway.twilio.webhooks import (
    CALL_SID,
    Form,
    bad_request,
    field,
    read_form,
    twiml_response,
)
from gateway.voice.survey import VoiceSurvey
from gateway.voice.turns import MalformedQuery, TurnRef, language_param, optional_int
from gateway.voice.twiml import render_empty

VOICE = web.AppKey("voice", VoiceSurvey)


async def _call_form(request: web.Request) -> tuple[str, Form]:
    form = await read_form(request)
    call_sid = field(form, "CallSid")
    if not CALL_SID.fullmatch(call_sid):
        raise bad_request("CallSid missing or malformed")
    bind_context(call_sid=call_sid)
    return call_sid, form


def _interaction(request: web.Request) -> int | None:
    try:
        return optional_int(request.query, "interaction")
    except MalformedQuery as exc:
        raise bad_request(str(exc)) from None


def _language(request: web.Request) -> str:
    try:
        return language_param(request.query, "lang")
    except MalformedQuery as exc:
        raise bad_request(str(exc)) from None


def _turn_ref(request: web.Request, call_sid: str) -> TurnRef:
    try:
        return TurnRef.parse(call_sid, request.query)
    except MalformedQuery as exc:
        raise bad_request(str(exc)) from None


async def incoming(request: web.Request) -> web.Response:
    """POST /twilio/voice: a call rings in, or an outbound call was answered."""
    call_sid, form = await _call_form(request)
    caller, called = field(form, "From"), field(form, "To")
    interaction = _interaction(request)
    if interaction is None and not (caller and called):
        raise bad_request("From and To are required")
    voice = request.app[VOICE]
    answered_by = field(form, "AnsweredBy")
    reply = await voice.incoming(
        call_sid, caller, called, interaction, answered_by, language=_language(request)
    )
    return twiml_response(reply)


async def answer(request: web.Request) -> web.Response:
    """POST /twilio/voice/answer: the Gather heard digits or speech."""
    call_sid, form = await _call_form(request)
    ref = _turn_ref(request, call_sid)
    voice = request.app[VOICE]
    return twiml_response(
        await voice.answer(ref, field(form, "Digits"), field(form, "SpeechResult"))
    )


async def silence(request: web.Request) -> web.Response:
    """POST /twilio/voice/silence: the Gather timed out without input."""
    call_sid, _ = await _call_form(request)
    ref = _turn_ref(request, call_sid)
    return twiml_response(await request.app[VOICE].silence(ref))


async def status(request: web.Request) -> web.Response:
    """POST /twilio/voice/status: call progress; a final status ends the session."""
    call_sid, form = await _call_form(request)
    interaction = _interaction(request)
    await request.app[VOICE].status(
        call_sid, field(form, "CallStatus"), field(form, "AnsweredBy"), interaction
    )
    return twiml_response(render_empty())


async def machine(request: web.Request) -> web.Response:
    """POST /twilio/voice/machine: asynchronous answering machine detection decided."""
    call_sid, form = await _call_form(request)
    interaction = _interaction(request)
    await request.app[VOICE].machine(
        call_sid, interaction, field(form, "AnsweredBy"), _language(request)
    )
    return twiml_response(render_empty())


def add_voice_routes(app: web.Application) -> None:
    app.router.add_post(urls.VOICE, incoming)
    app.router.add_post(urls.VOICE_ANSWER, answer)
    app.router.add_post(urls.VOICE_SILENCE, silence)
    app.router.add_post(urls.VOICE_STATUS, status)
    app.router.add_post(urls.VOICE_MACHINE, machine)
