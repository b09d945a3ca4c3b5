"""Keypad and speech input turned into SDX answers, per question type."""

from __future__ import annotations

import pytest

from gateway.sdx.models import Question
from gateway.survey.interpret import answer_from_digits, answer_from_speech


def question(kind: str | None) -> Question:
    return Question(id=3, question_type=kind, max_response=10)


@pytest.mark.parametrize(
    ("kind", "digits", "expected"),
    [
        ("yesno", "1", "Yes"),
        ("yesno", "2", "No"),
        ("yesno", "1#", "Yes"),
        ("yesno", " *2 ", "No"),
        (" YESNO ", "1", "Yes"),
        ("yesno", "3", "3"),  # SDX judges it invalid and re-asks
        ("yesno", "12", "12"),
        ("yesno", "", ""),
        ("nps", "7#", "7"),
        ("nps", "10#", "10"),
        ("nps", "*1 0#", "10"),
        ("number", "5", "5"),
        ("number", "42#", "42"),
        ("text", "123#", "123"),
        ("rating", "4#", "4"),
        (None, "#9*", "9"),
    ],
)
def test_answer_from_digits(kind: str | None, digits: str, expected: str) -> None:
    assert answer_from_digits(question(kind), digits) == expected


def test_answer_from_digits_without_question() -> None:
    assert answer_from_digits(None, "1#") == "1"


@pytest.mark.parametrize(
    ("speech", "expected"),
    [
        ("Yes.", "Yes"),
        ("yes, it was.", "Yes"),
        ("YEAH", "Yes"),
        ("Yep!", "Yes"),
        ("yup", "Yes"),
        ("Sure.", "Yes"),
        ("That's correct", "Yes"),
        ("Absolutely!", "Yes"),
        ("of course", "Yes"),
        ("It was.", "Yes"),
        ("Affirmative", "Yes"),
        ("oh yes it was", "Yes"),
        ("I think so", "Yes"),
        ("One.", "Yes"),
        ("1", "Yes"),
        ("No.", "No"),
        ("nope", "No"),
        ("Nah", "No"),
        ("Not really.", "No"),
        ("negative", "No"),
        ("It wasn't.", "No"),
        ("It wasn\u2019t", "No"),
        ("it was not", "No"),
        ("Absolutely not!", "No"),
        ("of course not", "No"),
        ("I don't think so", "No"),
        ("two", "No"),
        ("No, not really, it was fine", "No"),
        ("yes no", "Yes"),  # the first yes-ish or no-ish phrase decides
        ("Hmm, no. Well, yes.", "No"),
        ("I'm not sure.", "I'm not sure"),  # a hedge: SDX re-asks
        ("No idea", "No idea"),
        ("Maybe", "Maybe"),
        ("  What   was the question?  ", "What was the question"),
        ("", ""),
    ],
)
def test_yesno_speech(speech: str, expected: str) -> None:
    assert answer_from_speech(question("yesno"), speech) == expected


NUMBER_SPEECH = [
    ("Nine.", "9"),
    ("9", "9"),
    ("10.", "10"),
    ("I'd say 8", "8"),
    ("eight out of ten", "8"),
    ("nine out of ten", "9"),
    ("8 out of 10", "8"),
    ("Ten!", "10"),
    ("zero", "0"),
    ("Zero, none at all", "0"),
    ("Oh.", "0"),
    ("oh, nine", "9"),  # "oh" only means zero on its own
    ("seventeen", "17"),
    ("twenty five", "25"),
    ("Twenty-five", "25"),
    ("twenty", "20"),
    ("ninety nine", "99"),
    ("a hundred", "100"),
    ("One hundred.", "100"),
    ("a hundred and five", "105"),
    ("two hundred twelve", "212"),
    ("1,000", "1000"),
    ("won", "1"),
    ("To.", "2"),
    ("too", "2"),
    ("For", "4"),
    ("ate", "8"),
    ("I'd give it to you as eight", "8"),  # "to" is not 2 inside a sentence
    ("for sure, a seven", "7"),
    ("a nine", "9"),
    ("seven eight", "7"),
    ("It was great", "It was great"),
    ("  I don't know.  ", "I don't know"),
    ("", ""),
]


@pytest.mark.parametrize(("speech", "expected"), NUMBER_SPEECH)
def test_nps_speech(speech: str, expected: str) -> None:
    assert answer_from_speech(question("nps"), speech) == expected


@pytest.mark.parametrize(("speech", "expected"), NUMBER_SPEECH)
def test_number_speech(speech: str, expected: str) -> None:
    assert answer_from_speech(question(" Number "), speech) == expected


@pytest.mark.parametrize("kind", ["text", "rating", None])
@pytest.mark.parametrize(
    ("speech", "expected"),
    [
        ("  The agent was   very\nhelpful.  ", "The agent was very helpful."),
        ("Yes.", "Yes."),
        ("Nine", "Nine"),
        ("", ""),
    ],
)
def test_text_and_unknown_speech(kind: str | None, speech: str, expected: str) -> None:
    assert answer_from_speech(question(kind), speech) == expected


def test_speech_without_question_is_text() -> None:
    assert answer_from_speech(None, " Yes,  it was. ") == "Yes, it was."
