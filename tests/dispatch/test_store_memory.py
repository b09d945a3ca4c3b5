"""MemoryDispatchStore on a long demo: its queued and claim marks stay bounded.

The rules it shares with the Redis store are tests/dispatch/test_store.py's.
"""

from __future__ import annotations

from gateway.dispatch.store_memory import MAX_MARKS, MemoryDispatchStore
from tests.helpers.jobs import job

SETTLED = 600.0  # a settled claim's life: the settled window


async def place(store: MemoryDispatchStore, n: int) -> None:
    """One attempt's marks, as a dial leaves them: queued, claimed, settled."""
    await store.enqueue([job(n)], ttl=SETTLED)
    assert await store.claim(job(n), "me", ttl=30) == "won"
    await store.settle(job(n), "CA1", ttl=SETTLED)


async def test_marks_are_bounded_under_100k_jobs() -> None:
    store = MemoryDispatchStore()
    total = 50_000  # two marks each: 100,000 distinct keys
    for n in range(total):
        await place(store, n)
    # The most recent MAX_MARKS marks are kept: the last MAX_MARKS / 2 jobs.
    first_kept = total - MAX_MARKS // 2
    assert await store.claim(job(first_kept), "me", ttl=30) == "done"
    assert await store.claim(job(first_kept - 1), "me", ttl=30) == "won"
