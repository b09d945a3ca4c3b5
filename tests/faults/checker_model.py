"""The fault checker's programs: what goes wrong at each step of a survey.

A *program* is a channel (a voice call or an SMS conversation), a respondent
(the seeded one, or a new one the gateway creates an interaction for) and a
list of steps. At each step the respondent takes their next action (starts
a call, answers the question they hear, texts) while one fault is in force:

* an SDX fault on the step's SDX request (``target``): applied then a
  5xx / a lost reply / a dropped connection, refused before applying, slow
  so that the request lands after the gateway gave up;
* Redis stopped for the step (started again afterwards, empty), stopped or
  flushed while the step's SDX request is at SDX, or flushed before it;
* the webhook delivered twice (one after the other, or both at once);
* the hang-up status callback racing the last answer (voice).

``pause``: what the respondent does before their next action: act at once
(""), think for a moment ("think": a slow request may land during the
next steps, as it would while a person dials or types), or wait until SDX
has finished with every request ("settle": a person calling back later).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import strategies as st

from gateway.sandbox.sdx import Fault
from tests.faults.conftest import SDX_TIMEOUT, SLOW

# Past the SDX timeout, so the gateway gives up on the attempt.
LATE = SLOW
# The reply of a request held at SDX while Redis fails under it: well
# inside the SDX timeout, so only Redis fails.
HELD = SDX_TIMEOUT / 3
# A respondent's moment of thought before acting (the test's time scale):
# longer than a slow request's lag behind the gateway (LATE - SDX_TIMEOUT),
# so such a request lands while the respondent thinks, before their next
# answer, as it would while a person dials back or types.
THINK = LATE - SDX_TIMEOUT + 0.1
PAUSES = ("", "think", "settle")


@dataclass(frozen=True)
class SdxKind:
    """A sandbox fault, made for the step's target."""

    status: int | None = None
    delay: float = 0.0
    after: bool = False
    drop: bool = False
    retry_after: str | None = None

    def fault(self, method: str | None, path: str, times: int | None) -> Fault:
        headers = {} if self.retry_after is None else {"Retry-After": self.retry_after}
        return Fault(
            method=method,
            path=path,
            status=self.status,
            delay=self.delay,
            after=self.after,
            drop=self.drop,
            headers=headers,
            times=times,
        )


# SDX misbehaving on the step's request: name -> fault.
SDX_KINDS: dict[str, SdxKind] = {
    # SDX applied the change, then the answer was an error or was lost.
    "applied-500": SdxKind(status=500, after=True),
    "applied-502": SdxKind(status=502, after=True),
    "applied-503": SdxKind(status=503, after=True),
    "applied-503-retry-after": SdxKind(status=503, after=True, retry_after="1"),
    "applied-504": SdxKind(status=504, after=True),
    "applied-timeout": SdxKind(delay=LATE, after=True),
    "applied-dropped": SdxKind(drop=True, after=True),
    # SDX (or a proxy before it) refused without applying anything.
    "refused-500": SdxKind(status=500),
    "refused-502": SdxKind(status=502),
    "refused-503": SdxKind(status=503),
    "refused-503-retry-after": SdxKind(status=503, retry_after="0"),
    "refused-429": SdxKind(status=429),
    "refused-429-retry-after": SdxKind(status=429, retry_after="0"),
    "refused-dropped": SdxKind(drop=True),
    # Slow: applied after the gateway gave up waiting.
    "slow": SdxKind(delay=LATE),
}
# Redis failing around the step.
REDIS_KINDS = ("redis-down", "redis-flushed", "redis-down-mid", "redis-flushed-mid")
# Twilio delivering the step's webhook twice (the respondent hears the second reply).
DUPLICATE_KINDS = ("duplicate-sequential", "duplicate-concurrent")
# Voice, answering the last question: the status callback races the answer.
HANG_UP_KINDS = ("hang-up-while-answering", "hang-up-first")

KINDS = ("none", *SDX_KINDS, *REDIS_KINDS, *DUPLICATE_KINDS, *HANG_UP_KINDS)

# Which SDX requests of the step an SDX fault hits:
# "first": the step's first POST (create, start_survey or submit_response);
# "two": its first two POSTs (create and start_survey, or an answer and the
#   start_survey that asks where the survey stands after it);
# "every": every request SDX gets during the step, GETs included.
TARGETS = ("first", "two", "every")
_POSTS = r"/interactions(/\d+/(start_survey|submit_response|abandon_survey))?"


def sdx_fault(kind: str, target: str) -> Fault:
    if target == "every":
        return SDX_KINDS[kind].fault(None, ".*", None)
    return SDX_KINDS[kind].fault("POST", _POSTS, 2 if target == "two" else 1)


def held_fault(path: str = _POSTS) -> Fault:
    """The step's first POST applied, its answer held back a moment (Redis fails meanwhile)."""
    return Fault(method="POST", path=path, delay=HELD, after=True, times=1)


@dataclass(frozen=True)
class Step:
    kind: str = "none"
    target: str = "first"
    pause: str = ""

    def __repr__(self) -> str:
        target = f", {self.target!r}" if self.kind in SDX_KINDS else ""
        pause = f", pause={self.pause!r}" if self.pause else ""
        return f"Step({self.kind!r}{target}{pause})"


@dataclass(frozen=True)
class Program:
    channel: str  # "voice" or "sms"
    new_respondent: bool = False  # True: the gateway creates the interaction
    steps: tuple[Step, ...] = field(default_factory=tuple)

    def __repr__(self) -> str:
        steps = ", ".join(repr(step) for step in self.steps)
        return (
            f"Program({self.channel!r}, new_respondent={self.new_respondent}, "
            f"steps=({steps}{',' if len(self.steps) == 1 else ''}))"
        )


def steps(max_steps: int) -> st.SearchStrategy[tuple[Step, ...]]:
    step = st.builds(
        Step,
        kind=st.sampled_from(KINDS),
        target=st.sampled_from(TARGETS),
        pause=st.sampled_from(PAUSES),
    )
    return st.lists(step, min_size=1, max_size=max_steps).map(tuple)


def programs(max_steps: int) -> st.SearchStrategy[Program]:
    return st.builds(
        Program,
        channel=st.sampled_from(["voice", "sms"]),
        new_respondent=st.booleans(),
        steps=steps(max_steps),
    )
