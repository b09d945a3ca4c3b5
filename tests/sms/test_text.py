from __future__ import annotations

import xml.etree.ElementTree as ET

from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from gateway.sms.segments import count_segments
from gateway.sms.text import (
    Piece,
    clean_body,
    first_text,
    join_prompts,
    message_pieces,
    note_sent,
    render_messages,
)
from tests.helpers.settings import make_settings


def test_clean_body_trims_folds_and_caps() -> None:
    assert clean_body("  Faster\n\n delivery\t please  ") == "Faster delivery please"
    assert clean_body("a\x00b") == "ab"
    assert len(clean_body("x" * 5000)) == 1600


def test_clean_body_keeps_what_the_respondent_typed() -> None:
    # Answers go to SDX as written: look-alikes are replaced only in what we send.
    assert (
        clean_body("It\u2019s \u201cgreat\u201d \U0001f642")
        == "It\u2019s \u201cgreat\u201d \U0001f642"
    )


def test_join_prompts_one_per_line_without_blanks() -> None:
    assert join_prompts(["Hi.", " ", "", "Question? "]) == "Hi.\nQuestion?"


def test_pieces_are_plain_and_within_the_budget() -> None:
    text = "We\u2019d love your \u201cfeedback\u201d \u2013 " + " ".join(["word"] * 400)
    pieces = message_pieces([text], 2)
    assert all(p.encoding == "gsm7" and p.segments <= 2 for p in pieces)
    assert pieces[0].body.startswith('We\'d love your "feedback" - word')
    assert (
        " ".join(p.body for p in pieces).split()
        == text.translate({0x2019: "'", 0x201C: '"', 0x201D: '"', 0x2013: "-"}).split()
    )
    assert all(count_segments(p.body).count == p.segments for p in pieces)


def test_pieces_of_several_texts_and_none() -> None:
    assert message_pieces(["Hi \U0001f642", "  ", "Bye"], 10) == [
        Piece("Hi \U0001f642", "ucs2", 1),
        Piece("Bye", "gsm7", 1),
    ]
    assert message_pieces([], 10) == []


def test_pieces_drop_what_xml_cannot_carry_before_measuring() -> None:
    assert message_pieces(["a\x00b\ud83dc"], 1) == [Piece("abc", "gsm7", 1)]


def test_render_messages_escapes() -> None:
    pieces = message_pieces(['Tom & Jerry <"ok">', "x " * 1000], 10)
    root = ET.fromstring(render_messages(pieces))
    bodies = [m.text for m in root]
    assert bodies[0] == 'Tom & Jerry <"ok">'
    assert len(bodies) == 3  # 1999 characters: 1530 (10 segments) and the rest
    assert render_messages([]).endswith("<Response />")


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_note_sent_counts_segments_and_logs_them_per_survey() -> None:
    counters = [
        ("gateway_sms_segments_total", "gsm7"),
        ("gateway_sms_segments_total", "ucs2"),
        ("gateway_sms_messages_total", "gsm7"),
        ("gateway_sms_messages_total", "ucs2"),
    ]
    before = [sample(name, kind="first", encoding=encoding) for name, encoding in counters]
    with capture_logs() as logs:
        note_sent("first", Piece("a" * 200, "gsm7", 2), 54, 1003)
        note_sent("first", Piece("\U0001f642", "ucs2", 1), 54)
    after = [sample(name, kind="first", encoding=encoding) for name, encoding in counters]
    assert [a - b for a, b in zip(after, before, strict=True)] == [2, 1, 1, 1]
    common = {"event": "sms_segments", "log_level": "info", "kind": "first", "survey_id": 54}
    assert logs == [
        {**common, "segments": 2, "encoding": "gsm7", "interaction_id": 1003},
        {**common, "segments": 1, "encoding": "ucs2"},
    ]


def test_first_text_is_the_prompts_joined_within_the_budget() -> None:
    settings = make_settings(gateway_sms_max_segments=1)
    pieces = first_text(["Hi \u2013 thanks.", "", "Rate us " * 30], settings)
    assert pieces[0].body.startswith("Hi - thanks.\nRate us")
    assert [(p.encoding, p.segments) for p in pieces] == [("gsm7", 1), ("gsm7", 1)]
