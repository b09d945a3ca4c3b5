"""A switchable TCP proxy, for tests: "SDX is down, nothing listens".

    proxy = TcpProxy("127.0.0.1", sandbox_port)
    await proxy.up()          # listens on proxy.port, forwards to the target
    await proxy.down()        # nothing listens: a connect gets ECONNREFUSED
    await proxy.up()          # listens again on the same port

``down()`` closes the listening socket *and* every live proxied connection
(both halves), so keep-alive connections a client holds in its pool die too:
after ``down()`` no byte reaches the target until ``up()``. Plain asyncio
streams; nothing here knows about HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib

from tests.helpers.servers import free_port

# Every wait of the proxy is bounded: a test never hangs on it.
CONNECT_TIMEOUT = 5.0
CLOSE_TIMEOUT = 5.0
CHUNK = 64 * 1024


class TcpProxy:
    def __init__(
        self, target_host: str, target_port: int, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.host = host
        self.port = port or free_port()
        self.accepted = 0  # connections accepted while up, over the proxy's life
        self._server: asyncio.Server | None = None
        self._transports: set[asyncio.WriteTransport] = set()
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def is_up(self) -> bool:
        return self._server is not None

    def url(self, path: str = "") -> str:
        return f"http://{self.host}:{self.port}{path}"

    @property
    def live_connections(self) -> int:
        """Proxied connections open now (each counts its two halves once)."""
        return len(self._handlers)

    async def up(self) -> None:
        """Listen on ``self.port`` (the same port every time)."""
        if self._server is not None:
            return
        # SO_REUSEADDR (asyncio's default on POSIX): the port can be bound again
        # at once although connections closed by down() sit in TIME_WAIT.
        self._server = await asyncio.wait_for(
            asyncio.start_server(self._handle, self.host, self.port, reuse_address=True),
            CONNECT_TIMEOUT,
        )

    async def down(self) -> None:
        """Stop listening and cut every proxied connection, as if the host died."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()  # the listening socket: new connects are refused from now on
        for transport in list(self._transports):
            transport.abort()  # no FIN dance, no buffered bytes flushed: gone
        handlers = list(self._handlers)
        if handlers:
            await asyncio.wait(handlers, timeout=CLOSE_TIMEOUT)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(server.wait_closed(), CLOSE_TIMEOUT)

    async def close(self) -> None:
        await self.down()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        client = writer.transport
        self._transports.add(client)
        upstream: asyncio.WriteTransport | None = None
        try:
            if not self.is_up:  # accepted just before down(): it dies with the rest
                return
            self.accepted += 1
            try:
                target_reader, target_writer = await asyncio.wait_for(
                    asyncio.open_connection(self.target_host, self.target_port),
                    CONNECT_TIMEOUT,
                )
            except (OSError, TimeoutError):
                return
            upstream = target_writer.transport
            self._transports.add(upstream)
            if not self.is_up or client.is_closing():  # down() ran while we connected
                return
            await asyncio.gather(
                self._pipe(reader, target_writer), self._pipe(target_reader, writer)
            )
        except Exception:  # a proxy never lets an error escape into the event loop
            return
        finally:
            for transport in (client, upstream):
                if transport is not None:
                    transport.abort()
                    self._transports.discard(transport)
            self._handlers.discard(task)

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Copy one direction; pass a half-close on, and a reset to both sides."""
        try:
            while data := await reader.read(CHUNK):
                writer.write(data)
                await writer.drain()
            if writer.can_write_eof() and not writer.transport.is_closing():
                writer.write_eof()
        except (ConnectionError, OSError):
            writer.transport.abort()
