"""Background loops that always stop when shutdown cancels them.

A loop that survives errors (``except Exception: log, sleep, go on``) can
swallow its own cancellation: a cancel that lands inside a library call can
come out as another exception (redis-py turns a cancelled socket write into
"ConnectionError: Connection lost"), the loop logs it and sleeps again, and
shutdown waits for it for ever. That hung the test suite's teardown (and CI)
once. So the loops check ``cancel_requested`` before carrying on, and
shutdown waits for them a bounded time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from gateway.logging import get_logger

log = get_logger(__name__)


def cancel_requested() -> bool:
    """True once the running task was asked to stop, whatever became of the CancelledError."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


async def stop_tasks(tasks: Iterable[asyncio.Task[None]], grace: float = 5.0) -> None:
    """Cancel ``tasks`` and wait for them, at most ``grace`` seconds."""
    pending = [task for task in tasks if not task.done()]
    for task in pending:
        task.cancel()
    if not pending:
        return
    _, stuck = await asyncio.wait(pending, timeout=grace)
    for task in stuck:
        log.error("background_task_did_not_stop", task=task.get_name())
