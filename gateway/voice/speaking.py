"""How a call is spoken to: the voice, the listening and the gateway's own
sentences of the respondent's language (``gateway.languages``).

A call's language is chosen once, when its survey starts, and travels by its
key: in the session, and in every URL Twilio calls back (``lang`` on the
first webhook of a dialled call, ``l`` on a turn's), so a call whose session
was lost still speaks its language. A sentence with no translation into the
language is said in the default's voice, which it is written for.
"""

from __future__ import annotations

from gateway.config.languages import TextName
from gateway.languages import Language, Languages
from gateway.voice.twiml import Prompt, VoiceStyle, render_closing


class CallSpeech:
    """One language's voice for calls, and its gateway sentences rendered once."""

    def __init__(self, languages: Languages, gather_timeout: int) -> None:
        self.languages = languages
        self._gather_timeout = gather_timeout
        self._default = self._style(languages.default)
        self._styles: dict[str, VoiceStyle] = {}
        self._messages: dict[tuple[str, TextName], str] = {}

    def _style(self, language: Language) -> VoiceStyle:
        return VoiceStyle(
            voice=language.voice,
            language=language.tag,
            gather_timeout=self._gather_timeout,
            words=language.words,
        )

    def style(self, key: str) -> VoiceStyle:
        """How a call in the language ``key`` is spoken to and heard."""
        key = self.languages.get(key).key  # an unknown key is the default's
        style = self._styles.get(key)
        if style is None:
            style = self._styles[key] = self._style(self.languages.get(key))
        return style

    def sentence(self, key: str, name: TextName) -> Prompt:
        """The gateway sentence ``name`` for a call in the language ``key``."""
        language = self.languages.get(key)
        own = name in language.own
        return Prompt(language.texts[name], style=None if own else self._default)

    def message(self, key: str, name: TextName) -> str:
        """TwiML saying the sentence ``name``, then hanging up (rendered once)."""
        key = self.languages.get(key).key
        message = self._messages.get((key, name))
        if message is None:
            prompt = self.sentence(key, name)
            message = render_closing([prompt], self.style(key))
            self._messages[(key, name)] = message
        return message
