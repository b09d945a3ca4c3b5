"""The words a respondent may answer with, per language: yes, no, a hedge, 0 to 10.

Twilio's speech recognition writes what it heard in the language the
``<Gather>`` listened in; ``gateway.survey.interpret`` reads it with these
tables. Phrases are ``|``-separated and compared folded (``fold``): case,
accents and ``_``/``-`` do not matter, so a recogniser that drops the accent
of "sí" or writes "Nein" still matches. Chinese is written without spaces,
so each Han character is a word of its own ("不是" is two).

English reads every number up to the hundreds (``gateway.survey.interpret``
composes them); the other languages read 0 to 10, which covers yes/no and
NPS questions, and digits in any script.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property

# Han ideographs (and the CJK "〇" zero) are one word each.
_HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Words keep inner apostrophes ("wasn't", "d'accord"); numbers keep thousands
# commas and decimals.
TOKEN = re.compile(rf"\d+(?:,\d{{3}})*(?:\.\d+)?|[{_HAN}]|[^\W\d_{_HAN}]+(?:'[^\W\d_{_HAN}]+)*")
# Letters that do not decompose into a base letter and an accent.
_UNACCENTED = str.maketrans({"đ": "d", "ø": "o", "ł": "l", "\u2019": "'", "-": " "})


def fold(text: str) -> str:
    """``text`` as the tables compare it: case folded, accents and Arabic
    vowel marks removed, digits of any script as ASCII digits, hyphens as spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = []
    for char in decomposed:
        if unicodedata.combining(char):
            continue
        digit = unicodedata.digit(char, None) if not char.isascii() else None
        kept.append(str(digit) if digit is not None else char)
    return "".join(kept).translate(_UNACCENTED)


def tokens(text: str) -> list[str]:
    """The words and numbers of ``text``, folded."""
    return TOKEN.findall(fold(text))


def _phrases(text: str) -> list[tuple[str, ...]]:
    return [tuple(tokens(phrase)) for phrase in text.split("|") if tokens(phrase)]


YES = "Yes"
NO = "No"
UNSURE = ""  # a hedge: the answer stays as heard and SDX re-asks


@dataclass(frozen=True, eq=False)
class SpeechWords:
    """One language's answer words. ``numbers[n]`` holds the words for n."""

    code: str
    yes: str
    no: str
    unsure: str
    numbers: tuple[str, ...]
    yesno_hints: str  # <Gather hints>: what a yes/no question expects
    number_hints: str  # ... and an NPS question
    # Recogniser mishearings of a bare number, trusted only as the whole answer.
    alone: dict[str, int] = field(default_factory=dict)
    # Number words that are also the article ("un" of "un ocho"): a number only
    # when no other number follows them in the answer.
    articles: frozenset[str] = frozenset()

    @cached_property
    def yesno(self) -> dict[tuple[str, ...], str]:
        """Phrase -> "Yes", "No" or "" (a hedge)."""
        table: dict[tuple[str, ...], str] = {}
        for phrases, meaning in ((self.yes, YES), (self.no, NO), (self.unsure, UNSURE)):
            for phrase in _phrases(phrases):
                table[phrase] = meaning
        return table

    @cached_property
    def number_words(self) -> dict[tuple[str, ...], int]:
        return {
            phrase: value for value, words in enumerate(self.numbers) for phrase in _phrases(words)
        }

    @cached_property
    def longest(self) -> int:
        """Words in the longest phrase: how far a match looks ahead."""
        return max(len(phrase) for phrase in [*self.yesno, *self.number_words])


