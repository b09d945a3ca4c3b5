"""``gateway doctor``'s language checks: voices Twilio accepts, tags it can read,
and entries that would speak one language in another's voice.

Twilio names its text-to-speech voices ``Polly.<Name>`` (optionally
``-Neural``, ``-Generative``...) and ``Google.<language>-<REGION>-<Model>-<X>``;
a name of another form makes every ``<Say>`` of the call fail (Twilio error
13511/13520), so it is a failure here, not at the first call. The basic
voices ``man``, ``woman`` and ``alice`` work but speak few languages.
"""

from __future__ import annotations

import re

from gateway.config import Settings
from gateway.languages import Language, Languages
from gateway.languages import texts as text_tables
from gateway.languages import words as word_tables
from gateway.languages.choice import primary
from gateway.run.check import Check

POLLY = re.compile(r"Polly\.[A-Z][a-zA-Z]+(-(Neural|Generative|LongForm|Standard))?")
GOOGLE = re.compile(r"Google\.([a-z]{2,3}-[A-Z]{2})-[A-Za-z0-9]+-[A-Z]")
BASIC = frozenset({"man", "woman", "alice"})
# A language tag as Twilio reads them: "es-US", "cmn-CN", "zh-Hant-TW", "arb".
TAG = re.compile(r"[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|\d{3}))?")
# A GATEWAY_LANGUAGES key (already lower case): "es", "es-mx", "zh-hans-cn".
CODE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8}){0,3}")

VOICE_FIX = (
    "use a voice from Twilio's text-to-speech list, e.g. Polly.Lupe or Google.es-US-Neural2-A"
)


def _voice(name: str, voice: str, tag: str) -> Check | None:
    """A failure or warning for the voice ``voice`` speaking ``tag``; None if fine."""
    google = GOOGLE.fullmatch(voice)
    if voice in BASIC:
        return Check(name, "warn", f"{voice} is a basic voice: it speaks few languages", VOICE_FIX)
    if not (POLLY.fullmatch(voice) or google):
        return Check(name, "FAIL", f"voice {voice!r} is not a name Twilio accepts", VOICE_FIX)
    if google and google.group(1).lower() != tag.lower():
        detail = f"{voice} speaks {google.group(1)}, but the language is {tag}"
        return Check(name, "warn", detail, "choose a voice of that language")
    return None


def _tag(name: str, tag: str) -> Check | None:
    if TAG.fullmatch(tag):
        return None
    fix = "a language tag such as es-US, fr-FR or cmn-CN (language, then REGION)"
    return Check(name, "FAIL", f"language {tag!r} is not a well-formed tag", fix)


def check_languages(settings: Settings) -> list[Check]:
    """The default voice and language, then each GATEWAY_LANGUAGES entry."""
    languages = Languages.from_settings(settings)
    default = languages.default
    name = "default voice"
    problem = _tag(name, default.tag) or _voice(name, default.voice, default.tag)
    checks = [problem or Check(name, "ok", f"{default.voice} in {default.tag}")]
    for language in languages.configured:
        checks.append(_entry(language, settings))
    return checks


def _entry(language: Language, settings: Settings) -> Check:
    key = language.key
    name = f"language {key}"
    if not CODE.fullmatch(key):
        fix = "a code as SDX writes respondent_language: es, es-MX, pt-BR"
        return Check(name, "FAIL", f"{key!r} is not a well-formed language code", fix)
    problem = _tag(name, language.tag) or _voice(name, language.voice, language.tag)
    if problem is not None:
        return problem
    setting = settings.gateway_languages[key]
    if setting.voice is None or setting.language is None:
        missing = " and ".join(
            field
            for field, value in (("voice", setting.voice), ("language", setting.language))
            if value is None
        )
        detail = f"no {missing}: {language.voice} in {language.tag} (the default's) reads it"
        return Check(name, "warn", detail, f'give it its own, e.g. {{"{key}": {{"voice": ...}}}}')
    unread = []
    if primary(key) not in word_tables.BUILT_IN:
        unread.append("spoken answers are read with the default's words")
    if primary(key) not in text_tables.BUILT_IN and not setting.texts:
        unread.append("the gateway's own sentences are the default's")
    if unread:
        fix = 'add "texts" to the entry for the sentences (README, Languages)'
        return Check(name, "warn", f"{language.voice} in {language.tag}; " + "; ".join(unread), fix)
    return Check(name, "ok", f"{language.voice} in {language.tag}")
