"""What a Gather looks like on the terminal, and what a typed line sends (pure)."""

from __future__ import annotations

import pytest

from gateway.sandbox.softphone.events import Gather
from gateway.sandbox.softphone.keypad import NotAccepted, heard_line, hint, to_input

# The Gathers the gateway asks with (gateway.twiml.gather_plan), as the emulator reports them.
YESNO = Gather((), "dtmf speech", 1, "#")
NPS = Gather((), "dtmf speech", None, "#")
NUMBER = Gather((), "dtmf speech", 2, "#")
TEXT = Gather((), "speech", None, "#")
KEYS = Gather((), "dtmf", None, "#")
NO_FINISH = Gather((), "dtmf", 3, "")


@pytest.mark.parametrize(
    ("kind", "value", "line"),
    [
        ("say", "How was it?", "How was it?"),
        ("play", "https://example.com/a.mp3", "[audio: https://example.com/a.mp3]"),
        ("error", "An error.", "[Twilio: An error.]"),
        ("unsupported", "Record", "[<Record> is not emulated: skipped]"),
        ("other", "x", "[other: x]"),
    ],
)
def test_heard_lines(kind: str, value: str, line: str) -> None:
    assert heard_line(kind, value) == line


@pytest.mark.parametrize(
    ("gather", "expected"),
    [
        (YESNO, "press a key, or say something"),
        (NPS, "keys, # to finish, or say something"),
        (NUMBER, "up to 2 keys, # to finish, or say something"),
        (TEXT, "say something"),
        (KEYS, "keys, # to finish"),
        (NO_FINISH, "up to 3 keys"),
        (Gather((), "", None, "#"), "Enter to go on"),
    ],
)
def test_hints(gather: Gather, expected: str) -> None:
    assert hint(gather) == expected


@pytest.mark.parametrize(
    ("line", "gather", "sent"),
    [
        ("9", NPS, "9"),
        ("10#", NPS, "10"),
        (" 7 ", NPS, "7"),
        ("#", NPS, "silence"),  # the finish key alone: nothing entered
        ("", NPS, "silence"),
        ("   ", TEXT, "silence"),
        ("*9#", NPS, "*9"),
        ("12#", NO_FINISH, "12#"),  # no finish key: # is a key like any other
        ("nine out of ten", NPS, "speech:nine out of ten"),
        ("9", TEXT, "speech:9"),  # a speech-only question hears the number said
        ("1 0", NPS, "speech:1 0"),
    ],
)
def test_typed_lines(line: str, gather: Gather, sent: str) -> None:
    assert to_input(line, gather) == sent


def test_words_for_a_keys_only_question_are_refused() -> None:
    with pytest.raises(NotAccepted, match="keys only"):
        to_input("yes", KEYS)
    with pytest.raises(NotAccepted, match="press Enter"):
        to_input("yes", Gather((), "", None, "#"))
