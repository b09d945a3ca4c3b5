"""Voice webhooks: verify (middleware), parse, call ``gateway.voice``, answer TwiML.

Whatever goes wrong inside, Twilio gets valid TwiML with status 200 (an
apology and a hang-up), never a stack trace: a 5xx would make Twilio play
its own error message to the respondent.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

from gateway.keys import OUTCOMES, SETTINGS, VOICE
from gateway.logging import bind_context, get_logger
from gateway.survey.outcomes import NOT_REACHED
from gateway.twiml import VoiceStyle, render_closing, render_empty, render_message
from gateway.voice import TurnRef

log = get_logger(__name__)

_CALL_SID = re.compile(r"CA[0-9a-fA-F]{32}")
# Statuses after which the call is over (Twilio's CallStatus values).
FINAL_STATUSES = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
_MAX_FIELD = 4096
# Twilio's AnsweredBy values (answering machine detection) that are not a person.
MACHINE = frozenset(
    {"machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other", "fax"}
)


def twiml(text: str) -> web.Response:
    return web.Response(text=text, content_type="text/xml", charset="utf-8")


def _bad_request(reason: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=f"Bad request: {reason}\n")


Form = Mapping[str, str]


def _field(form: Form, name: str) -> str:
    return form.get(name, "")[:_MAX_FIELD]


async def _call_form(request: web.Request) -> tuple[str, Form]:
    # Twilio posts plain form fields; anything else (file parts) is ignored.
    form = {key: value for key, value in (await request.post()).items() if isinstance(value, str)}
    call_sid = _field(form, "CallSid")
    if not _CALL_SID.fullmatch(call_sid):
        raise _bad_request("CallSid missing or malformed")
    bind_context(call_sid=call_sid)
    return call_sid, form


def _optional_int(request: web.Request, name: str) -> int | None:
    raw = request.query.get(name, "")
    if raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise _bad_request(f"query parameter {name} malformed")
    return int(raw)


def _required_int(request: web.Request, name: str) -> int:
    value = _optional_int(request, name)
    if value is None:
        raise _bad_request(f"query parameter {name} missing")
    return value


def _turn_ref(request: web.Request, call_sid: str) -> TurnRef:
    return TurnRef(
        call_sid=call_sid,
        turn=_required_int(request, "turn"),
        interaction_id=_required_int(request, "i"),
        question_id=_required_int(request, "q"),
        survey_id=_optional_int(request, "s") or None,
    )


def render_hangup() -> str:
    return render_closing([], VoiceStyle())


def _style(request: web.Request) -> VoiceStyle:
    settings = request.app[SETTINGS]
    return VoiceStyle(settings.gateway_say_voice, settings.gateway_say_language)


def _apology(request: web.Request) -> str:
    return render_message(request.app[SETTINGS].gateway_apology_message, _style(request))


async def _safely(
    request: web.Request, call_sid: str, work: Callable[[], Awaitable[str]]
) -> web.Response:
    """Run the survey step within the webhook deadline; any failure is an apology."""
    settings = request.app[SETTINGS]
    try:
        async with asyncio.timeout(settings.gateway_webhook_deadline):
            return twiml(await work())
    except TimeoutError:
        log.warning("voice_turn_deadline", seconds=settings.gateway_webhook_deadline)
        await _mark_faulted(request, call_sid)
    except Exception:
        # SDX errors are handled in gateway.voice; this is Redis down or a bug.
        log.exception("voice_turn_failed")
        await _mark_faulted(request, call_sid)
    return twiml(_apology(request))


async def _mark_faulted(request: web.Request, call_sid: str) -> None:
    # The gateway, not the caller, is ending this call: keep the hang-up from
    # abandoning the survey, so that a call back resumes it.
    try:
        async with asyncio.timeout(0.5):  # the caller is waiting: best effort only
            await request.app[VOICE].mark_faulted(call_sid)
    except Exception:
        log.warning("mark_faulted_failed")


async def incoming(request: web.Request) -> web.Response:
    """POST /twilio/voice: a call rings in, or an outbound call was answered."""
    call_sid, form = await _call_form(request)
    caller, called = _field(form, "From"), _field(form, "To")
    interaction = _optional_int(request, "interaction")
    if interaction is None and not (caller and called):
        raise _bad_request("From and To are required")
    answered_by = _field(form, "AnsweredBy")
    if answered_by in MACHINE:
        # Nobody to survey: hang up before starting, so the interaction stays
        # untouched and can be dialled again.
        log.info("answered_by_machine", answered_by=answered_by)
        if interaction is not None:
            # Recorded here too: the final status callback may not say who answered.
            with contextlib.suppress(Exception):
                async with asyncio.timeout(3):  # Twilio is waiting for the TwiML
                    await request.app[OUTCOMES].not_reached(call_sid, interaction, "machine")
        message = request.app[SETTINGS].gateway_machine_message
        return twiml(render_message(message, _style(request)) if message else render_hangup())
    voice = request.app[VOICE]
    return await _safely(
        request, call_sid, lambda: voice.incoming(call_sid, caller, called, interaction)
    )


async def answer(request: web.Request) -> web.Response:
    """POST /twilio/voice/answer: the Gather heard digits or speech."""
    call_sid, form = await _call_form(request)
    ref = _turn_ref(request, call_sid)
    digits, speech = _field(form, "Digits"), _field(form, "SpeechResult")
    voice = request.app[VOICE]
    return await _safely(request, call_sid, lambda: voice.answer(ref, digits, speech))


async def silence(request: web.Request) -> web.Response:
    """POST /twilio/voice/silence: the Gather timed out without input."""
    call_sid, _ = await _call_form(request)
    ref = _turn_ref(request, call_sid)
    voice = request.app[VOICE]
    return await _safely(request, call_sid, lambda: voice.silence(ref))


async def status(request: web.Request) -> web.Response:
    """POST /twilio/voice/status: call progress; a final status ends the session.

    For an outbound call (``interaction`` in the query) that reached nobody
    (busy, no answer, failed, a machine) the attempt is counted instead.
    """
    call_sid, form = await _call_form(request)
    call_status = _field(form, "CallStatus")
    interaction = _optional_int(request, "interaction")
    machine = _field(form, "AnsweredBy") in MACHINE
    if call_status not in FINAL_STATUSES:
        return twiml(render_empty())
    try:
        if interaction is not None and (call_status in NOT_REACHED or machine):
            reason = "machine" if machine else call_status
            await request.app[OUTCOMES].not_reached(call_sid, interaction, reason)
        else:
            await request.app[VOICE].hung_up(call_sid)
    except Exception:
        log.exception("status_callback_failed", call_status=call_status)
    return twiml(render_empty())


def add_voice_routes(app: web.Application) -> None:
    app.router.add_post("/twilio/voice", incoming)
    app.router.add_post("/twilio/voice/answer", answer)
    app.router.add_post("/twilio/voice/silence", silence)
    app.router.add_post("/twilio/voice/status", status)
