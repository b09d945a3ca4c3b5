"""Background loops stop when cancelled, even when the cancel comes out as another error."""

from __future__ import annotations

import asyncio
import contextlib
import time

from redis.exceptions import ConnectionError as RedisConnectionError

from gateway.background import cancel_requested, stop_tasks
from gateway.sdx import SdxClient
from gateway.sms.expiry import SmsExpiry
from gateway.state.conversations_memory import MemoryConversationStore


class CancelBecomesConnectionError(MemoryConversationStore):
    """What redis-py does when a task is cancelled in the middle of a socket write."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = asyncio.Event()

    async def take_due(self, now: float, limit: int, lease: float) -> list[str]:
        self.entered.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            raise RedisConnectionError("Error UNKNOWN while writing to socket.") from None
        return []


async def test_the_sms_sweeper_stops_although_its_cancel_became_an_error(sdx: SdxClient) -> None:
    store = CancelBecomesConnectionError()
    expiry = SmsExpiry(sdx=sdx, store=store, idle_ttl=600, interval=60)
    task = asyncio.create_task(expiry.run())
    await asyncio.wait_for(store.entered.wait(), 5)
    task.cancel()
    # Before: the loop logged "sms_sweep_failed", slept 60 s and swept again, for ever.
    done, _ = await asyncio.wait([task], timeout=5)
    assert done == {task}
    assert task.cancelled()


async def test_cancel_requested_outlives_a_swallowed_cancel() -> None:
    seen: list[bool] = []

    async def loop() -> None:
        with contextlib.suppress(asyncio.CancelledError):  # as a library might
            await asyncio.sleep(30)
        seen.append(cancel_requested())

    task = asyncio.create_task(loop())
    await asyncio.sleep(0)
    assert not task.done()
    task.cancel()
    await asyncio.wait_for(task, 5)
    assert seen == [True]


async def test_stop_tasks_waits_a_bounded_time_for_a_task_that_will_not_stop() -> None:
    release = asyncio.Event()

    async def stubborn() -> None:
        while not release.is_set():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(30)

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    started = time.monotonic()
    await stop_tasks([task], grace=0.2)
    assert 0.2 <= time.monotonic() - started < 2
    assert not task.done()  # still running: shutdown went on without it
    release.set()
    task.cancel()
    await asyncio.wait_for(task, 5)
