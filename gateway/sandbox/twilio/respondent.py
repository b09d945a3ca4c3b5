"""The person (or machine) on the phone: call outcomes, scripted and interactive input.

Input strings, the same for scripts, responders and the HTTP control API:

- ``"9"``, ``"10#"``, ``"*"``: keys pressed (``[0-9*#]+``);
- ``"speech:yes it was"``: words spoken;
- ``"silence"`` (or ``""``): nothing, the Gather times out;
- ``"hangup"``: the respondent hangs up.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from gateway.sandbox.twilio.calls import CallRecord


class Outcome(StrEnum):
    """What happens when a number is dialled."""

    ANSWER = "answer"  # a person picks up and follows their script
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"  # the carrier could not connect the call
    MACHINE = "machine"  # an answering machine picks up: it hears, never presses
    HOLD = "hold"  # the call stays queued until hung up through the API


_DIGITS = re.compile(r"[0-9*#]+")
InputKind = Literal["digits", "speech", "silence", "hangup"]


@dataclass(frozen=True)
class Input:
    kind: InputKind
    value: str = ""

    def __str__(self) -> str:
        if self.kind == "digits":
            return self.value
        if self.kind == "speech":
            return f"speech:{self.value}"
        return self.kind


SILENCE = Input("silence")
HANGUP = Input("hangup")


def parse_input(text: str) -> Input:
    """An input string (module doc) as an Input; ValueError for anything else."""
    if text in ("", "silence"):
        return SILENCE
    if text == "hangup":
        return HANGUP
    if text.startswith("speech:"):
        words = text.removeprefix("speech:").strip()
        return Input("speech", words) if words else SILENCE
    if _DIGITS.fullmatch(text):
        return Input("digits", text)
    raise ValueError(f"not a respondent input: {text!r} (digits, speech:..., silence, hangup)")


@dataclass(frozen=True)
class GatherEvent:
    """What an interactive responder is told at each ``<Gather>``.

    ``heard`` is what was said or played since the last input (the Gather's
    own prompts included); the other fields are the Gather's settings.
    """

    call: CallRecord
    respondent: str
    heard: tuple[tuple[str, str], ...]
    input: str
    num_digits: int | None
    finish_on_key: str


Responder = Callable[[GatherEvent], Awaitable[str]]


def add_script(scripts: dict[str, deque[str]], number: str, inputs: Iterable[str]) -> None:
    """Queue inputs for ``number``, each checked now so a typo fails the test, not the call."""
    checked = [str(parse_input(text)) for text in inputs]
    scripts.setdefault(number, deque()).extend(checked)


async def next_input(
    scripts: Mapping[str, deque[str]],
    responders: Mapping[str, Responder],
    event: GatherEvent,
) -> Input:
    """The respondent's answer to a Gather: their responder's, else their script's next.

    An exhausted (or absent) script hangs up, so a forgotten input ends the
    call instead of looping.
    """
    responder = responders.get(event.respondent)
    if responder is not None:
        return parse_input(await responder(event))
    queue = scripts.get(event.respondent)
    if not queue:
        return HANGUP
    return parse_input(queue.popleft())
