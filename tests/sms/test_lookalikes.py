"""Typographic look-alikes become GSM-7, and nothing else changes."""

from __future__ import annotations

import pytest

from gateway.sms.lookalikes import plain_text
from gateway.sms.segments import Segments, count_segments


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("It\u2019s \u2018fine\u2019", "It's 'fine'"),
        ("\u201cYes\u201d or \u201eNo\u201c", '"Yes" or "No"'),
        ("\u00abOui\u00bb", '"Oui"'),
        ("5\u20327\u2033", "5'7\""),
        ("1\u20135 \u2014 or \u2212 none \u2012 \u2015", "1-5 - or - none - -"),
        ("Rate\u00a0us\u202fnow\u2007\u2009ok", "Rate us now  ok"),
        ("Wait\u2026", "Wait..."),
        ("\u2022 Yes\n\u2022 No", "- Yes\n- No"),
        ("tab\there", "tab here"),
        ("soft\u00adhyphen, zero\u200bwidth", "softhyphen, zerowidth"),
        ("1\u20442", "1/2"),
    ],
)
def test_replacements(text: str, plain: str) -> None:
    assert plain_text(text) == plain
    assert count_segments(plain).encoding == "gsm7"


@pytest.mark.parametrize(
    "text",
    [
        "Café, Straße, señor, Ça va, ÆØÅ",  # GSM-7 letters
        "Où êtes-vous? ¿Cómo está?",  # accented letters GSM-7 lacks
        "Привет, 你好, مرحبا",  # other scripts
        "Great 👍🏽 👨\u200d👩\u200d👧 ❤\ufe0f",  # emoji with modifiers, joiners, selectors
        "{[|]}~^\\€ @£$¥ _ §",
    ],
)
def test_real_characters_are_kept(text: str) -> None:
    assert plain_text(text) == text


def test_a_text_whose_only_non_gsm_characters_are_look_alikes_becomes_gsm7() -> None:
    prompt = (
        "We\u2019d love your feedback \u2013 it takes 2\u00a0minutes\u2026 "
        "On a scale of 1\u201310, how \u201clikely\u201d are you to recommend us?"
    )
    assert count_segments(prompt) == Segments("ucs2", 103, 2)
    assert count_segments(plain_text(prompt)) == Segments("gsm7", 105, 1)  # ... is 3


def test_with_an_emoji_look_alikes_are_replaced_all_the_same() -> None:
    # The emoji sends it as UCS-2 anyway; the quotes are replaced as Twilio's
    # Smart Encoding does, so a split-off message without the emoji is GSM-7.
    assert plain_text("\u201cThanks\u201d \U0001f642") == '"Thanks" \U0001f642'
