"""MemoryConversationStore on a long demo: Redis' TTLs, a bound per kind, flat cost per message.

The clock is injected (the stores' monotonic clock); nothing sleeps. The
shared behaviour of both stores is tested through the app in tests/sms/.
"""

from __future__ import annotations

import pytest

from gateway.state.conversations import (
    GRACE,
    MESSAGE_TTL,
    OPT_OUT_TTL,
    Conversation,
    MessageTurn,
    conversation_key,
)
from gateway.state.conversations_memory import (
    MAX_CONVERSATIONS,
    MAX_MESSAGES,
    MAX_OPT_OUTS,
    MemoryConversationStore,
)
from tests.helpers.clock import Clock
from tests.helpers.opcodes import counting_opcodes

OUR_NUMBER = "+61200000002"
IDLE_TTL = 3600


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock) -> MemoryConversationStore:
    return MemoryConversationStore(clock=clock)


def sid(n: int) -> str:
    return f"SM{n:032x}"


def respondent(n: int) -> str:
    return f"+614{n:08d}"


def conversation(n: int) -> Conversation:
    return Conversation(respondent=respondent(n), number=OUR_NUMBER, interaction_id=n)


async def message(
    store: MemoryConversationStore, n: int, who: int = 0, save: bool = False
) -> MessageTurn:
    """Message ``n`` from respondent ``who``, replied to with ``reply n`` (the
    conversation saved too, with ``save``); the turn as ``receive`` gave it."""
    key = conversation_key(respondent(who), OUR_NUMBER)
    async with store.receive(sid(n), key, wait=1.0, idle_ttl=IDLE_TTL) as turn:
        if turn.first:
            turn.conclude(f"reply {n}", conversation(who) if save else None)
    return turn


async def fill(store: MemoryConversationStore, total: int, conversations: int = 0) -> None:
    """``total`` messages replied to (the last ``conversations`` of them each
    saving its respondent's conversation), written as a message's end writes
    them: quicker than ``message`` for a store's worth of them."""
    for n in range(total):
        saved = conversation(n) if n >= total - conversations else None
        await store.finish(sid(n), f"reply {n}", saved, IDLE_TTL)


async def test_a_messagesid_is_remembered_for_its_ttl_then_forgotten(
    store: MemoryConversationStore, clock: Clock
) -> None:
    assert (await message(store, 1)).first
    clock.now += MESSAGE_TTL - 1
    repeat = await message(store, 1)
    assert (repeat.first, repeat.stored_reply) == (False, "reply 1")
    clock.now += 1  # a week after its reply, as in Redis: applied as new
    assert await store.reply_for(sid(1)) is None
    assert (await message(store, 1)).first


async def test_a_conversation_lives_its_idle_time_and_the_grace(
    store: MemoryConversationStore, clock: Clock
) -> None:
    await message(store, 1, who=7, save=True)
    key = conversation_key(respondent(7), OUR_NUMBER)
    clock.now += IDLE_TTL + GRACE - 1
    assert await store.load(key) == conversation(7)
    clock.now += 1
    assert await store.load(key) is None


async def test_an_opt_out_lives_its_ttl(store: MemoryConversationStore, clock: Clock) -> None:
    await store.set_opt_out(respondent(1), True)
    clock.now += OPT_OUT_TTL - 1
    assert await store.is_opted_out(respondent(1))
    clock.now += 1
    assert not await store.is_opted_out(respondent(1))


async def test_messagesids_are_bounded_and_dedup_holds_for_the_recent_ones(
    store: MemoryConversationStore,
) -> None:
    """100,000 distinct messages: exactly the last MAX_MESSAGES are remembered,
    and a repeat of any of them still gets its stored reply, never a second apply."""
    total = 100_000
    await fill(store, total)
    oldest_kept = total - MAX_MESSAGES
    assert await store.reply_for(sid(oldest_kept)) == f"reply {oldest_kept}"
    assert await store.reply_for(sid(oldest_kept - 1)) is None
    for n in (oldest_kept, total - 1):
        repeat = await message(store, n)
        assert (repeat.first, repeat.stored_reply) == (False, f"reply {n}")
    # The next new message pushes out the oldest kept one, and only that one.
    assert (await message(store, total)).first
    assert await store.reply_for(sid(oldest_kept)) is None
    assert await store.reply_for(sid(oldest_kept + 1)) == f"reply {oldest_kept + 1}"


async def test_a_repeat_while_the_first_is_in_flight_waits_at_any_size(
    store: MemoryConversationStore,
) -> None:
    await fill(store, MAX_MESSAGES + 10)
    key = conversation_key(respondent(1), OUR_NUMBER)
    async with store.receive(sid(-1), key, wait=1.0, idle_ttl=IDLE_TTL) as first:
        assert first.first
        repeat = await message(store, -1)
        assert (repeat.first, repeat.stored_reply) == (False, None)  # in flight
        first.conclude("the reply", None)
    assert await store.reply_for(sid(-1)) == "the reply"


async def test_conversations_and_their_due_entries_are_bounded(
    store: MemoryConversationStore,
) -> None:
    total = MAX_CONVERSATIONS + 5_000
    await fill(store, total, conversations=total)
    first_kept = total - MAX_CONVERSATIONS
    assert await store.load(conversation_key(respondent(first_kept), OUR_NUMBER)) is not None
    assert await store.load(conversation_key(respondent(first_kept - 1), OUR_NUMBER)) is None
    # Every conversation is active, so all are due long after; only those
    # still held are offered to the sweeper.
    due = await store.take_due(now=1e12, limit=total, lease=60)
    assert len(due) == MAX_CONVERSATIONS
    assert due[0] == conversation_key(respondent(first_kept), OUR_NUMBER)


async def test_opt_outs_are_bounded(store: MemoryConversationStore) -> None:
    total = MAX_OPT_OUTS + 1_000
    for n in range(total):
        await store.set_opt_out(respondent(n), True)
    assert await store.is_opted_out(respondent(total - MAX_OPT_OUTS))
    assert not await store.is_opted_out(respondent(total - MAX_OPT_OUTS - 1))


async def _work_per_message(store: MemoryConversationStore, n: int) -> int:
    with counting_opcodes() as counted:
        await message(store, n, who=1, save=True)
    return counted.count


async def test_work_per_message_does_not_grow_with_what_is_held(clock: Clock) -> None:
    """Counted in bytecode run in gateway/, not time: rebuilding or scanning
    what the store holds would be hundreds of thousands of opcodes."""
    small = MemoryConversationStore(clock=clock)
    big = MemoryConversationStore(clock=clock)
    await fill(small, 1_000, conversations=1_000)
    # Past the bounds of both: each message also evicts.
    await fill(big, 100_000, conversations=MAX_CONVERSATIONS + 100)
    work = await _work_per_message(small, 10**6)
    assert 0 < work < 2_000
    assert abs(await _work_per_message(big, 10**6) - work) < 50
