"""Text that XML 1.0 can carry: one rule for every TwiML document the gateway writes.

XML 1.0 has no way to write some characters at all, not even as a character
reference: C0 controls other than tab, LF and CR, the surrogates
U+D800-U+DFFF and the noncharacters U+FFFE and U+FFFF. ElementTree writes a
lone surrogate (half of an emoji that SDX, or the operator's template, cut
in two) as ``&#55296;`` and a NUL as itself; Twilio's parser then rejects
the document and the call, or the reply, fails. Such text comes from SDX
(prompts, sound-file URLs) and from the operator (configured sentences,
voices, languages), so it is cleaned where TwiML is written.

They are removed, not replaced with U+FFFD: none of them is anything a
respondent could read or hear; a speech engine says nothing useful for
U+FFFD; and U+FFFD is not in the GSM-7 alphabet, so one of them would turn a
whole SMS into UCS-2, 70 characters a segment instead of 160: the
respondent's reply costs two or three segments instead of one. The
exception: vertical tab, form feed and the information separators
U+001C-U+001F separate words (``str.split`` treats them as whitespace), so
each becomes a space rather than gluing two words together.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

__all__ = ["document", "element", "escape_text", "render_twiml", "xml_safe"]

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SEPARATORS = frozenset("\x0b\x0c\x1c\x1d\x1e\x1f")


def _replacement(match: re.Match[str]) -> str:
    return " " if match.group() in _SEPARATORS else ""


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot carry (separators become spaces)."""
    return _FORBIDDEN.sub(_replacement, text)


def render_twiml(response: Any) -> str:
    """A twilio ``VoiceResponse`` or ``MessagingResponse`` as XML that always parses:
    for TwiML of other shapes than the ones written as text below (and the
    reference those are tested against).

    Callers clean the text they decide on (a prompt that is only a control
    character is no prompt); this pass is the guarantee for everything else
    that reaches the document, attributes included (a voice name read from
    ``GATEWAY_LANGUAGES`` JSON can hold ``\\u0000``).
    """
    root: ET.Element = response.xml()
    for element in root.iter():
        if element.text:
            element.text = xml_safe(element.text)
        if element.tail:
            element.tail = xml_safe(element.tail)
        for name, value in list(element.attrib.items()):
            element.set(name, xml_safe(value))
    # The same bytes twilio's own ``str(response)`` writes.
    body = ET.tostring(root, encoding="utf-8").decode("utf-8")
    return f'<?xml version="1.0" encoding="UTF-8"?>{body}'


# --- TwiML written as text ------------------------------------------------------
# The shapes every turn renders (a Gather, a closing, an SMS reply) are written
# as text: byte for byte what twilio's VoiceResponse / MessagingResponse and
# ElementTree write (attributes sorted by name, as twilio sorts them;
# ElementTree's escaping; ``<Tag />`` when empty), at a fraction of the cost
# of building and serialising the element tree. tests/voice/test_twiml_text.py
# and tests/sms/test_twiml_text.py hold the two equal.

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


def escape_text(value: str) -> str:
    """Element text: XML-safe, with ``&``, ``<`` and ``>`` escaped."""
    return xml_safe(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_attribute(value: str) -> str:
    return (
        escape_text(value)
        .replace('"', "&quot;")
        .replace("\r", "&#13;")
        .replace("\n", "&#10;")
        .replace("\t", "&#09;")
    )


def element(tag: str, attributes: Mapping[str, str | int | None], body: str = "") -> str:
    """``<tag a="...">body</tag>``, or ``<tag a="..." />`` with no body (``body`` is
    already XML: escape text with ``escape_text``); None attributes are left
    out, as twilio leaves them out."""
    written = "".join(
        f' {name}="{_escape_attribute(str(value))}"'
        for name, value in sorted(attributes.items())
        if value is not None
    )
    return f"<{tag}{written}>{body}</{tag}>" if body else f"<{tag}{written} />"


def document(body: str) -> str:
    """A TwiML document: the declaration and ``<Response>`` around ``body``."""
    return DECLARATION + element("Response", {}, body)
