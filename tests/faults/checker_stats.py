"""What the fault checker ran, printed at the end of the session (tests/faults/conftest.py)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Stats:
    """Examples, cases (steps of examples), and which faults met which actions."""

    profile: str = ""
    examples: int = 0
    cases: int = 0
    finish_actions: int = 0
    seconds: float = 0.0
    # (kind, respondent action) -> steps; an SDX kind counts only when its fault fired.
    covered: Counter[tuple[str, str]] = field(default_factory=Counter)
    # (kind, the SDX request it hit) -> requests.
    fired: Counter[tuple[str, str]] = field(default_factory=Counter)
    # Steps whose fault had nothing to act on (no matching SDX request, a
    # hang-up race on an answer that is not the last): run as plain steps.
    idle: Counter[str] = field(default_factory=Counter)
    # Programs after which the respondent had taken the survey twice (a new
    # interaction created on a call back after the last answer's fate was unknown).
    surveyed_again: list[str] = field(default_factory=list)

    def report(self) -> list[str]:
        lines = [
            f"fault checker ({self.profile} profile): {self.examples} examples, "
            f"{self.cases} cases (example x step), {self.finish_actions} finishing "
            f"actions, {self.seconds:.1f} s"
        ]
        actions = sorted({action for _, action in self.covered})
        lines.append("cases by fault kind (rows) x respondent action (columns):")
        lines.append(" " * 28 + " ".join(f"{a:>9}" for a in actions))
        for kind in sorted({kind for kind, _ in self.covered}):
            row = [str(self.covered[(kind, action)] or ".") for action in actions]
            lines.append(f"  {kind:<26}" + " ".join(f"{cell:>9}" for cell in row))
        lines.append("SDX faults fired, by kind and request:")
        lines.extend(f"  {k} on {e}: {n}" for (k, e), n in sorted(self.fired.items()))
        idle = ", ".join(f"{k}: {n}" for k, n in sorted(self.idle.items()))
        lines.append(f"steps whose fault found nothing to act on: {idle or 'none'}")
        twice = len(self.surveyed_again)
        lines.append(f"examples where the respondent took the survey twice: {twice}")
        lines.extend(f"  {program}" for program in self.surveyed_again[:5])
        return lines


STATS = Stats()
