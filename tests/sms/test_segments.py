"""Segments counted as carriers count them, and texts split to a budget of them between words."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.sms import segments
from gateway.sms.segments import MAX_BODY, count_segments, fits, is_gsm7, split_to_budget

GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = "^{}\\[~]|€\f"


def test_the_alphabet() -> None:
    assert len(set(GSM_BASIC)) == 127  # 128 less the escape
    assert count_segments(GSM_BASIC) == count_segments("a" * 127)
    assert all(count_segments(char).units == 2 for char in GSM_EXTENSION)
    for char in "ç`\tê\u2019\u00a0😀":
        assert not is_gsm7(char), char
    assert not is_gsm7("\x1b")  # the escape is not a character of its own


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "gsm7", 0, 0),
        ("Hello", "gsm7", 5, 1),
        ("a" * 160, "gsm7", 160, 1),
        ("a" * 161, "gsm7", 161, 2),
        ("a" * 306, "gsm7", 306, 2),
        ("a" * 307, "gsm7", 307, 3),
        ("a" * 1530, "gsm7", 1530, 10),
        # accented letters of the GSM alphabet
        ("Café à Malmö, señor, Straße", "gsm7", 27, 1),
        ("é" * 160, "gsm7", 160, 1),
        # the extension table: two septets each
        ("Price: 5€", "gsm7", 10, 1),
        ("€" * 80, "gsm7", 160, 1),
        ("€" * 81, "gsm7", 162, 2),
        ("{[|]}~^\\", "gsm7", 16, 1),
        # an escape pair is not split: it starts the next segment
        ("a" * 152 + "€" + "a" * 152, "gsm7", 306, 3),
        ("a" * 151 + "€" + "a" * 153, "gsm7", 306, 2),
        # look-alikes, as they come (replacing them is gateway.sms.lookalikes')
        ("It\u2019s \u201cfine\u201d \u2013 ok\u2026", "ucs2", 17, 1),
        ("\u2019" + "a" * 69, "ucs2", 70, 1),
        ("\u2019" + "a" * 70, "ucs2", 71, 2),
        ("a\u00a0b", "ucs2", 3, 1),
        # accented letters outside GSM-7, other scripts
        ("ê" * 70, "ucs2", 70, 1),
        ("ê" * 71, "ucs2", 71, 2),
        ("Ça va? Où êtes-vous?", "ucs2", 20, 1),
        ("Привет", "ucs2", 6, 1),
        ("你好" * 35, "ucs2", 70, 1),
        ("ç" + "a" * 133, "ucs2", 134, 2),
        ("ç" + "a" * 134, "ucs2", 135, 3),
        # emoji: two UTF-16 code units, never split between segments
        ("🙂" * 35, "ucs2", 70, 1),
        ("🙂" * 36, "ucs2", 72, 2),
        ("a" * 66 + "🙂" + "a" * 66, "ucs2", 134, 3),
        ("a" * 65 + "🙂" + "a" * 67, "ucs2", 134, 2),
        ("Thanks! 👍", "ucs2", 10, 1),
        # one emoji makes the euro sign one unit, not two septets
        ("€🙂", "ucs2", 3, 1),
    ],
)
def test_known_strings(text: str, encoding: str, units: int, segments: int) -> None:
    counted = count_segments(text)
    assert (counted.encoding, counted.units, counted.count) == (encoding, units, segments)


def test_fits_counts_segments_and_twilios_body_limit() -> None:
    assert fits("a" * 306, 2)
    assert not fits("a" * 307, 2)
    assert fits("🙂" * 35, 1)
    assert not fits("🙂" * 36, 1)
    assert not fits("a" * (MAX_BODY + 1), 100)


def words_of(pieces: list[str]) -> list[str]:
    return " ".join(pieces).split()


def test_split_between_words_within_the_budget() -> None:
    text = " ".join(f"word{n}" for n in range(500))
    pieces = split_to_budget(text, 2)
    assert len(pieces) > 1
    assert all(count_segments(p).count <= 2 for p in pieces)
    assert words_of(pieces) == text.split()  # no word cut, none lost
    assert all(p == p.strip() for p in pieces)


def test_a_long_text_fills_each_message() -> None:
    pieces = split_to_budget(" ".join(["word"] * 1000), 1)
    assert all(150 <= len(p) <= 160 for p in pieces[:-1])


def test_a_cut_prefers_a_line_break_in_the_second_half() -> None:
    first = "First question, long enough to be most of a segment: " + "x " * 40
    second = "Second question? " * 10
    pieces = split_to_budget(f"{first.strip()}\n{second.strip()}", 1)
    assert pieces[0] == first.strip()


def test_a_line_break_early_in_a_message_is_not_a_reason_to_cut() -> None:
    text = "Hi!\n" + "word " * 60
    pieces = split_to_budget(text, 1)
    assert pieces[0].startswith("Hi!\nword word")
    assert len(pieces[0]) > 150


def test_each_message_in_its_own_encoding() -> None:
    gsm = " ".join(["plain"] * 50)  # 299 characters: 2 GSM-7 segments
    text = f"{gsm} 🙂 thanks"
    pieces = split_to_budget(text, 2)
    assert [count_segments(p).encoding for p in pieces] == ["gsm7", "ucs2"]
    assert pieces == [gsm, "🙂 thanks"]


def test_extension_characters_count_double_when_splitting() -> None:
    pieces = split_to_budget(" ".join(["{€}"] * 100), 1)
    # 23 words of 6 septets and 22 spaces: 160 septets in 91 characters
    assert (len(pieces[0]), count_segments(pieces[0]).units) == (91, 160)
    assert all(count_segments(p).units <= 160 for p in pieces)
    assert words_of(pieces) == ["{€}"] * 100


def test_a_word_longer_than_a_message_is_cut_where_it_must_be() -> None:
    url = "https://example.com/" + "a" * 400
    pieces = split_to_budget(f"See {url} now", 1)
    assert pieces[0] == "See"
    assert "".join(pieces[1:-1]) + pieces[-1].removesuffix(" now") == url
    assert all(count_segments(p).count == 1 for p in pieces)


def test_an_emoji_word_longer_than_a_message_is_cut_between_emoji() -> None:
    pieces = split_to_budget("🙂" * 100, 1)
    assert pieces == ["🙂" * 35, "🙂" * 35, "🙂" * 30]


def test_short_empty_and_a_bad_budget() -> None:
    assert split_to_budget("  hello \n", 1) == ["hello"]
    assert split_to_budget(" \n ", 3) == []
    with pytest.raises(ValueError, match="at least 1"):
        split_to_budget("hello", 0)


TEXTS = st.lists(
    st.one_of(
        st.text(alphabet=GSM_BASIC + GSM_EXTENSION, min_size=1, max_size=30),
        st.sampled_from(["🙂", "ê", "Привет", "你好", "€€€", "\n"]),
        st.text(min_size=1, max_size=20),
    ),
    max_size=60,
).map(" ".join)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(text=TEXTS, budget=st.integers(1, 10))
def test_any_text_splits_within_the_budget_without_losing_a_word(text: str, budget: int) -> None:
    pieces = split_to_budget(text, budget)
    assert all(fits(p, budget) for p in pieces)
    assert all(p and p == p.strip() for p in pieces)
    pieced = iter(w for p in pieces for w in p.split())
    # Only a word longer than a whole message is cut: every other word of
    # the text is a word of some piece, in order; and nothing is lost.
    words = text.split()
    assert all(w in pieced for w in words if fits(w, budget))
    assert "".join(w for p in pieces for w in p.split()) == "".join(words)


# Texts around one segment's size, in each encoding, with escape pairs,
# emoji (two UTF-16 units), the codec's escape itself and a lone surrogate.
AROUND_A_SEGMENT = st.text(
    alphabet=st.sampled_from([*"ab 1\n", "{", "€", "^", "é", "ê", "ж", "😀", "\x1b", "\ud83d"]),
    max_size=340,
)


@settings(derandomize=True, max_examples=600, deadline=None)
@given(text=AROUND_A_SEGMENT, budget=st.integers(1, 3))
def test_the_shortcuts_count_what_the_character_tally_counts(text: str, budget: int) -> None:
    # count_segments measures a text of one segment without the per-character
    # tally, and _fitting_prefix takes a whole text that fits at once: both
    # must agree with the tally on every text.
    whole = count_segments(text)
    assert whole == segments._count_by_character(text, whole.encoding)
    assert is_gsm7(text) == (whole.encoding == "gsm7")
    assert segments._fitting_prefix(text, budget) == segments._fitting_prefix_by_character(
        text, budget
    )
