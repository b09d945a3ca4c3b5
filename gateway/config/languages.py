"""``GATEWAY_LANGUAGES``: how the gateway speaks and listens to respondents of each language.

A JSON object from a language code (as SDX's ``respondent_language`` gives
it: ``es``, ``es-MX``, ``pt_BR``) to that language's voice, its Twilio
language tag (for ``<Say>`` and for speech recognition in ``<Gather>``), and
optionally the gateway's own sentences in that language, where the built-in
translations do not suit::

    {"es": {"voice": "Polly.Lupe", "language": "es-US",
            "texts": {"apology": "Lo sentimos..."}}}

Codes are matched case-insensitively, with ``_`` read as ``-``; this module
only reads and normalises the setting (``gateway.languages`` chooses).
Whether a voice name or a tag is one Twilio knows is ``gateway doctor``'s
question, not a reason to refuse to start.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator

# The gateway's own sentences, by the name a language's "texts" uses for each.
TextName = Literal[
    "no_survey",  # a caller with no survey (GATEWAY_NO_SURVEY_MESSAGE)
    "apology",  # the gateway cannot go on (GATEWAY_APOLOGY_MESSAGE)
    "no_input",  # silence after a question (GATEWAY_NO_INPUT_MESSAGE)
    "invalid_keys",  # keys that hold no answer (GATEWAY_INVALID_KEYS_MESSAGE)
    "machine",  # left on an answering machine (GATEWAY_MACHINE_MESSAGE)
    "sms_no_survey",  # GATEWAY_SMS_NO_SURVEY_MESSAGE
    "sms_try_later",  # GATEWAY_SMS_TRY_LATER_MESSAGE
    "sms_help",  # GATEWAY_SMS_HELP_MESSAGE
    "sms_text_only",  # GATEWAY_SMS_TEXT_ONLY_MESSAGE
]


def language_key(code: str) -> str:
    """A language code as the gateway compares them: trimmed, lower case, ``-`` for ``_``."""
    return code.strip().lower().replace("_", "-")


class LanguageSetting(BaseModel):
    """One language's entry; a missing voice or tag is the default's (GATEWAY_SAY_*)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    voice: str | None = None
    language: str | None = None
    texts: dict[TextName, str] = {}

    @field_validator("voice", "language")
    @classmethod
    def _trimmed(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.strip():
            raise ValueError("must not be blank (leave it out for the default)")
        return value.strip()


def normalise_languages(value: Any) -> Any:
    """The setting (JSON text, or already a dict) with its keys as ``language_key``
    reads them; two keys that read alike are an error."""
    if isinstance(value, str):
        if not value.strip():
            return {}
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON ({exc.msg}, at character {exc.pos})") from None
        if not isinstance(value, dict):
            # A ValueError, so pydantic reports it as the setting's error.
            raise ValueError('must be a JSON object, e.g. {"es": {"voice": "Polly.Lupe"}}')  # noqa: TRY004
    if not isinstance(value, dict):
        return value
    seen: dict[str, Any] = {}
    for code, entry in value.items():
        if not isinstance(code, str) or not language_key(code):
            raise ValueError("a language code is empty")
        key = language_key(code)
        if key in seen:
            raise ValueError(f"language '{key}' is given twice")
        seen[key] = entry
    return seen
