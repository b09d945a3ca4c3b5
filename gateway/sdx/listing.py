"""Reading SDX listings: every shape a row list may come in, and paging to the end.

Liberal in what is accepted: a PHP API may send a list as an object keyed
by position, cap ``_limit`` below what was asked, or hold one row the
gateway cannot read among a thousand it can.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from gateway.logging import get_logger
from gateway.metrics import SDX_ROWS_SKIPPED, sdx_endpoint
from gateway.sdx.errors import SdxProtocolError

log = get_logger(__name__)

M = TypeVar("M", bound=BaseModel)

# One page: its readable rows, and how many rows SDX sent (the offset moves
# by that, so a skipped row is not read twice).
Fetch = Callable[[int, int], Awaitable[tuple[list[M], int]]]


def rows_of(payload: Any, path: str) -> list[Any]:
    """A listing's raw rows, in every shape SDX may send them."""
    # Public SDX client code treats 204 (decoded as None) as an empty list.
    if payload is None:
        return []
    if isinstance(payload, dict) and isinstance(payload.get("data"), list):
        payload = payload["data"]  # tolerate a paginated envelope
    if isinstance(payload, dict) and all(key.isdigit() for key in payload):
        # PHP encodes a list with holes (after unset) as an object keyed by
        # position, and an empty one may come as {}.
        payload = [payload[key] for key in sorted(payload, key=int)]
    if not isinstance(payload, list):
        raise SdxProtocolError("GET", path, "expected a JSON list")
    return payload


def readable(model: type[M], rows: list[Any], path: str) -> list[M]:
    """Every row that reads as ``model``. One unreadable row is left out, not
    the page: the others are interactions a respondent may be waiting on."""
    parsed: list[M] = []
    for position, item in enumerate(rows):
        try:
            parsed.append(model.model_validate(item))
        except ValidationError as exc:
            _skipped(model, path, position, exc)
    return parsed


def _skipped(model: type[BaseModel], path: str, position: int, exc: ValidationError) -> None:
    # Field names and error kinds only: a row's values may hold phone numbers.
    problems = [
        f"{'.'.join(str(part) for part in error['loc'])}: {error['type']}"
        for error in exc.errors(include_input=False, include_url=False)
    ]
    endpoint = sdx_endpoint(path)
    SDX_ROWS_SKIPPED.labels(endpoint, model.__name__).inc()
    log.warning(
        "sdx_row_skipped",
        endpoint=endpoint,
        model=model.__name__,
        position=position,
        problems=problems[:5],
    )


class Pages:
    """Pages through a listing until a page comes back empty or shorter than
    the largest page SDX has served.

    A server may cap ``_limit`` below what was asked, so a page shorter than
    the size asked is not proof of the end; a page shorter than one the
    server did fill is. The largest page served is remembered across
    listings (per size asked), so the extra request that learns it is paid
    only until some listing has shown how large SDX's pages really are.
    """

    def __init__(self) -> None:
        self._served: dict[int, int] = {}

    async def each(self, fetch: Fetch[M], page_size: int) -> AsyncIterator[M]:
        offset = 0
        while True:
            page, sent = await fetch(page_size, offset)
            for item in page:
                yield item
            largest = max(self._served.get(page_size, 0), sent)
            self._served[page_size] = largest
            if sent == 0 or sent < largest:
                return
            offset += sent
