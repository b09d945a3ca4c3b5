"""What every handler needs: the store, parameters, JSON and list answers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from aiohttp import web

from gateway.sandbox.sdx.listing import Page
from gateway.sandbox.sdx.models import Interaction
from gateway.sandbox.sdx.params import Params, flag, path_int
from gateway.sandbox.sdx.queries import status_rank
from gateway.sandbox.sdx.state import SANDBOX_STATE, SandboxState
from gateway.sandbox.sdx.store import SdxStore


def state_of(request: web.Request) -> SandboxState:
    return request.app[SANDBOX_STATE]


def store_of(request: web.Request) -> SdxStore:
    return request.app[SANDBOX_STATE].store


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
    return web.json_response(body)


@dataclass(frozen=True)
class Embed:
    """Which related records to embed in interactions (``_include_*``)."""

    responses: bool = False
    data: bool = False

    @classmethod
    def from_params(cls, params: Params) -> Embed:
        return cls(flag(params, "_include_responses"), flag(params, "_include_data"))


def interaction_json(store: SdxStore, interaction: Interaction, embed: Embed) -> dict[str, Any]:
    body = interaction.as_json()
    if embed.responses:
        body["responses"] = [r.as_json() for r in store.responses_for(interaction.id)]
    if embed.data:
        body["interaction_data"] = [d.as_json() for d in store.data_for(interaction.id)]
    return body


def interaction_page(request: web.Request, found: Iterable[Interaction]) -> web.Response:
    """A page of interactions; without ``_order`` SDX sorts them by status."""
    page = Page.from_params(request.query)
    embed = Embed.from_params(request.query)
    chosen = page.apply(found, key=lambda i: i.id, default_key=status_rank)
    store = store_of(request)
    return json_list(interaction_json(store, i, embed) for i in chosen)


class _HasId(Protocol):
    @property
    def id(self) -> int: ...


R = TypeVar("R", bound=_HasId)


def id_page(params: Params, found: Iterable[R]) -> list[R]:
    """A page of records with an ``id``: by id ascending unless ``_order`` says."""
    return Page.from_params(params).apply(found, key=lambda item: item.id)
