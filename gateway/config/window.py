"""The call window setting: local-time hours in which respondents may be called."""

from __future__ import annotations

import re
from datetime import time

_WINDOW = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")


class CallWindow:
    """Local-time window in which outbound calls may be placed, e.g. 09:00-20:00."""

    def __init__(self, start: time, end: time, *, all_day: bool = False) -> None:
        self.start = start
        self.end = end
        self.all_day = all_day

    @classmethod
    def parse(cls, text: str) -> CallWindow:
        match = _WINDOW.fullmatch(text)
        if not match:
            raise ValueError("expected HH:MM-HH:MM, e.g. 09:00-20:00")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if (h1, m1, h2, m2) == (0, 0, 24, 0):
            return cls(time(0, 0), time(0, 0), all_day=True)  # 00:00-24:00: any time
        try:
            start, end = time(h1, m1), time(h2, m2)
        except ValueError as exc:
            raise ValueError(f"not a time of day: {exc}") from None
        if start == end:
            raise ValueError("start and end are equal, so no call could ever be placed")
        return cls(start, end)

    def contains(self, moment: time) -> bool:
        if self.all_day:
            return True
        # A window may wrap past midnight (e.g. 18:00-02:00).
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def __str__(self) -> str:
        return "00:00-24:00" if self.all_day else f"{self.start:%H:%M}-{self.end:%H:%M}"

    def __repr__(self) -> str:
        return f"CallWindow({self})"