# fmt: off
_ENGLISH_NUMBERS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
    "eighteen", "nineteen",
)
# fmt: on
ENGLISH = SpeechWords(
    code="en",
    yes="yes|yeah|yea|yep|yup|aye|sure|correct|absolutely|of course|it was|it is|it did|i did|"
    "affirmative|definitely|certainly|that's right|that is right|true|i think so|why not",
    no="no|nope|nah|not really|not at all|negative|no way|it wasn't|it was not|it isn't|"
    "it is not|it didn't|it did not|i didn't|i did not|absolutely not|of course not|"
    "definitely not|certainly not|incorrect|false|not true|don't think so",
    unsure="maybe|perhaps|not sure|unsure|no idea|don't know|dunno|not certain|kind of|sort of",
    numbers=_ENGLISH_NUMBERS,
    yesno_hints="yes, no",
    number_hints="zero, one, two, three, four, five, six, seven, eight, nine, ten",
    # "I'd give it to you as eight" means 8, not 2; "oh, nine" means 9, not 0.
    alone={"oh": 0, "won": 1, "to": 2, "too": 2, "for": 4, "fore": 4, "ate": 8},
)
ENGLISH_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")

SPANISH = SpeechWords(
    code="es",
    articles=frozenset({"un", "una"}),
    yes="sí|claro|claro que sí|por supuesto|correcto|exacto|afirmativo|desde luego|vale|"
    "de acuerdo|efectivamente|cierto|así es|creo que sí",
    no="no|para nada|claro que no|por supuesto que no|en absoluto|negativo|incorrecto|"
    "de ninguna manera|nunca|creo que no|no es cierto",
    unsure="tal vez|quizás|quizá|no sé|no lo sé|no estoy seguro|no estoy segura|a lo mejor",
    numbers=(
        "cero",
        "uno|una|un",
        "dos",
        "tres",
        "cuatro",
        "cinco",
        "seis",
        "siete",
        "ocho",
        "nueve",
        "diez",
    ),
    yesno_hints="sí, no",
    number_hints="cero, uno, dos, tres, cuatro, cinco, seis, siete, ocho, nueve, diez",
)

FRENCH = SpeechWords(
    code="fr",
    articles=frozenset({"un", "une"}),
    yes="oui|ouais|bien sûr|absolument|exactement|d'accord|tout à fait|certainement|"
    "affirmatif|c'est ça|si|je pense que oui",
    no="non|pas du tout|absolument pas|certainement pas|négatif|jamais|pas vraiment|"
    "je ne pense pas|je pense que non",
    unsure="peut-être|je ne sais pas|je sais pas|pas sûr|pas sûre|bof",
    numbers=(
        "zéro",
        "un|une",
        "deux",
        "trois",
        "quatre",
        "cinq",
        "six",
        "sept",
        "huit",
        "neuf",
        "dix",
    ),
    yesno_hints="oui, non",
    number_hints="zéro, un, deux, trois, quatre, cinq, six, sept, huit, neuf, dix",
)

GERMAN = SpeechWords(
    code="de",
    articles=frozenset({"ein", "eine"}),
    yes="ja|jawohl|genau|richtig|klar|natürlich|sicher|stimmt|auf jeden fall|doch|jep|"
    "ich glaube schon",
    no="nein|nö|nee|auf keinen fall|überhaupt nicht|gar nicht|nicht wirklich|falsch|niemals|"
    "stimmt nicht|ich glaube nicht",
    unsure="vielleicht|weiß nicht|ich weiß nicht|keine ahnung|nicht sicher|ich bin nicht sicher",
    numbers=(
        "null",
        "eins|ein|eine",
        "zwei|zwo",
        "drei",
        "vier",
        "fünf",
        "sechs",
        "sieben",
        "acht",
        "neun",
        "zehn",
    ),
    yesno_hints="ja, nein",
    number_hints="null, eins, zwei, drei, vier, fünf, sechs, sieben, acht, neun, zehn",
)

