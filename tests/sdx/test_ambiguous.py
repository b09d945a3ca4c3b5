"""After an ambiguous outcome, SDX is asked where things stand: each change lands once.

Against the SDX sandbox over HTTP; faults with ``after=True`` apply the
request and then fail the answer ("applied, reply lost").
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gateway.sandbox.sdx import Fault, SandboxState
from gateway.sdx import SdxClient, ambiguous
from gateway.sdx.errors import (
    SdxServerError,
    SdxTimeout,
    maybe_applied,
    maybe_in_flight,
    refused,
)
from tests.faults.conftest import settle
from tests.helpers.ledger import ABANDON, START, SUBMIT, answers, count, data
from tests.sdx.test_client_errors import started_interaction

Q1 = 1  # a question id: where SDX refuses (409) it never looks at it


async def first_question(sdx: SdxClient, interaction_id: int) -> int:
    turn = await sdx.start_survey(interaction_id)
    assert turn.current_question is not None
    return turn.current_question.id


@pytest.mark.parametrize(
    "fault",
    [
        Fault(status=500, after=True),
        Fault(status=502, after=True),
        Fault(status=503, after=True, headers={"Retry-After": "1"}),
        Fault(status=504, after=True),
        Fault(delay=0.6, after=True),  # applied, then the reply is too late
    ],
    ids=["500", "502", "503-retry-after", "504", "late-reply"],
)
async def test_an_applied_answer_is_found_and_not_resent(
    make_client: Callable[..., SdxClient], sandbox: SandboxState, fault: Fault
) -> None:
    sdx = make_client(timeout=0.3)
    interaction_id = await started_interaction(sdx)
    asked = await first_question(sdx, interaction_id)
    sandbox.faults.add(Fault(**{**fault.as_json(), "method": "POST", "path": SUBMIT, "times": 1}))
    turn = await ambiguous.submit_answer(sdx, interaction_id, asked, "9")
    assert turn.current_question is not None
    assert turn.current_question.id != asked  # where SDX now stands: the next question
    assert answers(sandbox, interaction_id) == ["9"]
    assert count(sandbox, SUBMIT) == 1


@pytest.mark.parametrize("status", [500, 503])
async def test_an_answer_sdx_failed_before_recording_is_sent_once_more(
    sdx: SdxClient, sandbox: SandboxState, status: int
) -> None:
    """SDX answered the 5xx itself, so its work on the request is over: still on
    the same question means not recorded, and one resend is safe."""
    interaction_id = await started_interaction(sdx)
    asked = await first_question(sdx, interaction_id)
    sandbox.faults.add(Fault(method="POST", path=SUBMIT, status=status, times=1))
    turn = await ambiguous.submit_answer(sdx, interaction_id, asked, "9")
    assert turn.current_question is not None
    assert turn.current_question.id != asked
    assert answers(sandbox, interaction_id) == ["9"]
    assert count(sandbox, SUBMIT) == 2


async def test_an_answer_still_on_its_way_is_watched_for_and_not_resent(
    make_client: Callable[..., SdxClient], sandbox: SandboxState
) -> None:
    """A timeout while SDX is still working: resending could record it twice.

    SDX is still on the question when first asked; the gateway keeps asking
    for a while and sees the late request land: the next question, once.
    """
    sdx = make_client(timeout=0.3)
    interaction_id = await started_interaction(sdx)
    asked = await first_question(sdx, interaction_id)
    sandbox.faults.add(Fault(method="POST", path=SUBMIT, delay=0.6, times=1))
    turn = await ambiguous.submit_answer(sdx, interaction_id, asked, "9")
    assert turn.current_question is not None
    assert turn.current_question.id != asked
    assert answers(sandbox, interaction_id) == ["9"]
    assert count(sandbox, SUBMIT) == 1


async def test_an_answer_landing_after_the_watch_is_not_resent_either(
    make_client: Callable[..., SdxClient], sandbox: SandboxState
) -> None:
    """Landing later than the watch: the gateway gives up (the caller hears the
    apology) without resending; the answer lands once, on its question."""
    sdx = make_client(timeout=0.3)
    interaction_id = await started_interaction(sdx)
    asked = await first_question(sdx, interaction_id)
    sandbox.faults.add(Fault(method="POST", path=SUBMIT, delay=1.5, times=1))
    with pytest.raises(SdxTimeout):
        await ambiguous.submit_answer(sdx, interaction_id, asked, "9")
    assert answers(sandbox, interaction_id) == []
    await settle(sandbox)
    assert answers(sandbox, interaction_id) == ["9"]
    assert count(sandbox, SUBMIT) == 1
    assert count(sandbox, START) > 3  # started, first question, then the watch


async def test_a_refused_answer_is_not_followed_by_a_question(
    sdx: SdxClient, sandbox: SandboxState
) -> None:
    """A 4xx is a definite answer: nothing to settle."""
    interaction_id = await started_interaction(sdx)
    await sdx.abandon_survey(interaction_id)
    starts = count(sandbox, START)
    with pytest.raises(Exception, match="409"):
        await ambiguous.submit_answer(sdx, interaction_id, Q1, "9")
    assert count(sandbox, START) == starts


@pytest.mark.parametrize("after", [True, False], ids=["applied", "not-applied"])
async def test_abandon_lands_once(sdx: SdxClient, sandbox: SandboxState, after: bool) -> None:
    interaction_id = await started_interaction(sdx)
    sandbox.faults.add(Fault(method="POST", path=ABANDON, status=500, after=after, times=1))
    await ambiguous.abandon(sdx, interaction_id)
    assert sandbox.store.interaction(interaction_id).completed
    assert count(sandbox, ABANDON) == (1 if after else 2)


async def test_abandon_that_may_be_in_flight_is_raised(
    sdx: SdxClient, sandbox: SandboxState
) -> None:
    interaction_id = await started_interaction(sdx)
    sandbox.faults.add(Fault(method="POST", path=ABANDON, status=504, times=1))
    with pytest.raises(SdxServerError):
        await ambiguous.abandon(sdx, interaction_id)
    assert count(sandbox, ABANDON) == 1
    assert not sandbox.store.interaction(interaction_id).completed


@pytest.mark.parametrize("after", [True, False], ids=["applied", "not-applied"])
async def test_a_data_write_lands_once(sdx: SdxClient, sandbox: SandboxState, after: bool) -> None:
    sandbox.faults.add(
        Fault(method="POST", path="/interaction_data", status=500, after=after, times=1)
    )
    await ambiguous.write_data(sdx, 1002, "gateway_attempts", "1")
    assert data(sandbox, 1002)["gateway_attempts"] == "1"
    stored = [d for d in sandbox.store.data_for(1002) if d.custom_key == "gateway_attempts"]
    assert len(stored) == 1
    assert count(sandbox, "/interaction_data", "POST") == (1 if after else 2)


@pytest.mark.parametrize("status", [500, 502])
async def test_a_create_whose_reply_was_lost_is_found_by_its_ref(
    sdx: SdxClient, sandbox: SandboxState, status: int
) -> None:
    sandbox.faults.add(
        Fault(method="POST", path="/interactions", status=status, after=True, times=1)
    )
    created = await ambiguous.create_interaction(
        sdx, 52, survey_type="inbound", phone_number="+61400000777", external_ref="CA-lost"
    )
    mine = [i for i in sandbox.store.live_interactions() if i.external_ref == "CA-lost"]
    assert [i.id for i in mine] == [created.id]
    assert count(sandbox, "/interactions", "POST") == 1


async def test_a_create_sdx_failed_is_sent_once_more(sdx: SdxClient, sandbox: SandboxState) -> None:
    sandbox.faults.add(Fault(method="POST", path="/interactions", status=500, times=1))
    created = await ambiguous.create_interaction(
        sdx, 52, survey_type="inbound", phone_number="+61400000778", external_ref="CA-again"
    )
    mine = [i for i in sandbox.store.live_interactions() if i.external_ref == "CA-again"]
    assert [i.id for i in mine] == [created.id]
    assert count(sandbox, "/interactions", "POST") == 2


def test_outcomes_are_classified_once() -> None:
    from gateway.sdx.errors import (
        SdxBadRequest,
        SdxConnectionError,
        SdxRateLimited,
        SdxServerError,
        SdxUnavailable,
    )

    never_left = SdxConnectionError("POST", "/x", sent=False)
    lost = SdxConnectionError("POST", "/x", sent=True)
    assert refused(never_left)
    assert refused(SdxRateLimited("POST", "/x"))
    assert not maybe_applied(never_left)
    assert not maybe_applied(SdxBadRequest("POST", "/x"))
    for exc in [lost, SdxTimeout("POST", "/x"), SdxServerError("POST", "/x", 500)]:
        assert maybe_applied(exc)
    assert maybe_applied(SdxUnavailable("POST", "/x", retry_after=1.0))
    # Still on its way: a proxy's 502/504, a timeout, a lost connection.
    assert maybe_in_flight(SdxServerError("POST", "/x", 504))
    assert maybe_in_flight(lost)
    assert maybe_in_flight(SdxTimeout("POST", "/x"))
    assert not maybe_in_flight(SdxServerError("POST", "/x", 500))
    assert not maybe_in_flight(SdxUnavailable("POST", "/x"))
