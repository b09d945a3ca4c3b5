"""RedisSessionStore and MemorySessionStore pass the same tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from gateway.sdx.models import Question
from gateway.state.sessions import (
    MAX_ONCE,
    MAX_SESSIONS,
    MAX_TURN_CLAIMS,
    TURN_CLAIM_TTL,
    CallSession,
    MemorySessionStore,
    RedisSessionStore,
    SessionStore,
    SessionTaken,
)
from tests.helpers.clock import Clock
from tests.helpers.opcodes import counting_opcodes


@pytest.fixture(params=["redis", "memory"])
async def store(request: pytest.FixtureRequest, redis_url: str) -> AsyncIterator[SessionStore]:
    if request.param == "memory":
        yield MemorySessionStore(ttl=60)
        return
    redis = Redis.from_url(redis_url)
    yield RedisSessionStore(redis, prefix="test:", ttl=60)
    await redis.aclose()


def session(call_sid: str = "CA1", turn: int = 1) -> CallSession:
    return CallSession(
        call_sid=call_sid,
        interaction_id=1001,
        survey_id=52,
        respondent="+61409999999",
        question=Question(id=501, question_type="nps", question_text="How likely?", extra="kept"),
        turn=turn,
        reply="<Response/>",
    )


async def test_save_and_load_round_trip(store: SessionStore) -> None:
    assert await store.load("CA1") is None
    await store.save(session())
    loaded = await store.load("CA1")
    assert loaded == session()
    assert loaded is not None
    assert loaded.question is not None
    assert loaded.question.model_extra == {"extra": "kept"}


async def test_a_first_session_is_saved_only_if_the_call_has_none(store: SessionStore) -> None:
    first = session().model_copy(update={"first": True})
    await store.save(first)
    assert not first.first  # saved: from now on an ordinary session
    assert await store.load("CA1") == session()  # "first" itself is never stored
    retried = session().model_copy(update={"first": True, "reply": "<Response><Say/></Response>"})
    with pytest.raises(SessionTaken) as taken:
        await store.save(retried)
    assert taken.value.stored == session()  # the stored one, whose reply the retry gets
    assert await store.load("CA1") == session()  # not overwritten
    first.turn = 2
    await store.save(first)  # an ordinary save replaces what is stored
    assert await store.load("CA1") == session(turn=2)


async def test_concurrent_first_sessions_have_one_winner(store: SessionStore) -> None:
    async def save(n: int) -> bool:
        try:
            await store.save(session(turn=n).model_copy(update={"first": True}))
        except SessionTaken:
            return False
        return True

    saved = await asyncio.gather(*(save(n) for n in range(1, 21)))
    assert sum(saved) == 1
    stored = await store.load("CA1")
    assert stored is not None
    assert stored.turn == saved.index(True) + 1


async def test_delete(store: SessionStore) -> None:
    await store.save(session())
    await store.delete("CA1")
    assert await store.load("CA1") is None
    await store.delete("CA1")  # deleting twice is harmless


async def test_a_turn_is_claimed_once(store: SessionStore) -> None:
    await store.save(session(turn=3))
    first, claimed = await store.load_for_turn("CA1", 3)
    assert claimed
    assert first == session(turn=3)
    again, claimed_again = await store.load_for_turn("CA1", 3)
    assert not claimed_again
    assert again == first
    _, next_turn = await store.load_for_turn("CA1", 4)
    assert next_turn


async def test_concurrent_claims_have_one_winner(store: SessionStore) -> None:
    results = await asyncio.gather(*(store.load_for_turn("CA9", 1) for _ in range(20)))
    assert sum(claimed for _, claimed in results) == 1


async def test_claims_without_a_session(store: SessionStore) -> None:
    missing, claimed = await store.load_for_turn("CA-none", 1)
    assert missing is None
    assert claimed


async def test_once(store: SessionStore) -> None:
    assert await store.once("abandon:CA1", 60)
    assert not await store.once("abandon:CA1", 60)
    assert await store.once("abandon:CA2", 60)


async def test_memory_keys_expire_with_the_redis_ttls() -> None:
    """Sessions after the store's TTL, turn claims after 60 s, once-markers after theirs."""
    clock = Clock()
    store = MemorySessionStore(ttl=3600, clock=clock)
    await store.save(session())
    assert (await store.load_for_turn("CA1", 1))[1]
    assert await store.once("abandon:CA1", 120)
    clock.now += TURN_CLAIM_TTL - 1
    assert not (await store.load_for_turn("CA1", 1))[1]
    clock.now += 1
    assert (await store.load_for_turn("CA1", 1))[1]  # the claim expired: claimable again
    clock.now += 60
    assert await store.once("abandon:CA1", 120)
    assert await store.load("CA1") == session()
    clock.now = 1000.0 + 3600
    assert await store.load("CA1") is None


async def turn(store: MemorySessionStore, call_sid: str) -> None:
    """What one turn of a call writes: its claim, its session, a once-marker."""
    await store.load_for_turn(call_sid, 1)
    await store.save(session(call_sid))
    await store.once(f"outcome:{call_sid}", 86400)


async def test_memory_store_is_bounded_under_100k_calls() -> None:
    store = MemorySessionStore(ttl=3600, clock=Clock())
    total = 100_000
    for n in range(total):
        await turn(store, f"CA{n}")
    # Exactly the most recent of each kind are kept; the one before is gone.
    for kept, kind in ((MAX_SESSIONS, "session"), (MAX_TURN_CLAIMS, "turn"), (MAX_ONCE, "once")):
        first_kept, gone = f"CA{total - kept}", f"CA{total - kept - 1}"
        if kind == "session":
            assert await store.load(first_kept) is not None
            assert await store.load(gone) is None
        elif kind == "turn":  # kept first: claiming the gone one writes, and evicts
            assert not (await store.load_for_turn(first_kept, 1))[1]
            assert (await store.load_for_turn(gone, 1))[1]
        else:
            assert not await store.once(f"outcome:{first_kept}", 86400)
            assert await store.once(f"outcome:{gone}", 86400)


async def _work_per_turn(store: MemorySessionStore, call_sid: str) -> int:
    with counting_opcodes() as counted:
        await turn(store, call_sid)
    return counted.count


async def test_memory_work_per_turn_does_not_grow_with_what_is_held() -> None:
    """Counted in bytecode run in gateway/, not time (the old store rebuilt its dict)."""
    clock = Clock()
    small = MemorySessionStore(ttl=3600, clock=clock)
    big = MemorySessionStore(ttl=3600, clock=clock)
    for n in range(100_000):
        if n < 1000:
            await turn(small, f"CA{n}")
        await turn(big, f"CA{n}")
    clock.now += 61  # a sweep was due once a minute, and turn claims expired
    work = await _work_per_turn(small, "CA-new")
    assert 0 < work < 1_000
    assert abs(await _work_per_turn(big, "CA-new") - work) < 50


async def test_redis_keys_are_prefixed_and_expire(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    store = RedisSessionStore(redis, prefix="gw-test:", ttl=123)
    await store.save(session())
    await store.load_for_turn("CA1", 1)
    await store.once("x", 50)
    keys = sorted(k.decode() for k in await redis.keys("*"))
    assert keys == ["gw-test:call:CA1", "gw-test:once:x", "gw-test:turn:CA1:1"]
    for key in keys:
        assert 0 < await redis.ttl(key) <= 123
    await redis.aclose()
