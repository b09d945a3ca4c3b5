"""Following TwiML through a call: what is heard, what is answered, what is fetched next.

One ``Interpreter`` per call. It fetches a document, works through its verbs
and moves on to the next document (a Gather's action, a Redirect) until the
call ends: ``<Hangup/>``, the end of a document, the respondent hanging up,
a REST hang-up, or an application error (a webhook that fails or answers
something Twilio cannot use). ``run`` returns the final call status.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin

from gateway.sandbox.twilio import twiml
from gateway.sandbox.twilio.calls import CallRecord, WebhookRecord
from gateway.sandbox.twilio.detection import AsyncDetection, Moment
from gateway.sandbox.twilio.errors import WebhookFailed
from gateway.sandbox.twilio.line import HangUp, Interrupted
from gateway.sandbox.twilio.line import Redirect as RedirectCommand
from gateway.sandbox.twilio.respondent import SILENCE, GatherEvent, Input
from gateway.sandbox.twilio.sids import utc_now
from gateway.sandbox.twilio.webhooks import WebhookAnswer, Webhooks

APPLICATION_ERROR = "We are sorry, an application error has occurred. Goodbye."
HTTP_RETRIEVAL_FAILURE = 11200
INVALID_CONTENT_TYPE = 12300
_TWIML_TYPES = frozenset({"text/xml", "application/xml", "text/html"})
SPEECH_CONFIDENCE = "0.92"

Ask = Callable[[GatherEvent], Awaitable[Input]]


@dataclass(frozen=True)
class Fetch:
    url: str
    method: str = "POST"
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Inline:
    text: str


@dataclass(frozen=True)
class End:
    status: str


Step = Fetch | Inline | End


class ApplicationError(WebhookFailed):
    """What makes Twilio say "an application error has occurred" and end the call."""


@dataclass(frozen=True)
class Document:
    url: str | None  # None for TwiML given inline: relative URLs cannot resolve
    verbs: list[twiml.VoiceVerb]

    def resolve(self, url: str) -> str:
        return urljoin(self.url, url) if self.url else url


def gathered(gather: twiml.Gather, answer: Input) -> dict[str, str] | None:
    """The Gather action's parameters for ``answer``; None when the Gather heard nothing."""
    kinds = gather.input.split()
    if answer.kind == "digits" and "dtmf" in kinds:
        digits = answer.value
        if gather.finish_on_key and gather.finish_on_key in digits:
            digits = digits[: digits.index(gather.finish_on_key)]  # the key itself is not sent
        if gather.num_digits:
            digits = digits[: gather.num_digits]
        return {"Digits": digits} if digits else None
    if answer.kind == "speech" and "speech" in kinds:
        return {"SpeechResult": answer.value, "Confidence": SPEECH_CONFIDENCE}
    return None


