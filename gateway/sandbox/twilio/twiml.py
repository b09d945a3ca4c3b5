"""TwiML documents read into verbs (pure: no I/O, no state).

Only what a survey gateway uses is understood: Say, Play, Pause, Gather,
Redirect, Hangup, Reject for voice; Message for messaging. Other verbs are
kept as ``Unsupported`` so the interpreter can note and skip them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

# Twilio's error codes for documents it cannot use.
PARSE_FAILURE = 12100
_NESTABLE_IN_GATHER = ("Say", "Play", "Pause")


class TwimlError(ValueError):
    def __init__(self, code: int, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code


@dataclass(frozen=True)
class Say:
    text: str
    language: str = ""  # the language attribute: what a respondent hears it in
    voice: str = ""


@dataclass(frozen=True)
class Play:
    url: str


@dataclass(frozen=True)
class Pause:
    pass


@dataclass(frozen=True)
class Gather:
    """``action`` None: Twilio posts to the document's own URL."""

    action: str | None
    method: str
    input: str
    num_digits: int | None
    finish_on_key: str
    action_on_empty_result: bool
    prompts: tuple[Say | Play | Pause, ...]


@dataclass(frozen=True)
class Redirect:
    url: str
    method: str


@dataclass(frozen=True)
class Hangup:
    pass


@dataclass(frozen=True)
class Reject:
    reason: str


@dataclass(frozen=True)
class Unsupported:
    tag: str


VoiceVerb = Say | Play | Pause | Gather | Redirect | Hangup | Reject | Unsupported


@dataclass(frozen=True)
class Message:
    body: str
    to: str | None
    from_: str | None
    # ``action`` (``statusCallback``, its deprecated name): where the message's
    # status is reported, relative to the document's URL.
    status_callback: str | None = None


def _root(text: str) -> ET.Element:
    try:
        # The documents come from the application under test, on this machine.
        root = ET.fromstring(text)  # noqa: S314
    except ET.ParseError as exc:
        raise TwimlError(PARSE_FAILURE, f"not XML: {exc}") from None
    if root.tag != "Response":
        raise TwimlError(PARSE_FAILURE, f"the root element is <{root.tag}>, not <Response>")
    return root


def _text(element: ET.Element) -> str:
    # itertext: SSML inside <Say> (<emphasis>, <break/>) still reads as words.
    return "".join(element.itertext()).strip()


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value is not None and value.strip().isdigit() else None


def _method(element: ET.Element) -> str:
    return element.get("method", "POST").upper()


def _gather(element: ET.Element) -> Gather:
    prompts = tuple(_simple(child) for child in element if child.tag in _NESTABLE_IN_GATHER)
    return Gather(
        action=element.get("action"),
        method=_method(element),
        input=element.get("input", "dtmf"),
        num_digits=_int_or_none(element.get("numDigits")),
        finish_on_key=element.get("finishOnKey", "#"),
        action_on_empty_result=element.get("actionOnEmptyResult", "false").lower() == "true",
        prompts=tuple(p for p in prompts if p is not None),
    )


def _simple(element: ET.Element) -> Say | Play | Pause | None:
    if element.tag == "Say":
        return Say(_text(element), element.get("language", ""), element.get("voice", ""))
    if element.tag == "Play":
        url = _text(element)
        return Play(url) if url else None  # <Play digits=...> sends tones, plays nothing
    return Pause()


def _verb(element: ET.Element) -> VoiceVerb | None:
    tag = element.tag
    if tag in _NESTABLE_IN_GATHER:
        return _simple(element)
    if tag == "Gather":
        return _gather(element)
    if tag == "Redirect":
        url = _text(element)
        if not url:
            raise TwimlError(PARSE_FAILURE, "<Redirect> without a URL")
        return Redirect(url, _method(element))
    if tag == "Hangup":
        return Hangup()
    if tag == "Reject":
        return Reject(element.get("reason", "rejected"))
    return Unsupported(tag)


def parse_voice(text: str) -> list[VoiceVerb]:
    """The verbs of a voice document, in order; ``TwimlError`` if Twilio could not use it."""
    verbs = (_verb(element) for element in _root(text))
    return [verb for verb in verbs if verb is not None]


def parse_messaging(text: str) -> list[Message]:
    """The ``<Message>`` replies of a messaging document (other verbs are ignored)."""
    replies = []
    for element in _root(text):
        if element.tag != "Message":
            continue
        body = element.find("Body")
        text_of = _text(body) if body is not None else (element.text or "").strip()
        callback = element.get("action") or element.get("statusCallback")
        replies.append(Message(text_of, element.get("to"), element.get("from"), callback))
    return replies
