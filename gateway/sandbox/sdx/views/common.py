"""What every handler needs: the store, parameters, JSON and list answers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from aiohttp import web

from gateway.sandbox.sdx.latency import ROWS
from gateway.sandbox.sdx.listing import Page
from gateway.sandbox.sdx.models import Interaction, InteractionDatum
from gateway.sandbox.sdx.params import Params, flag, path_int
from gateway.sandbox.sdx.php import PHP_MAX_LIMIT
from gateway.sandbox.sdx.queries import status_rank
from gateway.sandbox.sdx.state import SANDBOX_STATE, SandboxState
from gateway.sandbox.sdx.store import SdxStore


def state_of(request: web.Request) -> SandboxState:
    return request.app[SANDBOX_STATE]


def store_of(request: web.Request) -> SdxStore:
    return request.app[SANDBOX_STATE].store


def is_php(request: web.Request) -> bool:
    return request.app[SANDBOX_STATE].flavour == "php"


def match_id(request: web.Request, name: str = "id") -> int:
    return path_int(request.match_info[name], name)


async def body_params(request: web.Request) -> Params:
    """POST/PUT parameters: the form, over any query parameters.

    SDX documents form parameters; the sandbox also takes them from the query
    string (the form wins), as PHP applications like SDX usually do, so that
    it does not fail on a detail real SDX may forgive. Clients send the form.
    """
    posted = await request.post()
    merged = dict(request.query)
    merged.update({key: value for key, value in posted.items() if isinstance(value, str)})
    return merged


def json_answer(data: Any) -> web.Response:
    return web.json_response(data)


def json_list(items: Iterable[dict[str, Any]]) -> web.Response:
    """A JSON array, or 204 with no body when empty (as SDX answers)."""
    body = list(items)
    if not body:
        return web.Response(status=204)
    response = web.json_response(body)
    response[ROWS] = len(body)
    return response


def page_of(request: web.Request) -> Page:
    """The page asked for; the php flavour caps ``_limit`` instead of refusing it."""
    return Page.from_params(request.query, cap=PHP_MAX_LIMIT if is_php(request) else None)


@dataclass(frozen=True)
class Embed:
    """Which related records to embed in interactions (``_include_*``), and
    whether their data comes newest first (the php flavour's append-only data)."""

    responses: bool = False
    data: bool = False
    newest_data_first: bool = False

    @classmethod
    def of(cls, request: web.Request) -> Embed:
        params = request.query
        return cls(
            flag(params, "_include_responses"), flag(params, "_include_data"), is_php(request)
        )


def interaction_json(store: SdxStore, interaction: Interaction, embed: Embed) -> dict[str, Any]:
    body = interaction.as_json()
    if embed.responses:
        body["responses"] = [r.as_json() for r in store.responses_for(interaction.id)]
    if embed.data:
        data = sorted(
            store.data_for(interaction.id), key=_datum_id, reverse=embed.newest_data_first
        )
        body["interaction_data"] = [d.as_json() for d in data]
    return body


def interaction_page(request: web.Request, found: Iterable[Interaction]) -> web.Response:
    """A page of interactions; without ``_order`` SDX sorts them by status."""
    chosen = page_of(request).apply(found, key=lambda i: i.id, default_key=status_rank)
    return interactions_answer(request, chosen)


def interactions_answer(request: web.Request, chosen: Iterable[Interaction]) -> web.Response:
    """Interactions already chosen and ordered, with what they embed."""
    embed = Embed.of(request)
    store = store_of(request)
    return json_list(interaction_json(store, i, embed) for i in chosen)


class _HasId(Protocol):
    @property
    def id(self) -> int: ...


R = TypeVar("R", bound=_HasId)


def id_page(request: web.Request, found: Iterable[R]) -> list[R]:
    """A page of records with an ``id``: by id ascending unless ``_order`` says."""
    return page_of(request).apply(found, key=lambda item: item.id)


def _datum_id(datum: InteractionDatum) -> int:
    return datum.id


def data_page(request: web.Request, found: Iterable[InteractionDatum]) -> list[InteractionDatum]:
    """A page of interaction data. By id; without ``_order`` the php flavour,
    whose data only grows, lists the newest first, so the value in force for
    a key comes before the values it replaced."""
    newest_first = is_php(request)
    return page_of(request).apply(
        found, key=_datum_id, default_key=(lambda d: -d.id) if newest_first else None
    )
