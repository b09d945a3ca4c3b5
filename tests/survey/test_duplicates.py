"""Waiting for a duplicate's first reply."""

from __future__ import annotations

import asyncio

from gateway.survey.duplicates import wait_for_reply


async def test_returns_as_soon_as_the_first_delivery_is_done() -> None:
    replies: list[str | None] = [None, None, "<Response />"]
    fetched = 0

    async def fetch() -> str | None:
        nonlocal fetched
        fetched += 1
        return replies[min(fetched, len(replies)) - 1]

    started = asyncio.get_running_loop().time()
    reply = await wait_for_reply(fetch, lambda r: r is not None, wait=5, poll=0.01)
    assert reply == "<Response />"
    assert fetched == 3
    assert asyncio.get_running_loop().time() - started < 1


async def test_gives_up_after_the_wait_with_the_last_value() -> None:
    async def fetch() -> int:
        return 7

    started = asyncio.get_running_loop().time()
    assert await wait_for_reply(fetch, lambda n: n > 7, wait=0.05, poll=0.01) == 7
    assert asyncio.get_running_loop().time() - started >= 0.05