class Interpreter:
    """Runs one call's TwiML. ``respondent`` is the number whose input answers Gathers."""

    def __init__(
        self,
        call: CallRecord,
        webhooks: Webhooks,
        ask: Ask,
        *,
        respondent: str,
        max_requests: int,
        machine: bool = False,
        detection: AsyncDetection | None = None,
    ) -> None:
        self.call = call
        self._webhooks = webhooks
        self._ask = ask
        self._respondent = respondent
        self._max_requests = max_requests
        self._machine = machine  # a machine listens, and never answers a Gather
        self._since_input = 0  # transcript index after the last input
        self._speaking = ""  # the language (and voice) of the last Say
        self._detection = detection  # asynchronous machine detection, if asked for
        self._gathered = False  # the first Gather has had its input

    async def run(self, first: Fetch | Inline) -> str:
        step: Step = first
        while not isinstance(step, End):
            try:
                await self._detected("answer")
                step = await self._execute(await self._load(step))
            except Interrupted as exc:
                step = self._command_step(exc)
            except ApplicationError as exc:
                self.call.transcript.append(("error", APPLICATION_ERROR))
                self.call.error_code, self.call.error_detail = exc.code, exc.detail
                return "failed"
        return step.status

    @staticmethod
    def _command_step(interrupted: Interrupted) -> Step:
        command = interrupted.command
        if isinstance(command, HangUp):
            return End(command.status)
        assert isinstance(command, RedirectCommand)
        if command.twiml is not None:
            return Inline(command.twiml)
        assert command.url is not None
        return Fetch(command.url, command.method)

    async def _load(self, step: Fetch | Inline) -> Document:
        if isinstance(step, Inline):
            return Document(None, self._parse(step.text))
        if len(self.call.webhooks) >= self._max_requests:
            raise ApplicationError(None, f"more than {self._max_requests} TwiML requests")
        params = {**self.call.webhook_params(), **step.extra}
        answer = await self.call.line.run(self._webhooks.send(step.url, step.method, params))
        self.call.webhooks.append(WebhookRecord(step.method, answer.path_qs, answer.status))
        return Document(answer.url, self._parse(twiml_text(answer)))

    @staticmethod
    def _parse(text: str) -> list[twiml.VoiceVerb]:
        try:
            return twiml.parse_voice(text)
        except twiml.TwimlError as exc:
            raise ApplicationError(exc.code, str(exc)) from None

    async def _execute(self, document: Document) -> Step:
        if self.call.status == "ringing":  # an inbound call: <Reject> first refuses it
            first = document.verbs[0] if document.verbs else None
            if isinstance(first, twiml.Reject):
                return End("busy" if first.reason == "busy" else "no-answer")
            self.call.status, self.call.start_time = "in-progress", utc_now()
        for verb in document.verbs:
            step = await self._verb(document, verb)
            if step is not None:
                return step
        return End("completed")

    async def _verb(self, document: Document, verb: twiml.VoiceVerb) -> Step | None:
        self.call.line.check()  # a REST hang-up or redirect wins over the next verb
        if isinstance(verb, twiml.Say | twiml.Play | twiml.Pause):
            self._hear(document, verb)
        elif isinstance(verb, twiml.Gather):
            return await self._gather(document, verb)
        elif isinstance(verb, twiml.Redirect):
            return Fetch(document.resolve(verb.url), verb.method)
        elif isinstance(verb, twiml.Hangup | twiml.Reject):
            return End("completed")
        else:
            self.call.transcript.append(("unsupported", verb.tag))
        return None

    def _hear(self, document: Document, verb: twiml.Say | twiml.Play | twiml.Pause) -> None:
        if isinstance(verb, twiml.Say):
            spoken = f"{verb.language} ({verb.voice})" if verb.voice else verb.language
            if verb.language and spoken != self._speaking:
                # The respondent hears the language change (the softphone shows it).
                self._speaking = spoken
                self.call.transcript.append(("language", spoken))
            self.call.transcript.append(("say", verb.text))
        elif isinstance(verb, twiml.Play):
            self.call.transcript.append(("play", document.resolve(verb.url)))

    async def _gather(self, document: Document, gather: twiml.Gather) -> Step | None:
        for prompt in gather.prompts:
            self._hear(document, prompt)
        await self._detected("after" if self._gathered else "gather")
        answer = (
            SILENCE if self._machine else await self.call.line.run(self._ask(self._event(gather)))
        )
        self.call.transcript.append(("input", str(answer)))
        self._since_input = len(self.call.transcript)
        self._gathered = True
        if answer.kind == "hangup":
            return End("completed")
        params = gathered(gather, answer)
        if params is None and not gather.action_on_empty_result:
            return None  # no input: on to the verb after the Gather
        action = document.resolve(gather.action) if gather.action else document.url
        if action is None:
            raise ApplicationError(
                HTTP_RETRIEVAL_FAILURE, "a Gather with no action in inline TwiML"
            )
        return Fetch(action, gather.method, params or {})

    async def _detected(self, moment: Moment) -> None:
        """Asynchronous detection reports at ``moment`` if due there; a redirect
        the application made meanwhile takes effect at once."""
        if self._detection is not None:
            await self._detection.reached(moment)
            self.call.line.check()

    def _event(self, gather: twiml.Gather) -> GatherEvent:
        heard = tuple(e for e in self.call.transcript[self._since_input :] if e[0] != "input")
        return GatherEvent(
            call=self.call,
            respondent=self._respondent,
            heard=heard,
            input=gather.input,
            num_digits=gather.num_digits,
            finish_on_key=gather.finish_on_key,
        )


def twiml_text(answer: WebhookAnswer) -> str:
    """The document in a webhook answer, or the ApplicationError Twilio would log."""
    if answer.status is None:
        raise ApplicationError(HTTP_RETRIEVAL_FAILURE, f"no answer from {answer.url}")
    if not 200 <= answer.status < 300:
        raise ApplicationError(HTTP_RETRIEVAL_FAILURE, f"{answer.url} answered {answer.status}")
    if answer.content_type not in _TWIML_TYPES:
        raise ApplicationError(INVALID_CONTENT_TYPE, f"content type {answer.content_type!r}")
    return answer.text
