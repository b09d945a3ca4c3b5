"""SMS text: survey prompts as readable messages, and messages as TwiML (pure functions).

Sound files have no place in a text message and are never sent. Twilio
refuses a message body over 1600 characters, so longer replies are split
into several ``<Message>``s, on word boundaries where the text has them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from twilio.twiml.messaging_response import MessagingResponse

MAX_MESSAGE = 1600  # Twilio's limit for one message body

# XML 1.0 cannot carry these even escaped (tab, LF and CR excepted).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SPACES = re.compile(r"\s+")


def clean_body(body: str, limit: int = MAX_MESSAGE) -> str:
    """An incoming Body as an answer: trimmed, whitespace folded, at most ``limit`` chars."""
    return _SPACES.sub(" ", _XML_INVALID.sub("", body)).strip()[:limit]


def join_prompts(prompts: Sequence[str]) -> str:
    """Prompts as one readable message: one prompt per line, blanks dropped."""
    lines = (_XML_INVALID.sub("", prompt).strip() for prompt in prompts)
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


def render_messages(texts: Sequence[str]) -> str:
    """TwiML replying with each text (split when too long); none gives ``<Response />``."""
    response = MessagingResponse()
    for text in texts:
        for piece in split_message(_XML_INVALID.sub("", text)):
            response.message(piece)
    return str(response)
