"""Which language a respondent is spoken to in, and everything that language brings.

A respondent's language is what SDX says (``Interaction.language``:
``respondent_language``, else the interaction data key ``language``). It is
matched against ``GATEWAY_LANGUAGES``: case-insensitively with ``_`` as
``-``, exactly first, then by its primary subtag (``es-MX`` finds ``es``).
No language, or the default's own (``en`` when ``GATEWAY_SAY_LANGUAGE`` is
``en-US``), is the default; any other without an entry is the default too,
counted as unknown in ``gateway_languages_total`` and logged.

The choice is made once, when the survey starts, and kept by its entry's
key (``Language.key``, "" for the default) in the call's session and the
Gather URLs, or in the SMS conversation: ``Languages.get`` turns it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from gateway.config import Settings
from gateway.config.languages import LanguageSetting, TextName, language_key
from gateway.languages import keywords as keyword_tables
from gateway.languages import texts as text_tables
from gateway.languages import words as word_tables
from gateway.languages.keywords import Keywords
from gateway.languages.words import SpeechWords
from gateway.logging import clip, get_logger
from gateway.metrics import language_chosen

log = get_logger(__name__)

DEFAULT = ""  # the default language's key


@dataclass(frozen=True, eq=False)
class Language:
    key: str  # its GATEWAY_LANGUAGES entry, or DEFAULT
    voice: str  # <Say voice>
    tag: str  # <Say language> and <Gather language> (speech recognition)
    texts: Mapping[TextName, str]
    # The texts written in this language: the others are the default's, and
    # are spoken in the default's voice (``spoken``).
    own: frozenset[TextName]
    words: SpeechWords
    keywords: tuple[Keywords, ...]  # English first: carriers honour STOP everywhere


def primary(code: str) -> str:
    """The primary subtag: ``es`` of ``es-MX``."""
    return language_key(code).split("-", 1)[0]


def _keywords(code: str) -> tuple[Keywords, ...]:
    own = keyword_tables.BUILT_IN.get(primary(code))
    english = keyword_tables.ENGLISH
    return (english,) if own is None or own is english else (english, own)


def _default(settings: Settings) -> Language:
    texts: dict[TextName, str] = {
        "no_survey": settings.gateway_no_survey_message,
        "apology": settings.gateway_apology_message,
        "no_input": settings.gateway_no_input_message,
        "invalid_keys": settings.gateway_invalid_keys_message,
        "machine": settings.gateway_machine_message,
        "sms_no_survey": settings.gateway_sms_no_survey_message,
        "sms_try_later": settings.gateway_sms_try_later_message,
        "sms_help": settings.gateway_sms_help_message,
        "sms_text_only": settings.gateway_sms_text_only_message,
    }
    tag = settings.gateway_say_language
    return Language(
        key=DEFAULT,
        voice=settings.gateway_say_voice,
        tag=tag,
        texts=texts,
        own=frozenset(texts),
        words=word_tables.BUILT_IN.get(primary(tag), word_tables.ENGLISH),
        keywords=_keywords(tag),
    )


def _configured(key: str, setting: LanguageSetting, default: Language) -> Language:
    # A sentence the operator turned off ("": no reply, or a hang-up) stays
    # off in every language unless the entry's own texts give it.
    built_in = {
        name: text
        for name, text in text_tables.BUILT_IN.get(primary(key), {}).items()
        if default.texts[name]
    }
    texts = {**default.texts, **built_in, **setting.texts}
    own = frozenset(built_in) | frozenset(setting.texts)
    if primary(key) == primary(default.tag):
        own |= default.own  # the default's own sentences are in this language too
    return Language(
        key=key,
        voice=setting.voice or default.voice,
        tag=setting.language or default.tag,
        texts=texts,
        own=own,
        words=word_tables.BUILT_IN.get(primary(key), default.words),
        keywords=_keywords(key),
    )


class Languages:
    def __init__(self, default: Language, configured: Mapping[str, Language]) -> None:
        self.default = default
        self._configured = dict(configured)

    @classmethod
    def from_settings(cls, settings: Settings) -> Languages:
        default = _default(settings)
        configured = {
            key: _configured(key, setting, default)
            for key, setting in settings.gateway_languages.items()
        }
        return cls(default, configured)

    @property
    def configured(self) -> tuple[Language, ...]:
        return tuple(self._configured.values())

    def choose(self, requested: str, channel: str) -> Language:
        """The language for a respondent who asked for ``requested`` (SDX's code, or "")."""
        code = language_key(requested)
        found = self._match(code)
        if found is not None:
            language_chosen(channel, found.key or "default")
            return found
        log.info("language_unknown", requested=clip(code, 16))
        language_chosen(channel, "unknown")
        return self.default

    def matching(self, requested: str) -> Language:
        """``choose`` without counting or logging: for a reply outside a survey."""
        return self._match(language_key(requested)) or self.default

    def _match(self, code: str) -> Language | None:
        if not code:
            return self.default
        exact = self._configured.get(code)
        if exact is not None:
            return exact
        general = self._configured.get(primary(code))
        if general is not None:
            return general
        if primary(code) == primary(self.default.tag):
            return self.default
        return None

    @cached_property
    def keywords(self) -> tuple[Keywords, ...]:
        """Every language's SMS keywords (English first), for a message outside
        any conversation: its language is not known yet."""
        tables = [*self.default.keywords]
        for language in self.configured:
            tables += [table for table in language.keywords if table not in tables]
        return tuple(tables)

    def of_keyword(self, word: str) -> Language:
        """The configured language whose own SMS keyword ``word`` (folded) is; the
        default when none is (an English one, or the default's own)."""
        for language in self.configured:
            own = language.keywords[-1]
            if own is not keyword_tables.ENGLISH and own.command(word):
                return language
        return self.default

    def get(self, key: str) -> Language:
        """The language chosen earlier, by its key; the default if the entry is gone
        (GATEWAY_LANGUAGES changed meanwhile)."""
        return self._configured.get(key, self.default) if key else self.default
