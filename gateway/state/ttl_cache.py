"""Keys that expire like Redis keys, in one process's memory, and never more than a bound.

The in-memory stores (``gateway demo``, or any process without ``REDIS_URL``)
keep what Redis keeps, with the same TTLs. Redis frees an expired key by
itself and is bounded by its ``maxmemory``; a dict is neither, so a long demo
grew without end. ``TtlCache`` is the one place that gives the memory stores
both, at a cost that does not depend on how much they hold:

* an entry past its TTL is gone when it is read, as in Redis;
* each write also drops up to ``SWEEP`` expired entries from the oldest end,
  so expired entries nobody reads again do not pile up;
* past ``limit`` entries, the least recently written goes (LRU by write).

Recency is by write, not by read, on purpose. A read never extends a key's
life in Redis; every use that should keep an entry alive writes it (a
message saves its conversation, re-claims its MessageSid); and with one TTL
per cache the oldest end is then always the next entry to expire, so the
sweep above is exact and the entry the bound pushes out is the one Redis
would have expired first. Where one cache holds several TTLs, an expired
entry behind a live one waits for its read or for the bound: memory stays
bounded either way.

Every operation is O(1): no scan, sort or rebuild of the whole cache.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["SWEEP", "TtlCache"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# Expired entries dropped per write, at most. A write adds one entry; taking
# up to two away means expired ones at the oldest end can never accumulate.
SWEEP = 2

Clock = Callable[[], float]


class TtlCache(Generic[K, V]):
    """A mapping whose entries expire after their TTL, holding at most ``limit``.

    ``clock`` gives seconds (monotonic by default); tests pass their own.
    """

    def __init__(self, limit: int, *, clock: Clock = time.monotonic) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self._limit = limit
        self._clock = clock
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def __len__(self) -> int:
        """Entries held, including expired ones not yet dropped."""
        return len(self._entries)

    def get(self, key: K) -> V | None:
        """The live value under ``key``, or None (absent or expired)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= self._clock():
            del self._entries[key]
            return None
        return entry[1]

    def set(self, key: K, value: V, ttl: float) -> None:
        """Store ``value`` for ``ttl`` seconds (a rewrite renews the TTL, as ``SET EX``)."""
        now = self._clock()
        self._entries[key] = (now + ttl, value)
        self._entries.move_to_end(key)
        self._sweep(now)
        if len(self._entries) > self._limit:
            self._entries.popitem(last=False)

    def add(self, key: K, value: V, ttl: float) -> bool:
        """``SET NX EX``: store only if no live value is there; True if stored."""
        if self.get(key) is not None:
            return False
        self.set(key, value, ttl)
        return True

    def pop(self, key: K) -> V | None:
        """Remove ``key``; its live value, or None."""
        entry = self._entries.pop(key, None)
        if entry is None or entry[0] <= self._clock():
            return None
        return entry[1]

    def _sweep(self, now: float) -> None:
        for _ in range(SWEEP):
            oldest = next(iter(self._entries), None)
            if oldest is None or self._entries[oldest][0] > now:
                return
            del self._entries[oldest]
