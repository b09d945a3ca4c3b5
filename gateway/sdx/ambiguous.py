"""Requests that change SDX, sent exactly once: after an ambiguous outcome, ask first.

The rule, for every request that changes SDX (an answer, an abandon, a
create, an interaction-data write):

1. it is sent again blindly only when it provably never reached SDX (the
   transport does that: no connection, or a 429);
2. after any other failure that SDX may have acted on (a timeout after
   sending, a 5xx with or without Retry-After, a connection lost mid-answer:
   ``maybe_applied``) the gateway asks SDX where things stand with a request
   that changes nothing, and acts on that answer:

   * the change is there: carry on as if the request had succeeded;
   * it is not there, and SDX finished with the request (it answered a 5xx
     itself): send it once more;
   * it is not there, but the request may still be on its way (a timeout,
     a lost connection, a proxy's 502/504: ``maybe_in_flight``): never send
     it again. An answer keeps asking for a while (``SETTLE_FOR`` request
     timeouts), since a slow SDX usually lands it within that; past that,
     give up with the original error. The caller keeps the survey open and
     the next turn asks again.

Callers never send these requests through ``SdxClient`` directly (a layout
test checks it); they call the functions here.
"""

from __future__ import annotations

import asyncio

from gateway.logging import get_logger
from gateway.sdx.client import SdxClient
from gateway.sdx.errors import (
    SdxConflict,
    SdxError,
    SdxGone,
    SdxRedirect,
    maybe_applied,
    maybe_in_flight,
)
from gateway.sdx.models import Interaction, SurveyTurn

log = get_logger(__name__)

# How long an answer that may still be on its way is watched for, in SDX
# request timeouts: a request SDX was slow with usually lands within that.
SETTLE_FOR = 2.0


def moved_on(turn: SurveyTurn, question_id: int) -> bool:
    """SDX is past the question ``question_id``: an answer to it was recorded
    (or the survey ended some other way)."""
    current = turn.current_question
    return turn.completed or current is None or current.id != question_id


def _settled_by_asking(first: SdxError, outcome: str) -> None:
    log.info(
        "sdx_ambiguous_settled", error=type(first).__name__, status=first.status, outcome=outcome
    )


async def submit_answer(
    sdx: SdxClient, interaction_id: int, question_id: int | None, response: str
) -> SurveyTurn:
    """Answer question ``question_id`` (the one the respondent heard), at most once.

    Returns the turn after the answer: SDX's reply, or, when the reply was
    lost but the answer recorded, where ``start_survey`` says the survey now
    stands. Raises SdxError when SDX failed and the answer is not (yet) known
    to be recorded.
    """
    try:
        return await sdx.submit_response(interaction_id, response)
    except SdxRedirect as exc:
        if not exc.to_start():
            raise
        return await _start_then_answer(sdx, interaction_id, question_id, response)
    except SdxError as exc:
        if question_id is None or not maybe_applied(exc):
            raise
        first = exc
    turn = await where_it_stands(sdx, interaction_id)
    if not moved_on(turn, question_id) and maybe_in_flight(first):
        turn = await _watch(sdx, interaction_id, question_id, SETTLE_FOR * sdx.timeout)
        if not moved_on(turn, question_id):
            raise first  # it may land later still: never sent twice
    if moved_on(turn, question_id):
        _settled_by_asking(first, "recorded")
        return turn
    _settled_by_asking(first, "resent")
    return await sdx.submit_response(interaction_id, response)


async def where_it_stands(sdx: SdxClient, interaction_id: int) -> SurveyTurn:
    """``start_survey``, which resumes and changes nothing; a 409 or 410 (an
    SDX that refuses to resume a survey that is over) reads as the end."""
    try:
        return await sdx.start_survey(interaction_id)
    except (SdxConflict, SdxGone):
        return SurveyTurn(survey_completed=True)


