"""What the respondent sees of a call, and what a typed line means (pure, no I/O).

A line answers a Gather: digits (``0-9*#``) are keys, where the Gather takes
keys; other words are speech; an empty line is silence (the Gather times
out). The Gather's own finish key at the end of the digits is dropped, as
Twilio does, so ``9#`` and ``9`` answer alike.
"""

from __future__ import annotations

import re

from gateway.sandbox.softphone.events import Gather

_KEYS = re.compile(r"[0-9*#]+")


class NotAccepted(ValueError):
    """A line this Gather cannot take; ``str()`` tells the user what it does take."""


def heard_line(kind: str, value: str) -> str:
    """One thing the respondent heard, as a line: Say as is, Play and errors in brackets."""
    if kind == "say":
        return value
    if kind == "play":
        return f"[audio: {value}]"
    if kind == "error":
        return f"[Twilio: {value}]"
    if kind == "unsupported":
        return f"[<{value}> is not emulated: skipped]"
    if kind == "language":
        return f"[speaking {value}]"
    if kind == "machine_detection":
        return f"[Twilio's answering machine detection: {value}]"
    return f"[{kind}: {value}]"


def _keys_hint(gather: Gather) -> str:
    finish = f", {gather.finish_on_key} to finish" if gather.finish_on_key else ""
    if gather.num_digits == 1:
        return "press a key"
    if gather.num_digits:
        return f"up to {gather.num_digits} keys{finish}"
    return f"keys{finish}"


def hint(gather: Gather) -> str:
    """What the Gather listens for, in a few words: ``keys, # to finish, or say something``."""
    if gather.keys and gather.speech:
        return f"{_keys_hint(gather)}, or say something"
    if gather.keys:
        return _keys_hint(gather)
    if gather.speech:
        return "say something"
    return "Enter to go on"


def to_input(line: str, gather: Gather) -> str:
    """The emulator's input string for a typed line (``NotAccepted`` if it cannot be)."""
    text = line.strip()
    if not text:
        return "silence"
    if gather.keys and _KEYS.fullmatch(text):
        keys = text.removesuffix(gather.finish_on_key) if gather.finish_on_key else text
        return keys or "silence"  # the finish key alone: nothing was entered
    if gather.speech:
        return f"speech:{text}"
    if gather.keys:
        raise NotAccepted("this question takes keys only: type digits, or Enter for silence")
    raise NotAccepted("nothing to answer here: press Enter")
