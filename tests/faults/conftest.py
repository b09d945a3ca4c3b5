"""Shared pieces of the fault suite: the SDX steps, the faults, and the checks.

Every case runs the real gateway app (aiohttp test server) against the SDX
sandbox over HTTP and a private redis-server, with short SDX timeouts so a
"slow SDX" case costs about a second.
"""

from __future__ import annotations

import asyncio
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from gateway.sandbox.sdx import Fault, SandboxState
from tests.helpers.servers import RedisServer

# Short enough to keep the suite fast, long enough to be stable on 2 cores.
SDX_TIMEOUT = 0.3
DEADLINE = 1.5
# A faulted webhook must be answered within the deadline plus this slack.
REPLY_BOUND = DEADLINE + 1.0
# A "slow SDX" delay: past SDX_TIMEOUT, so the gateway gives up on the attempt.
SLOW = 0.6

FAST = {"gateway_sdx_timeout": SDX_TIMEOUT, "gateway_webhook_deadline": DEADLINE}

LIST = ("GET", r"/interactions")
CREATE = ("POST", r"/interactions")
START = ("POST", r"/interactions/\d+/start_survey")
SUBMIT = ("POST", r"/interactions/\d+/submit_response")
ABANDON = ("POST", r"/interactions/\d+/abandon_survey")

# The seeded interactions and the sandbox's prompts the restart cases follow.
VOICE_SEEDED, SMS_SEEDED = 1001, 1003
Q2, Q3 = "On a scale of 1 to 5", "Was your issue resolved?"
SMS_Q1 = "How likely are you to recommend us to a friend, from 0 to 10?"
SMS_Q2 = "On a scale of 1 to 5, how satisfied were you with your delivery?"
SMS_Q3 = "Was your issue resolved? Reply YES or NO."
THANKS = ["Thanks for your feedback!"]

STEPS = {"list": LIST, "create": CREATE, "start": START, "submit": SUBMIT, "abandon": ABANDON}


@dataclass(frozen=True)
class Kind:
    """One way SDX misbehaves; ``applied``: SDX made the change anyway."""

    name: str
    status: int | None = None
    delay: float = 0.0
    after: bool = False
    drop: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    applied: bool = False

    def fault(self, step: str) -> Fault:
        method, path = STEPS[step]
        return Fault(
            method=method,
            path=path,
            status=self.status,
            delay=self.delay,
            after=self.after,
            drop=self.drop,
            headers=dict(self.headers),
        )


KINDS = [
    Kind("500", status=500),
    Kind("503", status=503),
    Kind("429-retry-after-0", status=429, headers={"Retry-After": "0"}),
    # The request waits, then is handled anyway: the gateway timed out, SDX acted.
    Kind("timeout", delay=SLOW, applied=True),
    Kind("dropped", drop=True),
]
# "Applied, but the reply was lost or late": only where a repeat would do harm.
LOST = [
    Kind("applied-reply-502", status=502, after=True, applied=True),
    Kind("applied-reply-late", delay=SLOW, after=True, applied=True),
]
UNSAFE_STEPS = {"create", "submit", "abandon"}


def unnoticed(step: str, kind: Kind) -> bool:
    """The change was applied and only its reply lost, or it landed soon after:
    the gateway asks SDX where things stand (an answer for a while), finds
    it, and the respondent carries on without noticing."""
    if not kind.applied:
        return False
    return step == "submit" or (kind.after and step == "create")


def table() -> list[Any]:
    cases = []
    for step in STEPS:
        kinds = KINDS + (LOST if step in UNSAFE_STEPS else [])
        cases.extend(pytest.param(step, kind, id=f"{step}-{kind.name}") for kind in kinds)
    return cases


def requests_to(sandbox: SandboxState, step: str) -> list[Any]:
    method, path = STEPS[step]
    return [r for r in sandbox.requests if r.method == method and re.fullmatch(path, r.path)]


def applied(sandbox: SandboxState, step: str, kind: Kind | None) -> int:
    """How many requests of ``step`` SDX acted on: answered 2xx, or faulted-but-applied."""
    total = 0
    for record in requests_to(sandbox, step):
        if record.faulted:
            total += int(kind is not None and kind.applied)
        elif record.status is not None and 200 <= record.status < 300:
            total += 1
    return total


async def settle(sandbox: SandboxState) -> None:
    """Let delayed requests the gateway gave up on reach SDX (they still act)."""
    for _ in range(100):
        if not sandbox.in_flight:
            break
        await asyncio.gather(*list(sandbox.in_flight), return_exceptions=True)
        await asyncio.sleep(0)
    await asyncio.sleep(0.05)


def parse_twiml(text: str) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag == "Response"
    return root


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server for this test alone, so it can be stopped, killed or restarted."""
    directory = tmp_path / "private-redis"
    directory.mkdir()
    server = RedisServer(directory)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """What the fault checker ran (tests/faults/test_checker.py), when it ran."""
    stats = sys.modules.get("tests.faults.checker_stats")
    if stats is not None and stats.STATS.examples:
        for line in stats.STATS.report():
            terminalreporter.write_line(line)
