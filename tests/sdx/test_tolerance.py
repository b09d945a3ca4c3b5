"""The client against an SDX that does what its documents never promised.

Conservative in what it sends (booleans as 1/0), liberal in what it reads
(a row it cannot read, a capped ``_limit``, a list as a PHP object, a 3xx
from a survey step, a 409 from ``start_survey`` once the survey is over).
Against the SDX sandbox over HTTP, or a small real server where the
sandbox has no such behaviour.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.sdx import Fault, SandboxState
from gateway.sdx import SdxClient, ambiguous
from gateway.sdx.errors import SdxRedirect
from gateway.sdx.transport import FORM_CONTENT_TYPE, encode_params, form_body
from tests.helpers.ledger import START, SUBMIT, answers, count
from tests.sdx.test_ambiguous import first_question
from tests.sdx.test_client_errors import started_interaction

INTERACTIONS = "/interactions"
VALID = {501: "9", 502: "3", 503: "yes", 504: "fine"}  # survey 52's questions


def test_booleans_are_sent_as_one_and_zero() -> None:
    """Laravel's boolean rule rejects "true"/"false"; PHP reads "false" as true."""
    assert encode_params({"started": False, "completed": True, "x": None, "n": 5}) == {
        "started": "0",
        "completed": "1",
        "n": "5",
    }


async def test_a_boolean_filter_reaches_sdx_as_zero(sdx: SdxClient, sandbox: SandboxState) -> None:
    found = [i async for i in sdx.iter_interactions(52, started=False, include_data=True)]
    assert found
    assert all(sandbox.store.interaction(i.id).started_at is None for i in found)
    listing = [r for r in sandbox.requests if r.path == INTERACTIONS]
    assert listing[0].query["started"] == "0"
    assert listing[0].query["_include_data"] == "1"


def _skipped(endpoint: str, model: str) -> float:
    value = REGISTRY.get_sample_value(
        "gateway_sdx_rows_skipped_total", {"endpoint": endpoint, "model": model}
    )
    return value or 0.0


async def test_one_unreadable_row_is_skipped_not_the_page(
    sdx: SdxClient, sandbox: SandboxState
) -> None:
    rows = [
        {"id": "1001", "survey_id": "52", "phone_number": "+61400000001"},
        {"id": "not a number", "survey_id": "52"},
        {"id": 1003, "survey_id": 52, "phone_number": "+61400000003"},
    ]
    sandbox.faults.add(
        Fault(method="GET", path=INTERACTIONS, status=200, body=json.dumps(rows), times=1)
    )
    before = _skipped(INTERACTIONS, "Interaction")
    with capture_logs() as logs:
        found = await sdx.list_interactions(52, limit=10)
    assert [i.id for i in found] == [1001, 1003]
    assert _skipped(INTERACTIONS, "Interaction") == before + 1
    skipped = [entry for entry in logs if entry["event"] == "sdx_row_skipped"]
    assert len(skipped) == 1
    assert skipped[0]["log_level"] == "warning"
    assert skipped[0]["position"] == 1
    assert skipped[0]["problems"] == ["id: int_parsing"]
    assert "not a number" not in str(logs)  # field names and error kinds, never values


async def test_a_list_sent_as_a_php_object_is_read_in_order(
    sdx: SdxClient, sandbox: SandboxState
) -> None:
    rows = {"2": {"id": 1003, "survey_id": 52}, "0": {"id": 1001, "survey_id": 52}}
    sandbox.faults.add(
        Fault(method="GET", path=INTERACTIONS, status=200, body=json.dumps(rows), times=1)
    )
    assert [i.id for i in await sdx.list_interactions(52)] == [1001, 1003]


class CappedSurveys:
    """A real HTTP server whose ``_limit`` is capped at ``cap``, as a PHP API may be."""

    def __init__(self, total: int, cap: int) -> None:
        self.total = total
        self.cap = cap
        self.pages: list[tuple[int, int]] = []  # (offset, rows served)

    async def surveys(self, request: web.Request) -> web.Response:
        limit = min(int(request.query.get("_limit", "10")), self.cap)
        offset = int(request.query.get("_offset", "0"))
        ids = list(range(1, self.total + 1))[offset : offset + limit]
        self.pages.append((offset, len(ids)))
        return web.json_response([{"id": i, "name": f"S{i}"} for i in ids])


