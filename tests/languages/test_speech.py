"""Spoken answers in each built-in language: yes/no and 0 to 10, as Twilio's
recogniser writes them (any case, accents kept or dropped, digits in any script)."""

from __future__ import annotations

import pytest

from gateway.languages.words import BUILT_IN, SpeechWords, fold
from gateway.sdx.models import Question
from gateway.survey.interpret import answer_from_speech

YESNO = Question(id=1, question_text="?", question_type="yesno")
NPS = Question(id=2, question_text="?", question_type="nps", max_response=10)

# language: (yes answers, no answers, hedges, 0..10 as spoken)
SPOKEN: dict[str, tuple[list[str], list[str], list[str], list[str]]] = {
    "en": (
        ["Yes.", "yeah I think so", "Of course!"],
        ["No.", "absolutely not", "it wasn't"],
        ["maybe", "no idea"],
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"],
    ),
    "es": (
        ["Sí.", "si", "Claro que sí", "sí, claro", "Por supuesto"],
        ["No.", "claro que no", "para nada", "no, gracias"],
        ["no sé", "tal vez"],
        ["cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez"],
    ),
    "fr": (
        ["Oui.", "ouais", "bien sûr", "Oui, tout à fait"],
        ["Non.", "pas du tout", "absolument pas"],
        ["je ne sais pas", "peut-être"],
        ["zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix"],
    ),
    "de": (
        ["Ja.", "ja genau", "Natürlich"],
        ["Nein.", "auf keinen Fall", "nee"],
        ["weiß nicht", "vielleicht"],
        ["null", "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn"],
    ),
    "it": (
        ["Sì.", "si", "certo", "sì, va bene"],
        ["No.", "per niente", "assolutamente no"],
        ["non lo so", "forse"],
        ["zero", "uno", "due", "tre", "quattro", "cinque", "sei", "sette", "otto", "nove", "dieci"],
    ),
    "pt": (
        ["Sim.", "claro", "com certeza"],
        ["Não.", "nao", "de jeito nenhum"],
        ["não sei", "talvez"],
        ["zero", "um", "dois", "três", "quatro", "cinco", "seis", "sete", "oito", "nove", "dez"],
    ),
    "zh": (
        ["是", "是的。", "对", "好的"],
        ["不是", "不", "没有。"],
        ["不知道", "不确定"],
        list("零一二三四五六七八九十"),
    ),
    "vi": (
        ["Có.", "vâng", "đúng rồi", "dung roi"],
        ["Không.", "không phải", "khong"],
        ["không biết", "có lẽ"],
        ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín", "mười"],
    ),
    "ar": (
        ["نعم", "أجل", "نعم، صحيح"],
        ["لا", "كلا", "لا، أبدا"],
        ["لا أعرف", "ربما"],
        ["صفر", "واحد", "اثنان", "ثلاثة", "أربعة", "خمسة", "ستة", "سبعة", "ثمانية", "تسعة", "عشرة"],
    ),
}


def test_every_built_in_language_is_tested() -> None:
    assert set(SPOKEN) == set(BUILT_IN)


def _cases(index: int) -> list[tuple[str, str]]:
    return [(code, phrase) for code, table in SPOKEN.items() for phrase in table[index]]


@pytest.mark.parametrize(("code", "speech"), _cases(0))
def test_yes(code: str, speech: str) -> None:
    assert answer_from_speech(YESNO, speech, BUILT_IN[code]) == "Yes"


@pytest.mark.parametrize(("code", "speech"), _cases(1))
def test_no(code: str, speech: str) -> None:
    assert answer_from_speech(YESNO, speech, BUILT_IN[code]) == "No"


@pytest.mark.parametrize(("code", "speech"), _cases(2))
def test_a_hedge_goes_to_sdx_as_heard(code: str, speech: str) -> None:
    assert answer_from_speech(YESNO, speech, BUILT_IN[code]) == speech


@pytest.mark.parametrize("code", sorted(SPOKEN))
def test_zero_to_ten(code: str) -> None:
    heard = [answer_from_speech(NPS, word, BUILT_IN[code]) for word in SPOKEN[code][3]]
    assert heard == [str(n) for n in range(11)]


@pytest.mark.parametrize("code", sorted(SPOKEN))
def test_zero_to_ten_in_capitals_and_without_accents(code: str) -> None:
    spoken = [fold(word).upper() for word in SPOKEN[code][3]]
    heard = [answer_from_speech(NPS, word, BUILT_IN[code]) for word in spoken]
    assert heard == [str(n) for n in range(11)]


@pytest.mark.parametrize(
    ("code", "speech", "expected"),
    [
        ("es", "le doy un ocho", "8"),  # "un" is the article here
        ("es", "un", "1"),
        ("es", "diría que nueve de diez", "9"),
        ("fr", "je mets un huit", "8"),
        ("fr", "une", "1"),
        ("de", "ich gebe eine Zehn", "10"),
        ("de", "eins", "1"),
        ("it", "direi sette", "7"),
        ("pt", "nota dez", "10"),
        ("pt", "meia", "6"),
        ("zh", "八分", "8"),
        ("zh", "我给九分。", "9"),
        ("vi", "tôi cho tám điểm", "8"),
        ("ar", "ثمانية من عشرة", "8"),
        ("ar", "٧", "7"),  # Arabic-Indic digits
        ("zh", "８", "8"),  # full-width digits
        ("es", "7 de 10", "7"),
    ],
)
def test_a_number_in_a_sentence(code: str, speech: str, expected: str) -> None:
    assert answer_from_speech(NPS, speech, BUILT_IN[code]) == expected


@pytest.mark.parametrize(
    ("code", "speech", "expected"),
    [
        ("es", "uno", "Yes"),  # "press 1 for yes"
        ("es", "dos", "No"),
        ("fr", "deux", "No"),
        ("zh", "一", "Yes"),
        ("de", "1", "Yes"),
    ],
)
def test_a_key_said_for_yes_or_no(code: str, speech: str, expected: str) -> None:
    assert answer_from_speech(YESNO, speech, BUILT_IN[code]) == expected


@pytest.mark.parametrize("words", list(BUILT_IN.values()), ids=list(BUILT_IN))
def test_hints_are_the_words_listened_for(words: SpeechWords) -> None:
    """What the Gather hints at is what the tables read."""
    for hint in words.yesno_hints.split(", "):
        assert answer_from_speech(YESNO, hint, words) in {"Yes", "No"}
    numbers = [answer_from_speech(NPS, hint, words) for hint in words.number_hints.split(", ")]
    assert numbers == [str(n) for n in range(11)]
