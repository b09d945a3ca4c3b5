"""SMS text: survey prompts as readable messages, and messages as TwiML.

Sound files have no place in a text message and are never sent. What is
sent is first made cheap and then cut to size: typographic look-alikes
(curly quotes, dashes, non-breaking spaces) become their GSM-7 equivalents
(``gateway.sms.lookalikes``), so only characters GSM-7 really lacks send a
message as UCS-2; then a text longer than GATEWAY_SMS_MAX_SEGMENTS segments
(or Twilio's 1600 characters) is split into several messages, between
words, each measured in its own encoding (``gateway.sms.segments``).
Characters XML 1.0 cannot carry are dropped by ``xml_safe`` (see
``gateway.twilio.xml_text``) before anything is measured or split, so the
limits hold for what is sent, and the first text the dispatcher sends
through the REST API (``join_prompts`` too) never holds a lone surrogate,
which could not even be encoded as UTF-8.

All pure functions but ``note_sent``, which counts what was sent: the
``gateway_sms_segments_total`` metric, and a log line with the survey.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.config import Settings
from gateway.logging import get_logger
from gateway.metrics import sms_segments_sent
from gateway.sms.lookalikes import plain_text
from gateway.sms.segments import MAX_BODY, Encoding, count_segments, split_to_budget
from gateway.twilio.xml_text import document, element, escape_text, xml_safe

MAX_MESSAGE = MAX_BODY  # Twilio's limit for one message body

log = get_logger(__name__)

_SPACES = re.compile(r"\s+")


def clean_body(body: str, limit: int = MAX_MESSAGE) -> str:
    """An incoming Body as an answer: trimmed, whitespace folded, at most ``limit`` chars."""
    return _SPACES.sub(" ", xml_safe(body)).strip()[:limit]


def join_prompts(prompts: Sequence[str]) -> str:
    """Prompts as one readable message: one prompt per line, blanks dropped."""
    lines = (xml_safe(prompt).strip() for prompt in prompts)
    return "\n".join(line for line in lines if line)


@dataclass(frozen=True)
class Piece:
    """One message as sent: its body, its encoding and the segments it is billed as."""

    body: str
    encoding: Encoding
    segments: int


def message_pieces(texts: Sequence[str], max_segments: int) -> list[Piece]:
    """Each text as the messages that carry it: look-alikes replaced, split to the budget."""
    pieces: list[Piece] = []
    for text in texts:
        for body in split_to_budget(plain_text(xml_safe(text)), max_segments):
            segments = count_segments(body)
            pieces.append(Piece(body, segments.encoding, segments.count))
    return pieces


def render_messages(pieces: Sequence[Piece], status_callback: str | None = None) -> str:
    """TwiML replying with one ``<Message>`` per piece; none gives ``<Response />``.

    ``status_callback``: where Twilio reports each message's delivery (the
    ``action`` of ``<Message>``; ``statusCallback`` is its deprecated name).
    """
    action = {"action": status_callback or None}
    return document("".join(element("Message", action, escape_text(p.body)) for p in pieces))


def first_text(prompts: Sequence[str], settings: Settings) -> list[Piece]:
    """The survey's first text, sent by the dispatcher: its prompts as messages in the budget."""
    return message_pieces([join_prompts(prompts)], settings.gateway_sms_max_segments)


def note_sent(
    kind: str, piece: Piece, survey_id: int | None, interaction_id: int | None = None
) -> None:
    """Count a message sent (``kind``: "reply" or "first"): its segments, in the metric
    and in a log line with the survey. Never the body, nor the numbers: only its size."""
    sms_segments_sent(kind, piece.encoding, piece.segments)
    context = {} if interaction_id is None else {"interaction_id": interaction_id}
    log.info(
        "sms_segments",
        kind=kind,
        survey_id=survey_id,
        segments=piece.segments,
        encoding=piece.encoding,
        **context,
    )
