"""The event loop the long-running commands run on: uvloop when it is installed.

uvloop (``pip install 'sdx-twilio-gateway[uvloop]'``, as the Docker image
does) is libuv under asyncio's interface; measured with ``bench/cpu.py`` it
takes 4-6% off the CPU of a turn (README, Performance). Without it the
standard loop runs, and nothing else changes.
"""

from __future__ import annotations

import asyncio
import importlib


def use_fast_loop() -> str:
    """Make new event loops uvloop's, if uvloop is installed; returns the loop's name."""
    try:
        uvloop = importlib.import_module("uvloop")
    except ImportError:
        return "asyncio"
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return "uvloop"
