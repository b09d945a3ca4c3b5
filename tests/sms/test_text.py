from __future__ import annotations

import xml.etree.ElementTree as ET

from gateway.sms.text import clean_body, join_prompts, render_messages, split_message


def test_clean_body_trims_folds_and_caps() -> None:
    assert clean_body("  Faster\n\n delivery\t please  ") == "Faster delivery please"
    assert clean_body("a\x00b") == "ab"
    assert len(clean_body("x" * 5000)) == 1600


def test_join_prompts_one_per_line_without_blanks() -> None:
    assert join_prompts(["Hi.", " ", "", "Question? "]) == "Hi.\nQuestion?"


def test_split_on_words_within_the_limit() -> None:
    text = " ".join(["word"] * 1000)  # 4999 characters
    pieces = split_message(text)
    assert all(len(p) <= 1600 for p in pieces)
    assert all(not p.startswith(" ") and not p.endswith(" ") for p in pieces)
    assert " ".join(pieces) == text


def test_split_cuts_a_word_longer_than_the_limit() -> None:
    url = "https://example.com/" + "a" * 2000
    pieces = split_message(f"See {url} now")
    assert pieces == ["See", url[:1600], url[1600:] + " now"]


def test_short_and_empty() -> None:
    assert split_message("hello") == ["hello"]
    assert split_message("   ") == []


def test_render_messages_escapes_and_splits() -> None:
    xml = render_messages(['Tom & Jerry <"ok">', "x " * 1000])
    root = ET.fromstring(xml)
    bodies = [m.text for m in root]
    assert bodies[0] == 'Tom & Jerry <"ok">'
    assert len(bodies) == 3
    assert render_messages([]).endswith("<Response />")
