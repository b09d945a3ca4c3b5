"""The words a carrier and the gateway treat as commands, not answers: STOP, START, HELP."""

from __future__ import annotations

from gateway.sms.text import clean_body

OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN = frozenset({"START", "UNSTOP"})
HELP = frozenset({"HELP", "INFO"})


def keyword_of(body: str, opt_out_type: str = "") -> str:
    """STOP, START, HELP or "": Twilio's classification first, then our lists.

    ``opt_out_type`` is Twilio's Advanced Opt-Out classification, which also
    covers keywords the operator added in Twilio (e.g. "ALTO"). Twilio's
    default opt-in keywords include YES; it counts as START only when Twilio
    says so, never as a yes/no answer on its own.
    """
    if opt_out_type.upper() in {"STOP", "START", "HELP"}:
        return opt_out_type.upper()
    word = clean_body(body).upper()
    if word in OPT_OUT:
        return "STOP"
    if word in OPT_IN:
        return "START"
    if word in HELP:
        return "HELP"
    return ""