ITALIAN = SpeechWords(
    code="it",
    articles=frozenset({"un", "una"}),
    yes="sì|certo|certamente|esatto|giusto|va bene|d'accordo|assolutamente|ovviamente|"
    "sicuro|credo di sì",
    no="no|per niente|niente affatto|assolutamente no|mai|sbagliato|non proprio|"
    "certo che no|credo di no",
    unsure="forse|non so|non lo so|boh|non sono sicuro|non sono sicura",
    numbers=(
        "zero",
        "uno|una|un",
        "due",
        "tre",
        "quattro",
        "cinque",
        "sei",
        "sette",
        "otto",
        "nove",
        "dieci",
    ),
    yesno_hints="sì, no",
    number_hints="zero, uno, due, tre, quattro, cinque, sei, sette, otto, nove, dieci",
)

PORTUGUESE = SpeechWords(
    code="pt",
    articles=frozenset({"um", "uma"}),
    yes="sim|claro|com certeza|certo|correto|exato|isso|isso mesmo|está bem|positivo|"
    "acho que sim|pois é",
    no="não|de jeito nenhum|nunca|negativo|errado|claro que não|nem pensar|acho que não",
    unsure="talvez|não sei|não tenho certeza|sei lá",
    # "meia" (half a dozen) is how Brazilians say six when reading out digits.
    numbers=(
        "zero",
        "um|uma",
        "dois|duas",
        "três",
        "quatro",
        "cinco",
        "seis|meia",
        "sete",
        "oito",
        "nove",
        "dez",
    ),
    yesno_hints="sim, não",
    number_hints="zero, um, dois, três, quatro, cinco, seis, sete, oito, nove, dez",
)

CHINESE = SpeechWords(
    code="zh",
    yes="是|是的|对|对的|對|對的|好|好的|可以|没错|沒錯|当然|當然|有",
    no="不|不是|不对|不對|没有|沒有|否|不可以|当然不|當然不",
    unsure="不知道|不确定|不確定|也许|也許|可能|说不好|說不好",
    numbers=("零|〇", "一", "二|两|兩", "三", "四", "五", "六", "七", "八", "九", "十"),
    yesno_hints="是, 不是",
    number_hints="零, 一, 二, 三, 四, 五, 六, 七, 八, 九, 十",
)

VIETNAMESE = SpeechWords(
    code="vi",
    yes="có|vâng|dạ|đúng|đúng rồi|được|ừ|phải|chắc chắn",
    no="không|không phải|chưa|sai|không đúng|không có",
    unsure="không biết|có lẽ|có thể|chưa chắc|không chắc",
    numbers=("không", "một", "hai", "ba", "bốn|tư", "năm", "sáu", "bảy|bẩy", "tám", "chín", "mười"),
    yesno_hints="có, không",
    number_hints="không, một, hai, ba, bốn, năm, sáu, bảy, tám, chín, mười",
)

ARABIC = SpeechWords(
    code="ar",
    yes="نعم|أجل|أيوه|ايوه|بلى|صحيح|طبعا|أكيد|تمام",
    no="لا|كلا|أبدا|غير صحيح|مش صحيح|ليس صحيحا",
    unsure="ربما|لا أعرف|لا أدري|مش متأكد|لست متأكدا|يمكن",
    numbers=(
        "صفر",
        "واحد|واحدة",
        "اثنان|اثنين|إثنان|إثنين|اتنين",
        "ثلاثة|ثلاث|تلاتة",
        "أربعة|أربع",
        "خمسة|خمس",
        "ستة|ست",
        "سبعة|سبع",
        "ثمانية|ثماني|ثمان|تمانية",
        "تسعة|تسع",
        "عشرة|عشر",
    ),
    yesno_hints="نعم, لا",
    number_hints="صفر, واحد, اثنان, ثلاثة, أربعة, خمسة, ستة, سبعة, ثمانية, تسعة, عشرة",
)

# By primary language subtag.
BUILT_IN: dict[str, SpeechWords] = {
    words.code: words
    for words in (
        ENGLISH,
        SPANISH,
        FRENCH,
        GERMAN,
        ITALIAN,
        PORTUGUESE,
        CHINESE,
        VIETNAMESE,
        ARABIC,
    )
}
