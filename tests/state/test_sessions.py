"""RedisSessionStore and MemorySessionStore pass the same tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from gateway.sdx.models import Question
from gateway.state.sessions import CallSession, MemorySessionStore, RedisSessionStore, SessionStore


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


async def test_sessions_expire() -> None:
    store = MemorySessionStore(ttl=1)
    await store.save(session())
    store._values["call:CA1"] = (0.0, store._values["call:CA1"][1])  # as if a TTL passed
    assert await store.load("CA1") is None


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
