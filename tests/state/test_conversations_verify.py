"""A message's hold that ends without a conclusion leaves its conversation to verify.

Both stores (Redis on a real redis-server, memory): the next message's turn
finds ``verify`` set, so the SMS survey asks SDX where the survey stands
before submitting anything (an answer may have reached SDX before the turn
died). A concluded hold clears the mark. End to end, with Redis stalling
after SDX took the answer: tests/sms/test_sms_edges.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from gateway.state.conversations import ConversationStore, conversation_key
from gateway.state.conversations_memory import MemoryConversationStore
from gateway.state.conversations_redis import RedisConversationStore
from tests.state.test_conversations_memory import conversation

IDLE_TTL = 3600
KEY = conversation_key("+61400000000", "+61200000002")


@pytest.fixture(params=["redis", "memory"])
async def store(request: pytest.FixtureRequest, redis_url: str) -> AsyncIterator[ConversationStore]:
    if request.param == "memory":
        yield MemoryConversationStore()
        return
    redis = Redis.from_url(redis_url)
    try:
        yield RedisConversationStore(redis, prefix="t:")
    finally:
        await redis.aclose()


async def verify_seen(store: ConversationStore, sid: str) -> bool:
    """What the next message's turn finds (and concludes it, unchanged)."""
    async with store.receive(sid, KEY, 1.0, IDLE_TTL) as turn:
        assert turn.first
        assert turn.conversation is not None
        turn.conclude("", turn.conversation)
        return turn.conversation.verify


class Died(Exception):
    pass


async def test_an_unconcluded_hold_marks_the_conversation_and_a_concluded_one_clears_it(
    store: ConversationStore,
) -> None:
    await store.finish(None, "", conversation(0), IDLE_TTL)
    assert not await verify_seen(store, "SM1")

    async def dies() -> None:
        async with store.receive("SM2", KEY, 1.0, IDLE_TTL) as turn:
            assert turn.conversation is not None
            assert not turn.conversation.verify
            raise Died  # e.g. Redis failing after SDX took the answer

    with pytest.raises(Died):
        await dies()

    assert await verify_seen(store, "SM3")  # concluded with verify set, as found
    saved = await store.load(KEY)
    assert saved is not None
    assert saved.verify
    saved.verify = False  # the turn asked SDX and moved on
    async with store.receive("SM4", KEY, 1.0, IDLE_TTL) as turn:
        turn.conclude("", saved)
    assert not await verify_seen(store, "SM5")


async def test_a_repeated_message_sid_leaves_no_mark(store: ConversationStore) -> None:
    await store.finish(None, "", conversation(0), IDLE_TTL)
    assert not await verify_seen(store, "SM1")
    async with store.receive("SM1", KEY, 1.0, IDLE_TTL) as turn:
        assert not turn.first
    assert not await verify_seen(store, "SM2")


async def test_a_message_that_waited_for_the_lock_sees_and_sets_the_mark_too(
    store: ConversationStore,
) -> None:
    # The claim script finds the lock taken, so the mark is read and written
    # by the load after the wait (the Redis store's second path).
    await store.finish(None, "", conversation(0), IDLE_TTL)

    async def dies_after_waiting() -> None:
        async with store.receive("SM2", KEY, 2.0, IDLE_TTL) as turn:
            assert turn.conversation is not None
            assert not turn.conversation.verify
            raise Died

    async with store.locked(KEY, 1.0):
        waiting = asyncio.create_task(dies_after_waiting())
        await asyncio.sleep(0.1)
        assert not waiting.done()  # queued behind the holder
    with pytest.raises(Died):
        await waiting
    assert await verify_seen(store, "SM3")
