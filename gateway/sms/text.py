"""SMS text: survey prompts as readable messages, and messages as TwiML (pure functions).

Sound files have no place in a text message and are never sent. Twilio
refuses a message body over 1600 characters, so longer replies are split
into several ``<Message>``s, on word boundaries where the text has them.
Characters XML 1.0 cannot carry are dropped by ``xml_safe`` (see
``gateway.twilio.xml_text``) before anything is measured or split, so the
limits hold for what is sent, and the first text the dispatcher sends
through the REST API (``join_prompts`` too) never holds a lone surrogate,
which could not even be encoded as UTF-8.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from twilio.twiml.messaging_response import MessagingResponse

from gateway.twilio.xml_text import render_twiml, xml_safe

MAX_MESSAGE = 1600  # Twilio's limit for one message body

_SPACES = re.compile(r"\s+")


def clean_body(body: str, limit: int = MAX_MESSAGE) -> str:
    """An incoming Body as an answer: trimmed, whitespace folded, at most ``limit`` chars."""
    return _SPACES.sub(" ", xml_safe(body)).strip()[:limit]


def join_prompts(prompts: Sequence[str]) -> str:
    """Prompts as one readable message: one prompt per line, blanks dropped."""
    lines = (xml_safe(prompt).strip() for prompt in prompts)
    return "\n".join(line for line in lines if line)


def split_message(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut at whitespace.

    A single word longer than ``limit`` (a long URL) is cut where it must be.
    """
    text = text.strip()
    if not text:
        return []
    pieces: list[str] = []
    while len(text) > limit:
        cut = max(text.rfind(" ", 0, limit + 1), text.rfind("\n", 0, limit + 1))
        if cut <= 0:
            cut = limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    pieces.append(text)
    return pieces


def render_messages(texts: Sequence[str], status_callback: str | None = None) -> str:
    """TwiML replying with each text (split when too long); none gives ``<Response />``.

    ``status_callback``: where Twilio reports each message's delivery (the
    ``action`` of ``<Message>``; ``statusCallback`` is its deprecated name).
    """
    response = MessagingResponse()
    extra = {"action": status_callback} if status_callback else {}
    for text in texts:
        for piece in split_message(xml_safe(text)):
            response.message(piece, **extra)
    return render_twiml(response)
