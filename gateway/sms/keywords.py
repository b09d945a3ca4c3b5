"""The words a carrier and the gateway treat as commands, not answers: STOP, START, HELP.

English ones always (carriers act on them whatever the language), and those
of the respondent's language (``gateway.languages.keywords``): a Spanish
respondent's "ALTO" opts out like "STOP".
"""

from __future__ import annotations

from collections.abc import Sequence

from gateway.languages.keywords import ENGLISH, Keywords
from gateway.languages.words import fold
from gateway.sms.text import clean_body


def folded_body(body: str) -> str:
    """A whole message as keywords are compared: trimmed, folded."""
    return fold(clean_body(body)).strip()


def keyword_of(body: str, opt_out_type: str = "", tables: Sequence[Keywords] = (ENGLISH,)) -> str:
    """STOP, START, HELP or "": Twilio's classification first, then ``tables``.

    ``opt_out_type`` is Twilio's Advanced Opt-Out classification, which also
    covers keywords the operator added in Twilio. Twilio's default opt-in
    keywords include YES; it counts as START only when Twilio says so, never
    as a yes/no answer on its own.
    """
    if opt_out_type.upper() in {"STOP", "START", "HELP"}:
        return opt_out_type.upper()
    word = folded_body(body)
    for table in tables:
        command = table.command(word)
        if command:
            return command
    return ""
