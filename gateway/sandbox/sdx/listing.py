"""Paging and ordering shared by every list endpoint."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, Literal, TypeVar

from gateway.sandbox.sdx.errors import BadRequest
from gateway.sandbox.sdx.params import Params, optional_int

T = TypeVar("T")

DEFAULT_LIMIT = 10
MAX_LIMIT = 1000

Order = Literal["ASC", "DESC"]


@dataclass(frozen=True)
class Page:
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    order: Order | None = None

    @classmethod
    def from_params(cls, params: Params, *, cap: int | None = None) -> Page:
        """``_limit`` 1..1000 (default 10), ``_offset`` >= 0, ``_order`` ASC|DESC.

        With a ``cap``, a larger ``_limit`` (even past 1000) is cut to it
        rather than refused: the page is simply shorter than asked.
        """
        limit = optional_int(params, "_limit")
        if limit is None:
            limit = DEFAULT_LIMIT
        if cap is not None:
            limit = min(limit, cap)
        if not 1 <= limit <= MAX_LIMIT:
            raise BadRequest(f"_limit must be between 1 and {MAX_LIMIT}")
        offset = optional_int(params, "_offset") or 0
        if offset < 0:
            raise BadRequest("_offset must not be negative")
        return cls(limit, offset, _order(params.get("_order")))

    def apply(
        self,
        items: Iterable[T],
        *,
        key: Callable[[T], Any],
        default_key: Callable[[T], Any] | None = None,
    ) -> list[T]:
        """Sort by ``key`` (the id) as asked, else by ``default_key``; then cut the page.

        Without ``_order`` SDX sorts interactions by status, which is why
        ``default_key`` exists: callers that page must pass ``_order``.
        """
        if self.order is None:
            ordered = sorted(items, key=default_key or key)
        else:
            ordered = sorted(items, key=key, reverse=self.order == "DESC")
        return ordered[self.offset : self.offset + self.limit]

    def window(self, ordered: Sequence[T]) -> list[T]:
        """The page of a sequence already in order (read from its end for DESC).

        A slice: what a page costs does not depend on how long ``ordered`` is.
        """
        if self.order != "DESC":
            return list(ordered[self.offset : self.offset + self.limit])
        end = len(ordered) - self.offset
        if end <= 0:
            return []
        return list(reversed(ordered[max(0, end - self.limit) : end]))

    def scan(self, ordered: Sequence[T], keep: Callable[[T], bool]) -> list[T]:
        """``window`` of the items ``keep`` takes, reading only as far as the page ends."""
        items = reversed(ordered) if self.order == "DESC" else iter(ordered)
        kept = (item for item in items if keep(item))
        return list(islice(kept, self.offset, self.offset + self.limit))


def _order(value: str | None) -> Order | None:
    if value is None or value == "":
        return None
    upper = value.strip().upper()
    if upper == "ASC":
        return "ASC"
    if upper == "DESC":
        return "DESC"
    raise BadRequest("_order must be ASC or DESC")
