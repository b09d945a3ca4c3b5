"""The survey calls: start_survey, submit_response, abandon_survey."""

from __future__ import annotations

from aiohttp import web

from gateway.sandbox.sdx.errors import BadRequest
from gateway.sandbox.sdx.views.common import body_params, json_answer, match_id, state_of


async def start_survey(request: web.Request) -> web.Response:
    state = state_of(request)
    interaction = state.store.interaction(match_id(request))
    return json_answer(state.engine.start(interaction).as_json())


async def submit_response(request: web.Request) -> web.Response:
    state = state_of(request)
    interaction = state.store.interaction(match_id(request))
    answer = (await body_params(request)).get("response")
    if answer is None:
        raise BadRequest("response is required")
    return json_answer(state.engine.submit(interaction, answer).as_json())


async def abandon_survey(request: web.Request) -> web.Response:
    """Ends the survey; on an ended survey it only repeats the closing (200)."""
    state = state_of(request)
    interaction = state.store.interaction(match_id(request))
    return json_answer(state.engine.abandon(interaction).as_json())
