"""What respondents leave behind: ``/responses`` and ``/interaction_data``."""

from __future__ import annotations

from aiohttp import web

from gateway.sandbox.sdx.errors import BadRequest
from gateway.sandbox.sdx.params import required_int, required_text
from gateway.sandbox.sdx.queries import find_data, find_responses
from gateway.sandbox.sdx.views.common import (
    body_params,
    data_page,
    id_page,
    is_php,
    json_answer,
    json_list,
    match_id,
    store_of,
)


async def list_responses(request: web.Request) -> web.Response:
    """Needs one of survey_id, question_id, interaction_id (else 400)."""
    found = find_responses(store_of(request), request.query)
    return json_list(r.as_json() for r in id_page(request, found))


async def get_response(request: web.Request) -> web.Response:
    return json_answer(store_of(request).response(match_id(request)).as_json())


async def list_data(request: web.Request) -> web.Response:
    """Needs survey_id or interaction_id (else 400)."""
    found = find_data(store_of(request), request.query)
    return json_list(d.as_json() for d in data_page(request, found))


async def get_datum(request: web.Request) -> web.Response:
    return json_answer(store_of(request).datum(match_id(request)).as_json())


async def delete_datum(request: web.Request) -> web.Response:
    """200 with ``{"id": ..., "deleted": true}``, as for interactions."""
    deleted = store_of(request).delete_datum(match_id(request))
    return json_answer({"id": deleted.id, "deleted": True})


async def set_datum(request: web.Request) -> web.Response:
    """Create or overwrite ``custom_key`` of an interaction; answers the record.

    The php flavour adds a record every time instead, so the key's older
    values stay listed after it.
    """
    params = await body_params(request)
    interaction_id = required_int(params, "interaction_id")
    key = required_text(params, "custom_key")
    value = params.get("custom_value")
    if value is None:
        raise BadRequest("custom_value is required")
    store = store_of(request)
    write = store.add_datum if is_php(request) else store.set_datum
    return json_answer(write(interaction_id, key, value).as_json())
