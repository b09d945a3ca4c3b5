"""The whole outbound loop offline: SDX sandbox, Twilio emulator, gateway, dispatcher, Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from gateway.config import Settings
from gateway.dispatch.worker import Dispatcher, DispatchTuning
from gateway.run import create_app
from gateway.run.components import build_dispatcher, build_stores
from gateway.run.connections import sdx_client
from gateway.sandbox.sdx import SandboxState
from gateway.sandbox.twilio import TWILIO_STATE, TwilioState, create_twilio_emulator
from gateway.state.conversations_redis import RedisConversationStore
from gateway.twilio.rest import TwilioRest
from tests.helpers.flavours import sdx_flavour  # noqa: F401  (every test here runs on both)
from tests.helpers.servers import free_port
from tests.helpers.settings import make_settings


@dataclass
class World:
    settings: Settings
    sdx: SandboxState
    twilio: TwilioState
    redis: Redis
    make_dispatcher: Callable[..., Dispatcher]
    conversations: RedisConversationStore
    emulator: TestServer  # the Twilio emulator's server (a test may stop it)

    async def dispatch_all(self, dispatcher: Dispatcher | None = None) -> int:
        """One poll, then consume until the stream is empty; calls then play out."""
        dispatcher = dispatcher or self.make_dispatcher()
        await dispatcher.poll_once()
        handled = 0
        while await dispatcher.consume_once("test-consumer"):
            handled += 1
        await self.twilio.settle()
        return handled


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    """A client of the test session's redis-server (emptied for each test)."""
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def world(
    request: pytest.FixtureRequest,
    sandbox_server: TestServer,
    sandbox: SandboxState,
    redis_url: str,
    aiohttp_server: Any,
) -> AsyncIterator[World]:
    """The world; settings overrides come as an indirect parameter, if any."""
    overrides: dict[str, Any] = getattr(request, "param", {})
    emulator = await aiohttp_server(create_twilio_emulator())
    port = free_port()
    settings = make_settings(
        sdx_api_url=str(sandbox_server.make_url("/api")),
        twilio_api_url=str(emulator.make_url("")).rstrip("/"),
        gateway_public_url=f"http://127.0.0.1:{port}",
        redis_url=redis_url,
        **{
            "gateway_call_window": "00:00-24:00",
            "gateway_calls_per_second": 50,
            "gateway_retry_delay": 1,
            **overrides,
        },
    )
    gateway = TestServer(create_app(settings), port=port)
    await gateway.start_server()
    redis = Redis.from_url(redis_url)
    twilio = TwilioRest(settings)
    await twilio.start()
    session = aiohttp.ClientSession()
    conversations = RedisConversationStore(redis, prefix=settings.gateway_redis_prefix)
    attempts = build_stores(settings, redis).attempts

    def make(name: str = "test", **tuning: Any) -> Dispatcher:
        values: dict[str, Any] = {"rate": settings.gateway_calls_per_second, "block": 0.05}
        values.update(tuning)
        return build_dispatcher(
            settings,
            sdx_client(settings, session),
            redis,
            twilio,
            conversations,
            attempts=attempts,
            tuning=DispatchTuning(**values),
            name=name,
        )

    state: TwilioState = emulator.app[TWILIO_STATE]
    yield World(settings, sandbox, state, redis, make, conversations, emulator)
    await state.settle()
    await gateway.close()
    await session.close()
    await twilio.close()
    await redis.aclose()
