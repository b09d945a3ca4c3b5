"""What a caller's keypad presses or speech mean as an answer to a question.

The gateway only translates: keypad 1/2 into Yes/No, speech into the word or
number the caller meant. It never second-guesses SDX validation; whatever
it cannot interpret goes to SDX as it was heard (cleaned), so SDX answers
"invalid" and re-asks the question.
"""

from __future__ import annotations

from gateway.languages.words import ENGLISH, ENGLISH_TENS, NO, YES, SpeechWords, tokens
from gateway.sdx.models import Question

__all__ = ["answer_from_digits", "answer_from_speech", "holds_answer"]

_KEYPAD_YESNO = {"1": YES, "2": NO}

_UNITS = {word: value for value, word in enumerate(ENGLISH.numbers)}
_TENS = {word: value * 10 for value, word in enumerate(ENGLISH_TENS, start=2)}

_EDGE_PUNCTUATION = (
    " \t\r\n.,;:!?\"'()[]{}-\u2026\u201c\u201d\u2018\u2019\u3002\uff0c\uff1f\uff01\u060c\u061f"
)


def _question_type(question: Question | None) -> str:
    if question is None or question.question_type is None:
        return ""
    return question.question_type.strip().lower()


def _keys(digits: str) -> str:
    return "".join(ch for ch in digits if ch not in "#*" and not ch.isspace())


def holds_answer(digits: str) -> bool:
    """Whether keys pressed hold anything to answer with (not only ``*`` and ``#``)."""
    return bool(_keys(digits))


def answer_from_digits(question: Question | None, digits: str) -> str:
    """Keypad input as an answer: ``#``, ``*`` and whitespace removed.

    For yesno, 1 is "Yes" and 2 is "No"; any other keys go to SDX as pressed.
    """
    cleaned = _keys(digits)
    if _question_type(question) == "yesno":
        return _KEYPAD_YESNO.get(cleaned, cleaned)
    return cleaned


def answer_from_speech(question: Question | None, speech: str, words: SpeechWords = ENGLISH) -> str:
    """Twilio's ``SpeechResult``, heard in the language of ``words``, as an answer.

    yesno: "Yes" or "No" from the first yes-ish or no-ish word or phrase.
    nps and number: the first number heard, as digits ("eight out of ten"
    gives "8"). text and unknown types: the speech, whitespace collapsed.
    When nothing fits, the speech goes to SDX with whitespace collapsed
    and surrounding punctuation removed, for SDX to judge.
    """
    collapsed = " ".join(speech.split())
    kind = _question_type(question)
    if kind not in {"yesno", "nps", "number"}:
        return collapsed
    cleaned = collapsed.strip(_EDGE_PUNCTUATION)
    heard = tokens(cleaned)
    found = _yes_or_no(heard, words) if kind == "yesno" else _first_number(heard, words)
    return found or cleaned


def _phrase_at(
    heard: list[str], start: int, table: dict[tuple[str, ...], str], longest: int
) -> str | None:
    """What the longest phrase of ``table`` starting at ``heard[start]`` means."""
    for length in range(min(longest, len(heard) - start), 0, -1):
        meaning = table.get(tuple(heard[start : start + length]))
        if meaning is not None:
            return meaning
    return None


def _yes_or_no(heard: list[str], words: SpeechWords) -> str | None:
    """ "Yes"/"No" by the first phrase that says so; None if unknown or hedged.

    At each position the longest phrase wins, so "absolutely not" beats
    "absolutely" and "no idea" beats "no".
    """
    if len(heard) in (1, 2):
        # Someone told "press 1 for yes" may say the key instead of the word.
        key = _number_at(heard, 0, words)
        if key is not None and key[1] == len(heard) and key[0] in (1, 2):
            return YES if key[0] == 1 else NO
    for start in range(len(heard)):
        meaning = _phrase_at(heard, start, words.yesno, words.longest)
        if meaning is not None:
            return meaning or None
    return None


def _first_number(heard: list[str], words: SpeechWords) -> str | None:
    """The first number in the words, as decimal digits; None if there is none."""
    if len(heard) == 1 and heard[0] in words.alone:
        return str(words.alone[heard[0]])
    for start, token in enumerate(heard):
        if token[0].isdigit():
            return token.replace(",", "")
        if words is ENGLISH:
            value = _number_words(heard, start)
            if value is not None:
                return str(value)
            continue
        found = _number_at(heard, start, words)
        if found is None:
            continue
        later = any(_number_at(heard, i, words) for i in range(start + found[1], len(heard)))
        if token not in words.articles or not later:
            return str(found[0])
    return None


def _number_at(heard: list[str], start: int, words: SpeechWords) -> tuple[int, int] | None:
    """The number (digits, or a word of ``words``' 0..10) at ``heard[start]``, and
    how many words it took."""
    token = heard[start]
    if token.isdigit():
        return int(token), 1
    for length in range(min(words.longest, len(heard) - start), 0, -1):
        value = words.number_words.get(tuple(heard[start : start + length]))
        if value is not None:
            return value, length
    return None


def _number_words(tokens: list[str], start: int) -> int | None:
    """A spelled number starting at ``tokens[start]``, up to the hundreds.

    Reads "seven", "twenty five", "a hundred", "two hundred and six";
    "a" alone is not a number.
    """
    words = tokens[start:]
    value: int | None = None
    if len(words) >= 2 and words[1] == "hundred" and (words[0] == "a" or words[0] in _UNITS):
        value = 100 * (1 if words[0] == "a" else _UNITS[words[0]])
        words = words[2:]
        if words and words[0] == "and":
            words = words[1:]
    rest = _below_hundred(words)
    if value is None:
        return rest
    # "a hundred and five" adds up; "one hundred zero" is just the hundred.
    return value + rest if rest else value


def _below_hundred(words: list[str]) -> int | None:
    """0..99 from "nine", "nineteen", "ninety", "ninety nine"; None otherwise."""
    if not words:
        return None
    if words[0] in _TENS:
        tens = _TENS[words[0]]
        if len(words) > 1 and 0 < _UNITS.get(words[1], 0) < 10:
            return tens + _UNITS[words[1]]
        return tens
    return _UNITS.get(words[0])
