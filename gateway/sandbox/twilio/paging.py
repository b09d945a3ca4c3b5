"""Twilio's v2010 list envelope: one page of records plus the URIs of its neighbours.

URIs are relative to the API root (``/2010-04-01/...``), as Twilio writes
them; the twilio library joins them to its base URL, so paging works
wherever the emulator is mounted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


def _int(value: str | None, default: int, lowest: int, highest: int) -> int:
    try:
        number = int(value) if value is not None else default
    except ValueError:
        number = default
    return min(max(number, lowest), highest)


def page_json(
    key: str,
    records: Sequence[dict[str, Any]],
    *,
    uri: str,
    query: Mapping[str, str],
    filters: Sequence[str],
) -> dict[str, Any]:
    """The page ``Page`` of ``PageSize`` from ``query``, with ``filters`` kept in its URIs."""
    size = _int(query.get("PageSize"), DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    page = _int(query.get("Page"), 0, 0, 1_000_000)
    start = page * size
    chunk = list(records[start : start + size])
    kept = {name: query[name] for name in filters if name in query}

    def page_uri(number: int) -> str:
        return f"{uri}?{urlencode({**kept, 'PageSize': size, 'Page': number})}"

    return {
        key: chunk,
        "end": start + max(len(chunk) - 1, 0),
        "first_page_uri": page_uri(0),
        "next_page_uri": page_uri(page + 1) if start + size < len(records) else None,
        "page": page,
        "page_size": size,
        "previous_page_uri": page_uri(page - 1) if page > 0 else None,
        "start": start,
        "uri": page_uri(page),
    }
