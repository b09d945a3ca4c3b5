"""Every URL Twilio calls on the gateway, in one place.

The paths are the operator contract's routes (``/twilio/voice``,
``/twilio/voice/status``, ``/twilio/sms``) and the gateway's own follow-ups
(Gather actions, no-input redirects, answering machine detection, SMS delivery
status). Absolute URLs are built on
``GATEWAY_PUBLIC_URL``, never on the address a request arrived at, so
Twilio's signatures match behind proxies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from urllib.parse import quote

PREFIX: Final = "/twilio/"
VOICE: Final = "/twilio/voice"
VOICE_STATUS: Final = "/twilio/voice/status"
VOICE_ANSWER: Final = "/twilio/voice/answer"
VOICE_SILENCE: Final = "/twilio/voice/silence"
VOICE_MACHINE: Final = "/twilio/voice/machine"
SMS: Final = "/twilio/sms"
SMS_STATUS: Final = "/twilio/sms/status"


@dataclass(frozen=True)
class WebhookUrls:
    """Absolute webhook URLs under ``base`` (GATEWAY_PUBLIC_URL, no trailing slash)."""

    base: str

    def voice(self, interaction_id: int | None = None, language: str = "") -> str:
        """Where a call's TwiML comes from; an outbound call names its interaction
        and the respondent's language key ("": the default's)."""
        return self.base + VOICE + _interaction(interaction_id, language)

    def voice_status(self, interaction_id: int | None = None) -> str:
        return self.base + VOICE_STATUS + _interaction(interaction_id)

    def voice_machine(self, interaction_id: int, language: str = "") -> str:
        """Where asynchronous answering machine detection reports who answered."""
        return self.base + VOICE_MACHINE + _interaction(interaction_id, language)

    def voice_answer(self, query: str) -> str:
        return f"{self.base}{VOICE_ANSWER}?{query}"

    def voice_silence(self, query: str) -> str:
        return f"{self.base}{VOICE_SILENCE}?{query}"

    def sms(self) -> str:
        return self.base + SMS

    def sms_status(
        self,
        interaction_id: int | None = None,
        attempt: str | None = None,
        question: int | None = None,
    ) -> str:
        """A message's StatusCallback. A survey's first text names its
        interaction and the dial attempt it was; a reply in a conversation
        names the question it asked (or nothing)."""
        query = []
        if interaction_id is not None:
            query.append(f"interaction={interaction_id}")
        if attempt is not None:
            query.append(f"attempt={quote(attempt, safe='')}")
        if question is not None:
            query.append(f"question={question}")
        return self.base + SMS_STATUS + ("?" + "&".join(query) if query else "")


def _interaction(interaction_id: int | None, language: str = "") -> str:
    if interaction_id is None:
        return ""
    lang = f"&lang={quote(language, safe='')}" if language else ""
    return f"?interaction={interaction_id}{lang}"
