"""Listing a survey's interactions from kept id lists: same answers, any size.

The sandbox keeps, per survey and state filters, the matching ids in id
order and updates them as interactions change (gateway.sandbox.sdx.indexes).
These tests hold the answers to what a scan of every interaction gives
(the oracle below), through changes made between pages.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest

from gateway.sandbox.sdx import SandboxState
from gateway.sandbox.sdx.models import Interaction
from tests.sandbox.conftest import OUTBOUND_SURVEY, SMS_SURVEY, Client, body_of

STATE_FILTERS = ("started", "completed", "survey_ended")


def expected_ids(state: SandboxState, survey_id: int, params: dict[str, str]) -> list[int]:
    """What SDX's documented semantics give, by scanning every interaction."""

    def keep(i: Interaction) -> bool:
        if i.survey_id != survey_id:
            return False
        for name in ("survey_type", "external_ref", "agent_id"):
            if name in params and getattr(i, name) != params[name]:
                return False
        return all(
            name not in params or getattr(i, name) == (params[name] == "1")
            for name in ("started", "completed", "survey_ended")
        )

    found = [i for i in state.store.live_interactions() if keep(i)]
    order = params.get("_order")
    if order is None:
        ranked = sorted(found, key=lambda i: (i.status_rank, i.id))
    else:
        ranked = sorted(found, key=lambda i: i.id, reverse=order == "DESC")
    offset = int(params.get("_offset", "0"))
    return [i.id for i in ranked[offset : offset + int(params.get("_limit", "10"))]]


async def listed(sdx: Client, path: str = "/api/interactions", **params: Any) -> list[int]:
    response = await sdx.get(path, params={k: str(v) for k, v in params.items()})
    if response.status == 204:
        return []
    return [row["id"] for row in await body_of(response)]


@pytest.fixture
def mixed(state: SandboxState) -> SandboxState:
    """Survey 53 with 120 more interactions: outbound and sms, in every state."""
    store = state.store
    outbound = store.create_many(OUTBOUND_SURVEY, "outbound", [f"+6141{n:07d}" for n in range(60)])
    sms = store.create_many(OUTBOUND_SURVEY, "sms", [f"+6142{n:07d}" for n in range(60)])
    engine = state.engine
    for n, interaction in enumerate(itertools.chain(outbound, sms)):
        interaction.external_ref = f"ref{n % 3}"  # a filter no kept list covers
        if n % 4 == 1:
            engine.start(interaction)
        elif n % 4 == 2:
            engine.start(interaction)
            engine.abandon(interaction)
        elif n % 8 == 3:
            store.delete_interaction(interaction.id)
    return state


FILTERS = [
    {},
    {"survey_type": "outbound"},
    {"survey_type": "sms", "started": "0"},
    {"started": "0", "completed": "0"},
    {"completed": "0"},
    {"started": "1", "completed": "1", "survey_ended": "0"},
    {"survey_type": "web"},
    {"external_ref": "ref1"},
    {"external_ref": "ref2", "started": "1", "survey_type": "outbound"},
]
PAGES = [
    {"_order": "ASC"},
    {"_order": "DESC"},
    {"_order": "ASC", "_limit": "7", "_offset": "20"},
    {"_order": "DESC", "_limit": "7", "_offset": "20"},
    {"_order": "DESC", "_limit": "1000", "_offset": "3"},
    {"_order": "ASC", "_offset": "500"},
    {"_order": "DESC", "_offset": "119", "_limit": "5"},
    {},
    {"_limit": "9", "_offset": "30"},
]


def _query(filters: dict[str, str]) -> str:
    return "&".join(f"{k}={v}" for k, v in filters.items()) or "none"


@pytest.mark.parametrize("filters", FILTERS, ids=_query)
async def test_every_filter_and_page_matches_a_full_scan(
    sdx: Client, mixed: SandboxState, filters: dict[str, str]
) -> None:
    for page in PAGES:
        params = {**filters, **page}
        want = expected_ids(mixed, OUTBOUND_SURVEY, params)
        assert await listed(sdx, survey_id=OUTBOUND_SURVEY, **params) == want, params
        scoped = f"/api/surveys/{OUTBOUND_SURVEY}/interactions"
        assert await listed(sdx, scoped, **params) == want, params


