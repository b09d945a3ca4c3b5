"""The webhook server's Redis client (TurnPool, TurnRedis) on a real redis-server.

What the short way to a connection must keep from redis-py's own: a bound
on connections with a wait for one, a connection the server closed
reconnected before anything is sent, no reply left behind for the next
command, error replies that leave the connection usable, everything closed
at the end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis
from redis.asyncio.connection import Connection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from gateway.state.redis_client import (
    TurnPool,
    TurnRedis,
    _packed,
    client_options,
    server_redis,
)


def turn_redis(url: str, *, connections: int, wait: float = 2.0) -> TurnRedis:
    pool = TurnPool.from_url(url, max_connections=connections, timeout=wait, **client_options())
    return TurnRedis(pool)


@pytest.fixture
def observer(redis: Redis) -> Redis:
    """A separate plain client (tests/state/conftest.py), to look at the server from outside."""
    return redis


async def clients(observer: Redis) -> int:
    """Connections the server has, the observer's own left out."""
    return len(await observer.client_list()) - 1


async def test_commands_scripts_and_pipelines_work_through_it(redis_url: str) -> None:
    redis = server_redis(redis_url)
    assert isinstance(redis, TurnRedis)
    assert await redis.set("k", "v", ex=60)
    assert await redis.get("k") == b"v"
    assert await redis.hmget("missing", "a", "b") == [None, None]
    script = redis.register_script("return redis.call('GET', KEYS[1])")
    assert await script(keys=["k"]) == b"v"
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr("n").incr("n")
        assert await pipe.execute() == [1, 2]
    await redis.aclose()
    await redis.connection_pool.aclose()


async def test_a_burst_waits_for_a_connection_within_the_bound(
    redis_url: str, observer: Redis
) -> None:
    redis = turn_redis(redis_url, connections=2)
    await asyncio.gather(*(redis.incr("n") for _ in range(50)))
    assert await observer.get("n") == b"50"
    assert await clients(observer) == 2  # never more than the bound
    await redis.connection_pool.aclose()
    assert await clients(observer) == 0  # every connection closed


async def test_no_free_connection_within_the_wait_is_an_error(redis_url: str) -> None:
    redis = turn_redis(redis_url, connections=1, wait=0.2)
    pool = redis.connection_pool
    held = await pool.get_connection()
    waiting = asyncio.create_task(redis.get("k"))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    with pytest.raises(RedisConnectionError, match="No connection available"):
        await waiting
    # Given back, it serves the next command at once.
    await pool.release(held)
    assert await asyncio.wait_for(redis.set("k", "v"), 1)
    await pool.aclose()


async def test_a_connection_the_server_closed_is_reopened_before_sending(
    redis_url: str, observer: Redis
) -> None:
    redis = turn_redis(redis_url, connections=1)
    assert await redis.incr("n") == 1
    assert await observer.client_kill_filter(_type="normal", skipme=True) == 1
    await asyncio.sleep(0.05)  # the close reaches the client's socket
    assert await redis.incr("n") == 2  # sent once, on a new connection
    assert await observer.get("n") == b"2"
    await redis.connection_pool.aclose()


async def test_a_cancelled_command_leaves_no_reply_for_the_next(
    redis_url: str, observer: Redis
) -> None:
    redis = turn_redis(redis_url, connections=1)
    await redis.set("k", "v")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(redis.blpop(["queue"], timeout=2), 0.1)
    await observer.rpush("queue", "late")  # the reply the cancelled BLPOP never read
    assert await redis.get("k") == b"v"
    assert await redis.get("k") == b"v"
    await redis.connection_pool.aclose()


async def test_an_error_reply_leaves_the_connection_usable(redis_url: str, observer: Redis) -> None:
    redis = turn_redis(redis_url, connections=1)
    await redis.set("text", "not a number")
    with pytest.raises(ResponseError):
        await redis.incr("text")
    assert await redis.get("text") == b"not a number"
    script = redis.register_script("return 7")
    assert await script() == 7
    await observer.script_flush()
    assert await script() == 7  # NOSCRIPT: loaded again, run once
    assert await clients(observer) == 1
    await redis.connection_pool.aclose()


async def test_a_command_larger_than_the_socket_buffer_is_sent_whole(redis_url: str) -> None:
    # Handed to the socket without waiting for it to drain: the transport
    # sends the rest, and the reply comes once Redis has read it all.
    redis = turn_redis(redis_url, connections=1)
    value = b"0123456789abcdef" * 500_000  # 8 MB
    assert await redis.set("big", value)
    assert await redis.strlen("big") == len(value)
    assert await redis.get("big") == value
    await redis.connection_pool.aclose()


async def test_a_reply_that_does_not_come_in_time_is_a_timeout(
    redis_url: str, observer: Redis
) -> None:
    pool = TurnPool.from_url(
        redis_url, max_connections=1, timeout=2.0, socket_timeout=0.2, **client_options()
    )
    redis = TurnRedis(pool)
    assert await redis.set("k", "v")
    await observer.execute_command("CLIENT", "PAUSE", 600, "WRITE")
    with pytest.raises(RedisTimeoutError):
        await redis.set("k", "w")  # written; Redis holds it past the timeout
    # The connection was dropped, and Redis drops a closed client's held
    # command: the next one goes on a new connection once the pause ends.
    assert await redis.get("k") == b"v"
    assert await clients(observer) == 1
    await pool.aclose()


_ARG = (
    st.text(max_size=12)  # lone surrogates included: refused alike
    | st.binary(max_size=12)
    | st.integers(min_value=-(10**25), max_value=10**25)
    | st.floats(allow_nan=False)  # these go through redis-py's encoder
    | st.booleans()  # which refuses them
)


@settings(derandomize=True, max_examples=400, deadline=None)
@given(
    name=st.sampled_from(["EVALSHA", "SET", "script load", "SCRIPT LOAD"]),
    args=st.lists(_ARG, max_size=8),
)
def test_a_command_is_packed_as_redis_py_packs_it(name: str, args: list[Any]) -> None:
    connection = Connection()
    command = (name, *args)

    def packed(pack: Callable[[], list[bytes]]) -> bytes | str:
        try:
            return b"".join(pack())
        except Exception as exc:  # the same refusal, whichever way
            return type(exc).__name__

    assert packed(lambda: _packed(connection, command)) == packed(
        lambda: connection.pack_command(*command)
    )
