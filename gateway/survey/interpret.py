"""What a caller's keypad presses or speech mean as an answer to a question.

The gateway only translates: keypad 1/2 into Yes/No, speech into the word or
number the caller meant. It never second-guesses SDX validation; whatever
it cannot interpret goes to SDX as it was heard (cleaned), so SDX answers
"invalid" and re-asks the question.
"""

from __future__ import annotations

import re

from gateway.sdx.models import Question

__all__ = ["answer_from_digits", "answer_from_speech"]

_KEYPAD_YESNO = {"1": "Yes", "2": "No"}

# Words and phrases, as word tuples. At each position the longest phrase
# wins, so "absolutely not" beats "absolutely" and "no idea" beats "no".
_YES = "Yes"
_NO = "No"
_UNSURE = ""  # a hedge: the answer stays as heard and SDX re-asks
_YES_PHRASES = (
    "yes|yeah|yea|yep|yup|aye|sure|correct|absolutely|of course|it was|it is|it did|i did|"
    "affirmative|definitely|certainly|that's right|that is right|true|i think so|why not"
)
_NO_PHRASES = (
    "no|nope|nah|not really|not at all|negative|no way|it wasn't|it was not|it isn't|"
    "it is not|it didn't|it did not|i didn't|i did not|absolutely not|of course not|"
    "definitely not|certainly not|incorrect|false|not true|don't think so"
)
_UNSURE_PHRASES = (
    "maybe|perhaps|not sure|unsure|no idea|don't know|dunno|not certain|kind of|sort of"
)
_YESNO_PHRASES: dict[tuple[str, ...], str] = {
    tuple(phrase.split()): meaning
    for phrases, meaning in ((_YES_PHRASES, _YES), (_NO_PHRASES, _NO), (_UNSURE_PHRASES, _UNSURE))
    for phrase in phrases.split("|")
}
_LONGEST_PHRASE = max(len(phrase) for phrase in _YESNO_PHRASES)

_UNIT_WORDS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
    "eighteen", "nineteen",
)  # fmt: skip
_TENS_WORDS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_UNITS = {word: value for value, word in enumerate(_UNIT_WORDS)}
_TENS = {word: value * 10 for value, word in enumerate(_TENS_WORDS, start=2)}
# Recogniser mishearings of a bare number. Only trusted when they are the
# whole answer: "I'd give it to you as eight" means 8, not 2, and "oh, nine"
# means 9, not 0.
_ALONE_ONLY = {"oh": 0, "won": 1, "to": 2, "too": 2, "for": 4, "fore": 4, "ate": 8}

# Words keep inner apostrophes ("wasn't"); numbers keep thousands commas and decimals.
_TOKEN = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?|[a-z]+(?:'[a-z]+)*")
_EDGE_PUNCTUATION = " \t\r\n.,;:!?\"'()[]{}-\u2026\u201c\u201d\u2018\u2019"


def _question_type(question: Question | None) -> str:
    if question is None or question.question_type is None:
        return ""
    return question.question_type.strip().lower()


def answer_from_digits(question: Question | None, digits: str) -> str:
    """Keypad input as an answer: ``#``, ``*`` and whitespace removed.

    For yesno, 1 is "Yes" and 2 is "No"; any other keys go to SDX as pressed.
    """
    cleaned = "".join(ch for ch in digits if ch not in "#*" and not ch.isspace())
    if _question_type(question) == "yesno":
        return _KEYPAD_YESNO.get(cleaned, cleaned)
    return cleaned


def answer_from_speech(question: Question | None, speech: str) -> str:
    """Twilio's ``SpeechResult`` as an answer.

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
    tokens = _tokens(cleaned)
    found = _yes_or_no(tokens) if kind == "yesno" else _first_number(tokens)
    return found or cleaned


def _tokens(text: str) -> list[str]:
    # Curly apostrophes come from some recognisers; hyphens join "twenty-five".
    normal = text.lower().replace("\u2019", "'").replace("-", " ")
    return _TOKEN.findall(normal)


def _yes_or_no(tokens: list[str]) -> str | None:
    """ "Yes"/"No" by the first phrase that says so; None if unknown or hedged."""
    if len(tokens) == 1 and tokens[0] in {"1", "one", "2", "two"}:
        # Someone told "press 1 for yes" may say the key instead of the word.
        return _YES if tokens[0] in {"1", "one"} else _NO
    for start in range(len(tokens)):
        for length in range(min(_LONGEST_PHRASE, len(tokens) - start), 0, -1):
            meaning = _YESNO_PHRASES.get(tuple(tokens[start : start + length]))
            if meaning is not None:
                return meaning or None
    return None


def _first_number(tokens: list[str]) -> str | None:
    """The first number in the words, as decimal digits; None if there is none."""
    if len(tokens) == 1 and tokens[0] in _ALONE_ONLY:
        return str(_ALONE_ONLY[tokens[0]])
    for start, token in enumerate(tokens):
        if token[0].isdigit():
            return token.replace(",", "")
        value = _number_words(tokens, start)
        if value is not None:
            return str(value)
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