async def _start_then_answer(
    sdx: SdxClient, interaction_id: int, question_id: int | None, response: str
) -> SurveyTurn:
    """SDX redirected the answer to ``start_survey``: the survey is not
    started there, so nothing was recorded. Start it; if it opens on the
    question the respondent answered, send the answer (once: the redirect
    proved the first never counted); otherwise they hear where it opens."""
    log.info("sdx_answer_redirected_to_start")
    turn = await sdx.start_survey(interaction_id)
    current = turn.current_question
    if turn.completed or current is None:
        return turn
    if question_id is None or current.id != question_id:
        return turn
    return await sdx.submit_response(interaction_id, response)


async def _watch(
    sdx: SdxClient, interaction_id: int, question_id: int, seconds: float
) -> SurveyTurn:
    """Ask where the survey stands until it moved past ``question_id`` or
    ``seconds`` are over (at growing intervals); the last answer either way."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    pause = 0.1
    while True:
        await asyncio.sleep(min(pause, max(0.0, deadline - loop.time())))
        turn = await where_it_stands(sdx, interaction_id)
        if moved_on(turn, question_id) or loop.time() >= deadline:
            return turn
        pause = min(pause * 2, 1.0)


async def abandon(sdx: SdxClient, interaction_id: int) -> SurveyTurn:
    """Abandon the survey, at most once; an already ended one counts as done.

    Returns SDX's closing turn (empty when the reply was lost but the survey
    is over). Raises SdxError when it failed and the survey is still open.
    """
    try:
        return await sdx.abandon_survey(interaction_id)
    except SdxRedirect as exc:
        if not exc.to_start():
            raise
        # Never started in SDX: there is nothing to end, and starting it
        # only to abandon it would record a survey the respondent never took.
        log.info("sdx_abandon_not_started")
        return SurveyTurn(survey_completed=True)
    except SdxError as exc:
        if not maybe_applied(exc):
            raise
        first = exc
    # A GET, not start_survey: that would start a survey not started yet.
    current = await sdx.get_interaction(interaction_id)
    if current.completed_at is not None:
        _settled_by_asking(first, "ended")
        return SurveyTurn(survey_completed=True)
    if maybe_in_flight(first):
        raise first
    _settled_by_asking(first, "resent")
    return await sdx.abandon_survey(interaction_id)


async def write_data(sdx: SdxClient, interaction_id: int, key: str, value: str) -> None:
    """Set an interaction-data key, at most one write once SDX may have it."""
    try:
        await sdx.set_interaction_data(interaction_id, key, value)
        return
    except SdxError as exc:
        if not maybe_applied(exc):
            raise
        first = exc
    stored = await sdx.list_interaction_data(
        interaction_id=interaction_id, custom_key=key, _order="DESC", _limit=100
    )
    newest = max((d for d in stored if d.custom_key == key), key=lambda d: d.id, default=None)
    if newest is not None and (newest.custom_value or "") == value:
        _settled_by_asking(first, "written")
        return
    if maybe_in_flight(first):
        raise first
    _settled_by_asking(first, "resent")
    await sdx.set_interaction_data(interaction_id, key, value)


async def create_interaction(
    sdx: SdxClient, survey_id: int, *, survey_type: str, phone_number: str, external_ref: str
) -> Interaction:
    """Create an interaction, at most once: ``external_ref`` (the CallSid or
    MessageSid, unique to this request) finds it when the reply was lost."""

    async def create() -> Interaction:
        return await sdx.create_interaction(
            survey_id, survey_type=survey_type, phone_number=phone_number, external_ref=external_ref
        )

    try:
        return await create()
    except SdxError as exc:
        if not maybe_applied(exc):
            raise
        first = exc
    found = await sdx.list_interactions(survey_id, limit=10, external_ref=external_ref)
    mine = [item for item in found if item.external_ref == external_ref]
    if mine:
        _settled_by_asking(first, "created")
        return min(mine, key=lambda item: item.id)
    if maybe_in_flight(first):
        raise first
    _settled_by_asking(first, "resent")
    return await create()
