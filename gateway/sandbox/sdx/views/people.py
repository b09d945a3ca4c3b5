"""``/users`` (agents, read-only) and ``/phone_numbers`` lookups."""

from __future__ import annotations

from aiohttp import web

from gateway.sandbox.sdx.phone_numbers import lookup
from gateway.sandbox.sdx.queries import agent_interactions, find_users
from gateway.sandbox.sdx.views.common import (
    interaction_page,
    json_answer,
    json_list,
    page_of,
    store_of,
)


async def list_users(request: web.Request) -> web.Response:
    # Users have no id; _order sorts them by email instead.
    found = find_users(store_of(request), request.query)
    page = page_of(request).apply(found, key=lambda u: u.email.lower())
    return json_list(u.as_json() for u in page)


async def get_user(request: web.Request) -> web.Response:
    return json_answer(store_of(request).user(request.match_info["email"]).as_json())


async def user_interactions(request: web.Request) -> web.Response:
    """Interactions whose agent_id is the user's; they take the interaction filters."""
    store = store_of(request)
    user = store.user(request.match_info["email"])
    # A user without an agent id owns nothing (rather than every unassigned one).
    found = []
    if user.agent_id:
        found = agent_interactions(store, request.query, agent_id=user.agent_id)
    return interaction_page(request, found)


async def phone_number(request: web.Request) -> web.Response:
    country = request.query.get("country_code") or "US"
    return json_answer(lookup(request.match_info["number"], country))
