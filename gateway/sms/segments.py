"""SMS segments: what a text costs, counted as carriers do, and text cut to a budget of them.

A text is sent in GSM-7 when every character is in the GSM 03.38 alphabet
(the ``gsm0338`` codec knows it): one septet per character, two for the
extension table (``^ { } \\ [ ~ ] | €`` and form feed), which are sent as an
escape and the character. Any other character sends the whole text in
UCS-2, two bytes per UTF-16 code unit: an emoji outside the Basic
Multilingual Plane takes two units. One segment holds 160 septets or 70
units; a longer text is concatenated, with a header in each segment that
leaves 153 septets or 67 units. An escape pair, or the two units of an
emoji, is never split between segments: when it does not fit, the segment
ends short and the pair starts the next one. Every count here follows those
rules, so it is what Twilio bills.

Pure functions: no I/O, no settings.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)

__all__ = [
    "MAX_BODY",
    "Encoding",
    "Segments",
    "count_segments",
    "fits",
    "is_gsm7",
    "split_to_budget",
]

MAX_BODY = 1600  # Twilio refuses a longer body, whatever its segments

Encoding = Literal["gsm7", "ucs2"]

# (one segment alone, each segment of a concatenated text), in septets or code units
_CAPACITY: dict[Encoding, tuple[int, int]] = {"gsm7": (160, 153), "ucs2": (70, 67)}


@functools.lru_cache(maxsize=1024)
def _septets(char: str) -> int:
    """Septets ``char`` takes in GSM-7: 1, 2 (extension table), or 0 if it has none."""
    if char == "\x1b":
        return 0  # the codec's escape itself: not a character anyone could read
    try:
        return len(char.encode("gsm03.38"))
    except UnicodeEncodeError:
        return 0


def _units(char: str, encoding: Encoding) -> int:
    if encoding == "gsm7":
        return _septets(char)
    return 2 if ord(char) > 0xFFFF else 1  # a surrogate pair in UTF-16


def is_gsm7(text: str) -> bool:
    return _measure(text)[0] == "gsm7"


def _measure(text: str) -> tuple[Encoding, int]:
    """The encoding ``text`` is sent in and its length in that encoding's units.

    Counted per distinct character, and UTF-16 by the codec: the per-character
    tally below is only needed for texts longer than one segment.
    """
    extension = 0
    for char in set(text):
        septets = _septets(char)
        if not septets:
            # "surrogatepass": a lone surrogate counts as one unit, as in _units
            return "ucs2", len(text.encode("utf-16-le", "surrogatepass")) // 2
        if septets == 2:
            extension += text.count(char)
    return "gsm7", len(text) + extension


@dataclass(frozen=True)
class Segments:
    encoding: Encoding
    units: int  # septets (gsm7) or UTF-16 code units (ucs2)
    count: int  # 0 for an empty text


class _Tally:
    """Segments of a growing text in one encoding, a character at a time."""

    def __init__(self, encoding: Encoding) -> None:
        self.encoding = encoding
        self.units = 0
        self._parts = 1  # segments when concatenated
        self._last = 0  # units in the last of them

    def add(self, units: int) -> None:
        self.units += units
        if self._last + units > _CAPACITY[self.encoding][1]:
            self._parts += 1  # the pair, or the character, starts the next segment
            self._last = 0
        self._last += units

    @property
    def count(self) -> int:
        if self.units == 0:
            return 0
        return 1 if self.units <= _CAPACITY[self.encoding][0] else self._parts


def count_segments(text: str) -> Segments:
    """The encoding ``text`` is sent in and how many segments that takes."""
    encoding, units = _measure(text)
    if units <= _CAPACITY[encoding][0]:
        return Segments(encoding, units, 1 if units else 0)
    return _count_by_character(text, encoding)


def _count_by_character(text: str, encoding: Encoding) -> Segments:
    """A concatenated text's segments: where each one ends depends on every character."""
    tally = _Tally(encoding)
    for char in text:
        tally.add(_units(char, encoding))
    return Segments(encoding, tally.units, tally.count)


def fits(text: str, max_segments: int) -> bool:
    """Whether ``text`` goes as one message within ``max_segments`` and Twilio's body limit."""
    return len(text) <= MAX_BODY and count_segments(text).count <= max_segments


def _fitting_prefix(text: str, max_segments: int) -> int:
    """Length of the longest prefix of ``text`` that ``fits``, at least one character."""
    if fits(text, max_segments):
        # Every prefix fits too: a prefix in GSM-7 never takes more segments
        # than in UCS-2 (a segment holds 76 or more of its characters against
        # 67), and in one encoding a prefix never takes more than the whole.
        return len(text)
    return _fitting_prefix_by_character(text, max_segments)


def _fitting_prefix_by_character(text: str, max_segments: int) -> int:
    """``_fitting_prefix`` for a text that does not fit whole, a character at a time.

    Both encodings are counted as the prefix grows: it is GSM-7 until its
    first character outside the alphabet, UCS-2 from there on.
    """
    gsm: _Tally | None = _Tally("gsm7")
    ucs = _Tally("ucs2")
    for end, char in enumerate(text[:MAX_BODY]):
        septets = _septets(char)
        if gsm is not None and septets:
            gsm.add(septets)
        else:
            gsm = None  # UCS-2 from here on
        ucs.add(_units(char, "ucs2"))
        if (ucs if gsm is None else gsm).count > max_segments:
            return max(end, 1)
    return min(len(text), MAX_BODY)


def split_to_budget(text: str, max_segments: int) -> list[str]:
    """``text`` as messages that each ``fit`` in ``max_segments``, cut between words.

    A cut falls on the last line break of a message's second half, so that a
    question stays whole where it can, else on its last space. Only a word
    longer than a whole message (a long URL) is cut where it must be. Each
    message is measured in its own encoding: one without the text's emoji
    is GSM-7, and may be longer.
    """
    if max_segments < 1:
        raise ValueError("max_segments must be at least 1")
    text = text.strip()
    pieces: list[str] = []
    while text:
        end = _fitting_prefix(text, max_segments)
        if end < len(text):
            end = _word_boundary(text, end)
        pieces.append(text[:end].rstrip())
        text = text[end:].lstrip()
    return pieces


def _word_boundary(text: str, end: int) -> int:
    """Where to cut ``text`` at or before ``end``: ``end`` itself if between words."""
    if text[end].isspace():
        return end
    line = text.rfind("\n", 0, end)
    if line > end // 2:
        return line
    space = max((i for i in range(end - 1, 0, -1) if text[i].isspace()), default=0)
    return space or end
