"""The gateway's Redis clients, and the options every one of them is made with.

redis-py (8.x) enables "maintenance notifications" (a Redis Enterprise
feature) in an "auto" mode by default. Besides an extra command on every new
connection, that mode switches off the pool's check that a pooled
connection is still open: after Redis restarted, or closed connections idle
past its ``timeout`` setting (common on managed Redis), the first command on
each stale connection failed with "Connection closed by server", and the
respondent got an apology although Redis was up (tests/faults/
test_redis_restart.py). With notifications off, the pool sees the closed
socket and reconnects before sending anything, so nothing is ever resent.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

import hiredis
from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.connection import AbstractConnection, Connection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.maint_notifications import MaintNotificationsConfig


def client_options() -> dict[str, Any]:
    """Keyword arguments for ``Redis.from_url`` and ``ConnectionPool.from_url``."""
    return {"maint_notifications_config": MaintNotificationsConfig(enabled=False)}


def server_redis(url: str) -> Redis:
    """The webhook server's client: a bounded pool shared by every turn.

    In a burst a turn waits briefly for a connection instead of failing with
    "Too many connections" (the benchmark saw throughput collapse that way
    past saturation). No health_check_interval: its PING would add a round
    trip to the first turn after an idle spell; a connection the server
    closed is noticed when it leaves the pool (see above).
    """
    pool = TurnPool.from_url(
        url,
        max_connections=200,
        timeout=2.0,
        socket_timeout=2.0,
        socket_connect_timeout=2.0,
        **client_options(),
    )
    return TurnRedis(pool)


class TurnPool(ConnectionPool):
    """redis-py's pool with a short way to a connection and back.

    ``BlockingConnectionPool`` takes a condition, a lock and a timeout and
    records four observability events for every command: a GET through it
    cost 297k instructions against 241k through the plain pool and 28k for
    the same round trip on a bare asyncio stream (callgrind, one process,
    local Redis). Here a semaphore bounds the connections (waiting at most
    ``timeout`` for one, as the blocking pool did), idle ones are reused last
    in first out, and each still passes redis-py's own ``ensure_connection``
    on the way out: a socket the server closed is reconnected before
    anything is sent on it.
    """

    def __init__(self, *, max_connections: int, timeout: float, **kwargs: Any) -> None:
        super().__init__(max_connections=max_connections, **kwargs)
        self._slots = asyncio.Semaphore(max_connections)
        self._wait = timeout
        self._idle: list[Connection] = []
        self._made: list[Connection] = []

    async def get_connection(self, *_: Any, **__: Any) -> Connection:
        if self._slots.locked():
            try:
                async with asyncio.timeout(self._wait):
                    await self._slots.acquire()
            except TimeoutError:
                raise RedisConnectionError("No connection available.") from None
        else:
            await self._slots.acquire()  # free: returns at once
        if self._idle:
            connection = self._idle.pop()
        else:
            connection = self.make_connection()  # type: ignore[no-untyped-call]
            self._made.append(connection)
        try:
            await self.ensure_connection(connection)
        except BaseException:
            await self.release(connection)
            raise
        return connection

    async def release(self, connection: AbstractConnection) -> None:
        self._idle.append(cast(Connection, connection))  # one this pool made
        self._slots.release()

    async def disconnect(self, inuse_connections: bool = True) -> None:
        closing = self._made if inuse_connections else self._idle
        await asyncio.gather(*(c.disconnect() for c in closing), return_exceptions=True)


class TurnRedis(Redis):
    """A command sent and its reply read on a pooled connection, and nothing else.

    ``Redis.execute_command`` wraps each command in a retry policy (the
    gateway's has no retries: a write is never sent twice), an event
    dispatch and observability records: 55k instructions a command. This
    keeps what matters of it: a connection failure or a timeout disconnects
    the connection (redis-py's connection has already done so) and is raised
    unchanged; an error reply (NOSCRIPT) leaves it in the pool, its reply
    read. Pipelines and scripts go through the same pool.
    """

    def __init__(self, pool: TurnPool) -> None:
        super().__init__(connection_pool=pool)
        self._pool = pool

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        pool = self._pool
        connection = await pool.get_connection()
        try:
            if not _written(connection, args):
                await connection.send_command(*args)
            return await self.parse_response(connection, args[0], **options)
        except (RedisConnectionError, RedisTimeoutError, OSError):
            await connection.disconnect()
            raise
        finally:
            await pool.release(connection)


def _written(connection: Connection, args: tuple[Any, ...]) -> bool:
    """Hand the command to an open connection whose send buffer is empty; False if
    it is not such a one (redis-py's ``send_command`` then sends it, or fails).

    redis-py writes each command under ``asyncio.wait_for`` (its
    ``socket_timeout``), which on Python 3.11 runs the write as a task of
    its own: three trips through the event loop for a write that never
    waits. A command to an empty buffer is passed to the socket at once; if
    it does not all fit, the transport sends the rest as the socket drains,
    and the reply, which Redis sends only once it has read all of it, is
    still awaited under the timeout.
    """
    writer = connection._writer
    if writer is None or writer.transport.is_closing():
        return False
    if writer.transport.get_write_buffer_size():
        return False
    writer.writelines(_packed(connection, args))
    return True


# What redis-py's encoder turns into bytes as hiredis's packer does itself.
_PLAIN_ARGS = frozenset({str, bytes, int})


def _packed(connection: Connection, args: tuple[Any, ...]) -> list[bytes]:
    """The command in Redis's protocol, as ``connection.pack_command`` packs it.

    redis-py hands hiredis's C packer each argument through its encoder, a
    Python call apiece: 21 us for an SMS turn's last batch of 35 arguments,
    4.5 us for them given straight to hiredis. Only plain arguments with
    the default encoding (UTF-8, strict) go straight; anything else, and a
    first argument of two words ("SCRIPT LOAD"), goes through redis-py.
    """
    encoder = connection.encoder
    if (
        encoder.encoding == "utf-8"
        and encoder.encoding_errors == "strict"
        and type(args[0]) is str
        and " " not in args[0]
        and all(type(arg) in _PLAIN_ARGS for arg in args)
    ):
        return [hiredis.pack_command(args)]
    return connection.pack_command(*args)


def worker_redis(url: str) -> Redis:
    """The dispatcher's client: few connections, patient with a slow Redis."""
    return Redis.from_url(url, socket_timeout=5.0, socket_connect_timeout=2.0, **client_options())
