"""The fault checker: generated programs of faults against real calls and texts.

Hypothesis generates a *program* (tests/faults/checker_model.py): a channel,
a respondent and a list of steps, each with one fault in force (SDX applying
then failing, refusing, slow or dropping the connection; Redis down, flushed
or failing mid-step; a webhook delivered twice; the hang-up racing the last
answer). Each example runs on its own event loop with a fresh SDX sandbox,
a fresh gateway and the test's private redis-server flushed
(tests/faults/checker_world.py); the respondent follows the survey's script
as a person would. At the end, faults cleared, the respondent finishes and
the SDX ledger must hold every answer once, on its own question, and the
survey completed (tests/faults/checker_invariant.py).

Profiles (FAULTS_PROFILE): "default" runs in ``make test``; "long" (``make
faults``) runs many more examples and shrinks a failure to a minimal
program. Both are derandomized: the same programs on every run. The number
of examples and cases run is printed at the end of the session.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings

from tests.faults.checker_invariant import Ledger, Recorded, violations
from tests.faults.checker_matrix import case_id, matrix
from tests.faults.checker_model import Program, Step, programs
from tests.faults.checker_stats import STATS
from tests.faults.checker_world import finish, ledgers, run_program, world
from tests.helpers.servers import RedisServer

PROFILE = os.environ.get("FAULTS_PROFILE", "default")
# generated examples, steps per program at most, the whole matrix or a rotation,
# seconds the generated examples may take
PROFILES = {"default": (20, 6, False, 170), "long": (250, 8, True, 1800)}
EXAMPLES, MAX_STEPS, FULL_MATRIX, TIMEOUT = PROFILES[PROFILE]
STATS.profile = PROFILE

CHECKER = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    # Shrinking reruns examples that each take a second or more: only in the
    # long profile, which has the time; the default one prints the program
    # that failed as generated.
    phases=(Phase.explicit, Phase.generate, *((Phase.shrink,) if FULL_MATRIX else ())),
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def checker_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A redis-server the checker may stop and start; flushed for every example."""
    server = RedisServer(tmp_path_factory.mktemp("checker-redis"))
    server.start()
    yield server
    server.stop()


def check(program: Program, redis: RedisServer, *, generated: bool = False) -> None:
    started = time.monotonic()
    try:
        found, trace = asyncio.run(run_program(program, redis))
    finally:
        STATS.seconds += time.monotonic() - started
    if generated:  # hypothesis prints notes with the failing example
        for line in trace:
            note(line)
    assert found == [], "\n".join([f"{program!r}", *found, *trace])


@pytest.mark.parametrize("program", matrix(FULL_MATRIX), ids=case_id)
def test_each_fault_alone(checker_redis: RedisServer, program: Program) -> None:
    check(program, checker_redis)


# The minimal programs of the violations the checker found, fixed since:
# kept so that each one runs on its own, every time.
FOUND = [
    pytest.param(
        Program("voice", steps=(Step(), Step("slow"))),
        id="voice-late-answer-lands-on-the-next-question",
    ),
    pytest.param(
        Program("sms", steps=(Step(), Step("slow"))),
        id="sms-late-answer-lands-on-the-next-question",
    ),
    pytest.param(
        Program("voice", steps=(*(Step(),) * 4, Step("hang-up-first"))),
        id="voice-hang-up-overtaking-the-last-answer-loses-it",
    ),
]


@pytest.mark.parametrize("program", FOUND)
def test_violation_found_by_the_checker(checker_redis: RedisServer, program: Program) -> None:
    """Regressions of the violations the checker found.

    late-answer: an answer SDX is slow to apply (it landed after the gateway
    gave up waiting, and after the gateway asked SDX and found it still on
    the question) was followed by the respondent giving it again; the repeat
    was recorded, then the late one landed on the next question. Fixed by
    ``gateway.sdx.ambiguous`` watching for it before giving up.

    hang-up-overtaking: the status callback of a caller who hangs up right
    after their last answer reached the gateway before that answer's Gather
    action; the hang-up claimed the turn and abandoned the survey, and the
    answer that followed was dropped. Fixed by the hang-up's grace
    (``gateway.voice.ending``).
    """
    check(program, checker_redis)


