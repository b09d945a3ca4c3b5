"""The survey calls: start_survey, submit_response, abandon_survey."""

from __future__ import annotations

from aiohttp import web

from gateway.sandbox.sdx.errors import BadRequest, Conflict
from gateway.sandbox.sdx.models import Interaction
from gateway.sandbox.sdx.views.common import body_params, is_php, json_answer, match_id, state_of


async def start_survey(request: web.Request) -> web.Response:
    """Starts or resumes; on an ended survey plain repeats the closing, php is a 409."""
    state = state_of(request)
    interaction = state.store.interaction(match_id(request))
    if interaction.completed and is_php(request):
        raise Conflict(_ended(interaction))
    return json_answer(state.engine.start(interaction).as_json())


async def submit_response(request: web.Request) -> web.Response:
    """Before the survey started, plain acts as start_survey; php redirects there.

    SDX's reference says submit_response on an interaction that has not
    started "redirects" to start_survey: the php flavour takes the word
    literally, with a 302 whose Location is start_survey. Nothing is
    recorded or started either way.
    """
    state = state_of(request)
    interaction = state.store.interaction(match_id(request))
    answer = (await body_params(request)).get("response")
    if answer is None:
        raise BadRequest("response is required")
    if not interaction.started and is_php(request):
        return _redirect_to_start(request)
    return json_answer(state.engine.submit(interaction, answer).as_json())


async def abandon_survey(request: web.Request) -> web.Response:
    """Ends the survey; on an ended survey it only repeats the closing (200)."""
    state = state_of(request)
    interaction = state.store.interaction(match_id(request))
    return json_answer(state.engine.abandon(interaction).as_json())


def _ended(interaction: Interaction) -> str:
    return "Survey already completed" if interaction.survey_ended else "Survey already ended"


def _redirect_to_start(request: web.Request) -> web.Response:
    # Laravel's redirect() writes an absolute URL.
    start = request.url.with_path(request.path.rsplit("/", 1)[0] + "/start_survey")
    location = str(start.with_query(None))
    return web.Response(
        status=302, text=f"Redirecting to {location}\n", headers={"Location": location}
    )
