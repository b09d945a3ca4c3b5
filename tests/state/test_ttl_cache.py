"""TtlCache: Redis-like expiry, a hard bound, and work per operation that does not grow."""

from __future__ import annotations

import pytest

from gateway.state.ttl_cache import TtlCache
from tests.helpers.clock import Clock
from tests.helpers.opcodes import counting_opcodes


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_an_entry_lives_exactly_its_ttl(clock: Clock) -> None:
    cache: TtlCache[str, str] = TtlCache(10, clock=clock)
    cache.set("a", "1", 60)
    clock.now += 59.9
    assert cache.get("a") == "1"
    clock.now += 0.1  # as Redis: SET EX 60 is gone 60 s later
    assert cache.get("a") is None
    assert len(cache) == 0  # and no longer held


def test_a_rewrite_renews_the_ttl(clock: Clock) -> None:
    cache: TtlCache[str, str] = TtlCache(10, clock=clock)
    cache.set("a", "1", 60)
    clock.now += 50
    cache.set("a", "2", 60)
    clock.now += 50
    assert cache.get("a") == "2"


def test_add_is_set_nx(clock: Clock) -> None:
    cache: TtlCache[str, str] = TtlCache(10, clock=clock)
    assert cache.add("a", "1", 60)
    assert not cache.add("a", "2", 60)
    assert cache.get("a") == "1"
    clock.now += 60
    assert cache.add("a", "3", 60)  # the first one expired
    assert cache.get("a") == "3"


def test_pop(clock: Clock) -> None:
    cache: TtlCache[str, str] = TtlCache(10, clock=clock)
    cache.set("a", "1", 60)
    cache.set("b", "2", 60)
    assert cache.pop("a") == "1"
    assert cache.pop("a") is None
    clock.now += 60
    assert cache.pop("b") is None  # expired: there, but not a value any more
    assert len(cache) == 0


def test_the_bound_holds_under_100k_distinct_keys(clock: Clock) -> None:
    cache: TtlCache[int, int] = TtlCache(1000, clock=clock)
    most = 0
    for key in range(100_000):
        cache.set(key, key, 3600)
        most = max(most, len(cache))
    assert most == 1000
    # The least recently written went first: exactly the last 1000 are kept.
    assert [cache.get(k) for k in (98_999, 99_000, 99_999)] == [None, 99_000, 99_999]


def test_recency_is_by_write(clock: Clock) -> None:
    """A rewritten entry stays; one that was only read goes (a read does not
    renew it in Redis either), so the oldest end is the next to expire."""
    cache: TtlCache[str, int] = TtlCache(3, clock=clock)
    for n, key in enumerate("abc"):
        cache.set(key, n, 60)
    cache.set("a", 10, 60)  # written again: now the most recent
    assert cache.get("b") == 1  # read only
    cache.set("d", 3, 60)
    assert [cache.get(k) for k in "abcd"] == [10, None, 2, 3]


def test_writes_sweep_expired_entries_nobody_reads(clock: Clock) -> None:
    cache: TtlCache[str, int] = TtlCache(100_000, clock=clock)
    for n in range(1000):
        cache.set(f"old{n}", n, 60)
    clock.now += 60
    for n in range(500):  # each write drops up to two expired ones
        cache.set(f"new{n}", n, 60)
    assert len(cache) == 500


def test_an_already_expired_write_leaves_nothing(clock: Clock) -> None:
    cache: TtlCache[str, int] = TtlCache(10, clock=clock)
    cache.set("a", 1, 0)
    assert len(cache) == 0
    assert cache.get("a") is None


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="limit"):
        TtlCache(0)


def _work_per_write(cache: TtlCache[int, int], key: int) -> int:
    with counting_opcodes() as counted:
        cache.set(key, key, 3600)
        cache.get(key)
        cache.add(-key, key, 3600)
    return counted.count


def test_work_per_operation_does_not_grow_with_size(clock: Clock) -> None:
    """Counted in bytecode, not time: a scan or rebuild would be thousands of opcodes."""
    small: TtlCache[int, int] = TtlCache(200_000, clock=clock)
    big: TtlCache[int, int] = TtlCache(200_000, clock=clock)
    full: TtlCache[int, int] = TtlCache(100_000, clock=clock)
    for key in range(1000):
        small.set(key, key, 3600)
    for key in range(100_000):
        big.set(key, key, 3600)
        full.set(key, key, 3600)
    work = _work_per_write(small, 10**6)
    assert 0 < work < 500  # counted at all, and a few dozen opcodes an operation
    assert _work_per_write(big, 10**6) == work
    # At the bound each write also evicts one: a constant more, not a scan.
    assert _work_per_write(full, 10**6) - work < 20
