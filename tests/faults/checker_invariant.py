"""The fault checker's invariant, read from the SDX ledger alone.

"Exactly once", as the respondent sees it: every response SDX recorded is on
the question it answers (the respondent's answer to question k carries
question k's id), no question has two responses, nothing is lost: the
survey completed with every question answered, and no interaction of the
respondent was left open or abandoned.

A respondent may have more than one interaction: with GATEWAY_INBOUND_CREATE
a caller told "sorry, call back" after SDX did take their last answer (the
gateway could not find out) gets a new interaction when they call back, and
takes the survey again. SDX refuses a second *pending* interaction for a
number (409), so a repeated create cannot leave two open at once; each one
must hold up on its own.

Pure functions of plain data, so that they can be tested on hand-made bad
ledgers (tests/faults/test_checker.py) as well as run on the sandbox's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Recorded:
    """One response as SDX holds it."""

    question_id: int
    response: str


@dataclass(frozen=True)
class Ledger:
    """One interaction of the respondent as SDX holds it at the end of an example."""

    interaction_id: int
    responses: Sequence[Recorded]  # in recording order
    completed: bool  # the interaction ended...
    survey_ended: bool  # ...with every question answered (not abandoned)


def violations(ledgers: Sequence[Ledger], expected: Mapping[int, str]) -> list[str]:
    """Every way the respondent's interactions break the invariant; [] when it holds.

    ``expected``: question id -> the response SDX records for the
    respondent's answer to that question, in asking order.
    """
    if not ledgers:
        return ["no interaction for the respondent"]
    found: list[str] = []
    for ledger in ledgers:
        found.extend(f"interaction {ledger.interaction_id}: {v}" for v in _wrong(ledger, expected))
    return found


def _wrong(ledger: Ledger, expected: Mapping[int, str]) -> list[str]:
    found: list[str] = []
    whose = {value: qid for qid, value in expected.items()}
    for record in ledger.responses:
        want = expected.get(record.question_id)
        if want is None:
            found.append(f"a response on question {record.question_id}, not in the survey")
        elif record.response != want:
            meant = whose.get(record.response)
            origin = (
                f"the answer to question {meant}"
                if meant is not None
                else "not what the respondent gave for it"
            )
            found.append(
                f"question {record.question_id} holds {record.response!r} ({origin}), not {want!r}"
            )
    counts = Counter(record.question_id for record in ledger.responses)
    found.extend(f"question {qid} has {n} responses" for qid, n in sorted(counts.items()) if n > 1)
    missing = [qid for qid in expected if qid not in counts]
    if missing:
        found.append(f"no response to question(s) {missing}")
    if not ledger.completed:
        found.append("the survey is still open (it never completed)")
    elif not ledger.survey_ended:
        found.append("the survey was abandoned, not completed")
    return found
