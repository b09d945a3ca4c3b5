"""Signatures of the violations the checker found that the gateway still has.

By default they fail like any other violation. ``FAULTS_KNOWN=tolerate``
(to explore with the long profile past them) counts an example whose
violations all match one of these signatures instead of failing it, so
that hypothesis goes on looking for new ones. The minimal programs are in
tests/faults/test_checker.py (``FOUND``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from tests.faults.checker_model import Program

TOLERATE = os.environ.get("FAULTS_KNOWN", "") == "tolerate"

_MISPLACED = ("holds", "has 2 responses", "no response to question")
_LOST_LAST = ("no response to question", "abandoned, not completed")


def known(program: Program, found: Sequence[str]) -> str | None:
    """The known bug that explains every violation in ``found``, if one does."""
    if not found:
        return None
    kinds = {step.kind for step in program.steps}
    if "slow" in kinds and all(any(s in v for s in _MISPLACED) for v in found):
        return "late-answer-lands-on-the-next-question"
    if "hang-up-first" in kinds and all(any(s in v for s in _LOST_LAST) for v in found):
        return "hang-up-overtaking-the-last-answer-loses-it"
    return None
