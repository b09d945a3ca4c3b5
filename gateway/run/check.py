"""One line of ``gateway doctor``: a check's name, its verdict, and the fix for a failure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Level = Literal["ok", "warn", "FAIL"]


@dataclass(frozen=True)
class Check:
    name: str
    level: Level
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"{self.level:<4}  {self.name}: {self.detail}"
        return f"{text}\n      fix: {self.fix}" if self.fix else text
