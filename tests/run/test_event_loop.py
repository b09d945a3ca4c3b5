"""The long-running commands' event loop: uvloop when installed, else asyncio's own."""

from __future__ import annotations

import subprocess
import sys

PROBE = (
    "import asyncio, sys\n"
    "{block}"
    "from gateway.run.event_loop import use_fast_loop\n"
    "name = use_fast_loop()\n"
    "loop = asyncio.new_event_loop()\n"
    "print(name, type(loop).__module__.split('.')[0])\n"
)


def _probe(block: str = "") -> str:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(block=block)],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return result.stdout.strip()


def test_uvloop_runs_the_loop_when_installed() -> None:
    assert _probe() == "uvloop uvloop"


def test_without_uvloop_the_standard_loop_runs() -> None:
    assert _probe("sys.modules['uvloop'] = None\n") == "asyncio asyncio"
