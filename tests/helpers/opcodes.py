"""Counting the bytecode a piece of our code runs: work measured without a clock.

A test that a step costs the same whatever a store holds counts the opcodes
executed in ``gateway/`` while the step runs: a scan, sort or rebuild of a
dict shows up as thousands of them, on any machine, at any load. Only
frames of files under ``root`` are counted (the standard library, asyncio
and pydantic's own work are left out: they are not what a test is about).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

GATEWAY = Path(__file__).resolve().parents[2] / "gateway"


@dataclass
class Opcodes:
    count: int = 0


@contextmanager
def counting_opcodes(root: Path = GATEWAY) -> Iterator[Opcodes]:
    counted = Opcodes()
    prefix = str(root)

    def opcode(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "opcode":
            counted.count += 1
        return opcode

    def call(frame: FrameType, event: str, arg: Any) -> Any:
        if not frame.f_code.co_filename.startswith(prefix):
            return None  # not ours: its opcodes are not counted
        frame.f_trace_opcodes = True
        frame.f_trace_lines = False
        return opcode

    previous = sys.gettrace()
    sys.settrace(call)
    try:
        yield counted
    finally:
        sys.settrace(previous)