@pytest.mark.parametrize(("total", "cap"), [(250, 100), (200, 100), (7, 3), (5, 1000)])
async def test_listings_page_past_a_capped_limit(
    aiohttp_server: Any, make_client: Callable[..., SdxClient], total: int, cap: int
) -> None:
    capped = CappedSurveys(total, cap)
    app = web.Application()
    app.router.add_get("/api/surveys", capped.surveys)
    server: TestServer = await aiohttp_server(app)
    client = make_client()
    client._t._base_url = str(server.make_url("/api"))  # the same client, another SDX

    assert [s.id async for s in client.iter_surveys()] == list(range(1, total + 1))
    # Ends at an empty page or one shorter than the largest seen.
    last = capped.pages[-1][1]
    assert last == 0 or last < max(rows for _, rows in capped.pages)

    # The page size SDX really serves is remembered: a second listing ends
    # at its first short page, without the request that learnt it.
    capped.pages.clear()
    assert [s.id async for s in client.iter_surveys()] == list(range(1, total + 1))
    served = min(cap, total)
    expected = -(-total // served) + (1 if total % served == 0 else 0)
    assert len(capped.pages) == expected


async def _not_started(sdx: SdxClient) -> int:
    items = [
        i
        async for i in sdx.iter_interactions(52, survey_type="inbound", started=False)
        if i.phone_number == DEMO_RESPONDENT
    ]
    return items[0].id


def _redirect_to_start(interaction_id: int) -> Fault:
    location = f"/api/interactions/{interaction_id}/start_survey"
    return Fault(method="POST", path=SUBMIT, status=302, headers={"Location": location}, times=1)


async def test_an_answer_redirected_to_start_starts_and_is_sent_once(
    sdx: SdxClient, sandbox: SandboxState
) -> None:
    """The reference: submit_response before start_survey "redirects" to it.
    SDX did not take the answer; the survey opens on the question the caller
    answered, so the answer goes once to it."""
    interaction_id = await _not_started(sdx)
    probe = await started_interaction(sdx)  # same survey: learn its first question
    asked = await first_question(sdx, probe)
    sandbox.faults.add(_redirect_to_start(interaction_id))
    turn = await ambiguous.submit_answer(sdx, interaction_id, asked, "9")
    assert turn.current_question is not None
    assert turn.current_question.id != asked
    assert answers(sandbox, interaction_id) == ["9"]
    assert count(sandbox, SUBMIT) == 2  # the redirected one, then the real one


async def test_a_redirected_answer_to_another_question_is_not_sent(
    sdx: SdxClient, sandbox: SandboxState
) -> None:
    interaction_id = await _not_started(sdx)
    sandbox.faults.add(_redirect_to_start(interaction_id))
    turn = await ambiguous.submit_answer(sdx, interaction_id, 999_999, "9")
    assert turn.current_question is not None  # they hear where the survey opens
    assert answers(sandbox, interaction_id) == []
    assert count(sandbox, SUBMIT) == 1


async def test_a_redirect_elsewhere_is_not_followed(sdx: SdxClient, sandbox: SandboxState) -> None:
    interaction_id = await started_interaction(sdx)
    asked = await first_question(sdx, interaction_id)
    moved = Fault(
        method="POST", path=SUBMIT, status=301, headers={"Location": "https://elsewhere/"}
    )
    sandbox.faults.add(moved)
    starts = count(sandbox, START)
    with pytest.raises(SdxRedirect):
        await ambiguous.submit_answer(sdx, interaction_id, asked, "9")
    assert count(sandbox, START) == starts
    assert answers(sandbox, interaction_id) == []


async def test_abandon_redirected_to_start_ends_nothing(
    sdx: SdxClient, sandbox: SandboxState
) -> None:
    interaction_id = await _not_started(sdx)
    location = f"/api/interactions/{interaction_id}/start_survey"
    sandbox.faults.add(
        Fault(
            method="POST",
            path=r"/interactions/\d+/abandon_survey",
            status=303,
            headers={"Location": location},
            times=1,
        )
    )
    turn = await ambiguous.abandon(sdx, interaction_id)
    assert turn.completed
    assert count(sandbox, START) == 0  # never started just to be abandoned
    assert sandbox.store.interactions[interaction_id].started_at is None


async def test_a_409_while_settling_the_last_answer_means_recorded(
    make_client: Callable[..., SdxClient], sandbox: SandboxState
) -> None:
    """The last answer lands, the reply is lost, and this SDX answers
    start_survey on a completed survey with 409: the survey is over, the
    answer recorded once, the caller hears the end (not the apology)."""
    sdx = make_client(timeout=0.3)
    interaction_id = await started_interaction(sdx)
    last = sandbox.store.questions_for(52)[-1].id
    turn = await sdx.start_survey(interaction_id)
    while turn.current_question is not None and turn.current_question.id != last:
        turn = await sdx.submit_response(interaction_id, VALID[turn.current_question.id])
    assert turn.current_question is not None
    sandbox.faults.add(Fault(method="POST", path=SUBMIT, status=502, after=True, times=1))
    sandbox.faults.add(Fault(method="POST", path=START, status=409, body="Survey completed"))
    ended = await ambiguous.submit_answer(sdx, interaction_id, last, "fine")
    assert ended.completed
    assert answers(sandbox, interaction_id)[-1] == "fine"
    assert len(answers(sandbox, interaction_id)) == len(sandbox.store.questions_for(52))
    assert count(sandbox, SUBMIT) == len(sandbox.store.questions_for(52))


_FORM_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@settings(derandomize=True, max_examples=200, deadline=None)
@given(
    # a field's name: what SDX's fields are called (aiohttp refuses control characters)
    data=st.dictionaries(st.from_regex(r"[a-z_]{1,12}", fullmatch=True), _FORM_TEXT, max_size=4)
)
def test_a_form_is_sent_as_aiohttp_would_send_the_dict(data: dict[str, str]) -> None:
    # The transport writes the body itself instead of handing aiohttp a dict:
    # the same bytes and content type.
    payload = aiohttp.FormData(data)()
    assert form_body(data) == payload._value
    assert payload.content_type == FORM_CONTENT_TYPE