async def test_pages_follow_changes_made_between_them(sdx: Client, mixed: SandboxState) -> None:
    waiting = {"survey_id": OUTBOUND_SURVEY, "started": "0", "completed": "0", "_limit": "1000"}
    first = await listed(sdx, **waiting, _order="ASC")
    started, deleted = first[0], first[1]

    await body_of(await sdx.post(f"/api/interactions/{started}/start_survey"))
    await body_of(await sdx.delete(f"/api/interactions/{deleted}"))
    made = await body_of(
        await sdx.post(
            "/api/interactions",
            data={"survey_id": "53", "survey_type": "outbound", "phone_number": "+61430000000"},
        )
    )

    assert await listed(sdx, **waiting, _order="ASC") == [*first[2:], made["id"]]
    assert await listed(sdx, **{**waiting, "_limit": "1"}, _order="DESC") == [made["id"]]
    in_progress = {"survey_id": OUTBOUND_SURVEY, "started": "1", "completed": "0"}
    assert started in await listed(sdx, **in_progress, _order="ASC", _limit=1000)

    await body_of(await sdx.post(f"/api/interactions/{started}/abandon_survey"))

    assert started not in await listed(sdx, **in_progress, _order="ASC", _limit=1000)
    ended = await listed(sdx, survey_id=OUTBOUND_SURVEY, completed=1, _order="DESC", _limit=1000)
    assert started in ended
    # The status order moves the abandoned one to the end, after the in-progress ones.
    everything = {"survey_id": OUTBOUND_SURVEY, "_limit": "1000"}
    assert await listed(sdx, **everything) == expected_ids(mixed, OUTBOUND_SURVEY, everything)


async def test_a_changed_survey_type_moves_between_lists(sdx: Client, mixed: SandboxState) -> None:
    sms = {"survey_id": OUTBOUND_SURVEY, "survey_type": "sms", "_order": "ASC", "_limit": "1000"}
    (first, *_) = await listed(sdx, **sms)

    update = {"interaction": f'{{"id": {first}, "survey_type": "outbound"}}'}
    await body_of(await sdx.put(f"/api/interactions/{first}", data=update))

    assert first not in await listed(sdx, **sms)
    outbound = {**sms, "survey_type": "outbound"}
    assert await listed(sdx, **outbound) == expected_ids(mixed, OUTBOUND_SURVEY, outbound)


async def test_a_reset_forgets_the_kept_lists(sdx: Client, state: SandboxState) -> None:
    state.store.create_many(SMS_SURVEY, "sms", ["+61440000000", "+61440000001"])
    assert len(await listed(sdx, survey_id=SMS_SURVEY, _order="ASC")) == 3

    state.reset()

    assert len(await listed(sdx, survey_id=SMS_SURVEY, _order="ASC")) == 1


async def test_a_deep_page_costs_the_page_not_the_survey(sdx: Client, state: SandboxState) -> None:
    # 100k interactions: a scan per page (what this replaced) took ~0.2 s a
    # page here; fifty pages at any depth must not cost as much as ten scans.
    size = 100_000
    state.store.create_many(OUTBOUND_SURVEY, "outbound", [f"+6145{n:07d}" for n in range(size)])
    base = {"survey_id": OUTBOUND_SURVEY, "started": "0", "completed": "0", "_limit": "10"}
    await listed(sdx, **base, _order="ASC")  # the first listing builds the kept list

    began = time.perf_counter()
    for n in range(50):
        offset = n * (size // 50)
        order = "ASC" if n % 2 else "DESC"
        page = await listed(sdx, **base, _order=order, _offset=offset)
        assert len(page) == 10
    assert time.perf_counter() - began < 2.0
