"""Which answers each question type accepts, and how they are stored."""

from __future__ import annotations

import re

from gateway.sandbox.sdx.models import Question

_YES = frozenset({"yes", "y", "1", "true"})
_NO = frozenset({"no", "n", "2", "false"})
_DIGITS = re.compile(r"\d{1,6}")


def normalise_answer(question: Question, raw: str) -> str | None:
    """The answer as SDX records it, or None if the question cannot take it.

    yesno: yes/no/y/n/1/2/true/false (keypad 1 = yes, 2 = no), stored as
    "Yes"/"No"; nps: a whole number 0..10; number: 0..max_response;
    text: anything not blank.
    """
    text = raw.strip()
    match question.question_type:
        case "yesno":
            return _yes_no(text)
        case "nps":
            return _whole_number(text, 10)
        case "number":
            return _whole_number(text, question.max_response)
        case "text":
            return text or None


def _yes_no(text: str) -> str | None:
    word = text.lower()
    if word in _YES:
        return "Yes"
    if word in _NO:
        return "No"
    return None


def _whole_number(text: str, maximum: int) -> str | None:
    if _DIGITS.fullmatch(text) is None:
        return None
    value = int(text)
    return str(value) if value <= maximum else None
