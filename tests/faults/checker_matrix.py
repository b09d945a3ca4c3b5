"""The fault checker's exhaustive part: each fault kind alone, at each action.

A matrix case is a clean survey with one fault at one of the respondent's
actions (voice: the call, then the answers to questions 1-4; SMS: the first
text, then the answers): ``none`` steps up to that action, then the fault.
The default profile runs each kind once per channel, at an action, target
and respondent that rotate from kind to kind; the long one runs them all.
"""

from __future__ import annotations

from tests.faults.checker_model import HANG_UP_KINDS, KINDS, SDX_KINDS, TARGETS, Program, Step

CHANNELS = ("voice", "sms")
POSITIONS = 5  # the call (or first text), then the answers to questions 1-4
LAST = POSITIONS - 1


def matrix(full: bool) -> list[Program]:
    cases = []
    for c, channel in enumerate(CHANNELS):
        for n, kind in enumerate(KINDS[1:]):
            if kind in HANG_UP_KINDS:
                if channel != "voice":
                    continue
                positions = [LAST]  # racing any other answer is hanging up mid-survey
            else:
                positions = list(range(POSITIONS)) if full else [(n + 2 * c) % POSITIONS]
            for position in positions:
                turn = n + c + position
                if kind not in SDX_KINDS:
                    targets = ["first"]
                else:
                    targets = list(TARGETS) if full else [TARGETS[turn % len(TARGETS)]]
                for t, target in enumerate(targets):
                    both = full and kind not in SDX_KINDS
                    news = [False, True] if both else [(turn + t) % 2 == 1]
                    steps = (Step(),) * position + (Step(kind, target),)
                    cases.extend(Program(channel, new, steps) for new in news)
    return cases


def case_id(program: Program) -> str:
    step = program.steps[-1]
    target = f"-{step.target}" if step.kind in SDX_KINDS else ""
    who = "new" if program.new_respondent else "seeded"
    return f"{program.channel}-{step.kind}{target}-at{len(program.steps) - 1}-{who}"