@pytest.mark.timeout(TIMEOUT)
@given(program=programs(MAX_STEPS))
@CHECKER
def test_every_answer_lands_once_on_its_question(
    checker_redis: RedisServer, program: Program
) -> None:
    check(program, checker_redis, generated=True)


# --- the invariant itself: on the real ledger, and on hand-made ones ------------


@pytest.mark.parametrize("channel", ["voice", "sms"])
def test_a_wrong_answer_in_the_real_ledger_is_caught(
    checker_redis: RedisServer, channel: str
) -> None:
    """End to end: a clean survey passes; then one recorded answer is moved to
    the next question, as the bugs the checker looks for would, and it fails."""

    async def run() -> tuple[list[str], list[str]]:
        async with world(Program(channel, steps=(Step(),)), checker_redis) as w:
            await finish(w)
            clean = violations(ledgers(w), w.expected)
            store = w.sandbox.store
            first, second = store.responses_for(ledgers(w)[0].interaction_id)[:2]
            store.responses[second.id] = second.model_copy(update={"response": first.response})
            return clean, violations(ledgers(w), w.expected)

    clean, tampered = asyncio.run(run())
    assert clean == []
    interaction = 1001 if channel == "voice" else 1003
    q1, q2 = (501, 502) if channel == "voice" else (509, 510)
    assert tampered == [
        f"interaction {interaction}: question {q2} holds '3' (the answer to question {q1}), not '2'"
    ]


EXPECTED = {501: "3", 502: "2", 503: "Yes", 504: "Thanks"}
GOOD = [Recorded(501, "3"), Recorded(502, "2"), Recorded(503, "Yes"), Recorded(504, "Thanks")]


def done(responses: list[Recorded], interaction: int = 1001) -> Ledger:
    return Ledger(interaction, responses, completed=True, survey_ended=True)


def test_the_invariant_holds_for_a_clean_ledger() -> None:
    assert violations([done(GOOD)], EXPECTED) == []


def test_an_answer_recorded_on_the_next_question_is_a_violation() -> None:
    shifted = [Recorded(501, "3"), Recorded(502, "3"), Recorded(503, "No"), Recorded(504, "Yes")]
    assert violations([done(shifted)], EXPECTED) == [
        "interaction 1001: question 502 holds '3' (the answer to question 501), not '2'",
        "interaction 1001: question 503 holds 'No' (not what the respondent gave for it), "
        "not 'Yes'",
        "interaction 1001: question 504 holds 'Yes' (the answer to question 503), not 'Thanks'",
    ]


def test_two_responses_to_one_question_are_a_violation() -> None:
    doubled = [*GOOD[:2], Recorded(502, "2"), *GOOD[2:]]
    assert violations([done(doubled)], EXPECTED) == [
        "interaction 1001: question 502 has 2 responses"
    ]


def test_a_lost_answer_and_an_open_survey_are_violations() -> None:
    open_one = Ledger(1001, GOOD[:3], completed=False, survey_ended=False)
    assert violations([open_one], EXPECTED) == [
        "interaction 1001: no response to question(s) [504]",
        "interaction 1001: the survey is still open (it never completed)",
    ]


def test_an_abandoned_survey_is_a_violation_even_beside_a_completed_one() -> None:
    abandoned = Ledger(1007, GOOD[:1], completed=True, survey_ended=False)
    assert violations([abandoned, done(GOOD, 1008)], EXPECTED) == [
        "interaction 1007: no response to question(s) [502, 503, 504]",
        "interaction 1007: the survey was abandoned, not completed",
    ]


def test_no_interaction_at_all_is_a_violation() -> None:
    assert violations([], EXPECTED) == ["no interaction for the respondent"]


def test_a_survey_taken_twice_each_time_whole_is_no_violation() -> None:
    assert violations([done(GOOD, 1007), done(GOOD, 1008)], EXPECTED) == []
