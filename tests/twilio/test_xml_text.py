"""One rule for text in TwiML: what XML 1.0 cannot carry is dropped (separators become spaces)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from gateway.twilio.xml_text import render_twiml, xml_safe

FORBIDDEN = [
    *(chr(c) for c in range(0x00, 0x09)),
    "\x0e",
    "\x1b",
    "\ud800",  # a lone high surrogate
    "\udbff",
    "\udc00",  # a lone low surrogate
    "\udfff",
    "\ufffe",
    "\uffff",
]
SEPARATORS = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f"]
# The edges of what XML 1.0 allows, kept as they are.
ALLOWED = "\t\n\r \x7f\x85\ud7ff\ue000\ufffd\U00010000\U0001f600\U0010ffff"


@pytest.mark.parametrize("char", FORBIDDEN, ids=lambda c: f"U+{ord(c):04X}")
def test_forbidden_characters_are_dropped(char: str) -> None:
    assert xml_safe(f"a{char}b") == "ab"


@pytest.mark.parametrize("char", SEPARATORS, ids=lambda c: f"U+{ord(c):04X}")
def test_separators_become_spaces_so_words_stay_apart(char: str) -> None:
    assert xml_safe(f"Rate{char}us") == "Rate us"


def test_every_character_xml_allows_is_kept() -> None:
    assert xml_safe(ALLOWED) == ALLOWED
    text = "".join(map(chr, range(0x20, 0xD800)))
    assert xml_safe(text) == text


def test_every_character_of_the_basic_plane_comes_out_parseable() -> None:
    everything = "".join(map(chr, range(0x10000)))
    response = MessagingResponse()
    response.message(everything)
    root = ET.fromstring(render_twiml(response))
    body = root.findtext("Message")
    assert body is not None
    assert body == xml_safe(everything).replace("\r", "\n")  # XML reads CR as LF
    # Gone: 23 C0 controls (tab, LF, CR and the 6 separators stay), 2048 surrogates, 2.
    assert len(body) == 0x10000 - 23 - 2048 - 2


def test_render_twiml_is_twilios_document_when_nothing_needs_cleaning() -> None:
    response = VoiceResponse()
    response.say('Tom & Jerry <"ok">', voice="Polly.Amy", language="en-GB")
    response.hangup()
    assert render_twiml(response) == str(response)


def test_render_twiml_cleans_attributes_and_every_text() -> None:
    """What callers do not clean themselves, e.g. a voice name from configuration."""
    response = VoiceResponse()
    response.say("Hi\ud800", voice="Polly.\x00Amy", language="en-GB")
    response.play("https://x.example/a\ufffe.mp3")
    assert render_twiml(response) == (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        '<Say language="en-GB" voice="Polly.Amy">Hi</Say>'
        "<Play>https://x.example/a.mp3</Play></Response>"
    )
