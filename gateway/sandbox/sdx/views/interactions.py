"""``/interactions``: list, create, read, update, delete, and their records."""

from __future__ import annotations

from aiohttp import web

from gateway.sandbox.sdx.inputs import NewInteraction, interaction_changes
from gateway.sandbox.sdx.params import required_int
from gateway.sandbox.sdx.queries import find_data, find_responses, survey_page
from gateway.sandbox.sdx.views.common import (
    Embed,
    body_params,
    data_page,
    id_page,
    interaction_json,
    interactions_answer,
    json_answer,
    json_list,
    match_id,
    page_of,
    store_of,
)


async def list_interactions(request: web.Request) -> web.Response:
    """``survey_id`` is required; a survey with no matches answers 204."""
    survey_id = required_int(request.query, "survey_id")
    page = survey_page(store_of(request), request.query, page_of(request), survey_id=survey_id)
    return interactions_answer(request, page)


async def create_interaction(request: web.Request) -> web.Response:
    """Answers 200 with the new interaction (SDX clients read the body, not 201)."""
    store = store_of(request)
    new = NewInteraction.from_params(await body_params(request), store.clock())
    interaction = new.create_in(store)
    return json_answer(interaction.as_json())


async def get_interaction(request: web.Request) -> web.Response:
    store = store_of(request)
    interaction = store.interaction(match_id(request))
    return json_answer(interaction_json(store, interaction, Embed.of(request)))


async def update_interaction(request: web.Request) -> web.Response:
    store = store_of(request)
    interaction_id = match_id(request)
    store.interaction(interaction_id)  # 404 / 410 before looking at the body
    params = await body_params(request)
    changes = interaction_changes(params.get("interaction"), interaction_id, store.clock())
    return json_answer(store.update_interaction(interaction_id, changes).as_json())


async def delete_interaction(request: web.Request) -> web.Response:
    """200 with ``{"id": ..., "deleted": true}``; later requests for it get 410."""
    deleted = store_of(request).delete_interaction(match_id(request))
    return json_answer({"id": deleted.id, "deleted": True})


async def interaction_responses(request: web.Request) -> web.Response:
    store = store_of(request)
    interaction = store.interaction(match_id(request))
    found = find_responses(store, request.query, interaction_id=interaction.id)
    return json_list(r.as_json() for r in id_page(request, found))


async def interaction_data(request: web.Request) -> web.Response:
    store = store_of(request)
    interaction = store.interaction(match_id(request))
    found = find_data(store, request.query, interaction_id=interaction.id)
    return json_list(d.as_json() for d in data_page(request, found))
