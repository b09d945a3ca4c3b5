"""Dispatcher benchmark: real `gateway dispatch` processes, real Redis, the sandbox.

For each (processes, rate) case: N due outbound interactions are created in
the SDX sandbox, P dispatcher processes are started against one Redis, and
the Twilio emulator records when each call request arrived. Reported: calls
placed, interactions dialled more than once, the busiest one-second window
(must never exceed the rate), the achieved rate, and how long the
processes took to stop after SIGTERM.

    .venv/bin/python bench/dispatch.py            # writes bench/dispatch-results.json
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from aiohttp import web

from gateway.sandbox.app import create_sandbox, twilio_state
from gateway.sandbox.credentials import (
    DEMO_AUTH_TOKEN,
    DEMO_CUSTOMER_UUID,
    DEMO_TWILIO_ACCOUNT_SID,
    DEMO_TWILIO_AUTH_TOKEN,
)
from gateway.sandbox.sdx import SANDBOX_STATE

CASES = [(2, 10.0), (2, 50.0), (3, 50.0)]
INTERACTIONS = 200
RESULTS = Path(__file__).with_name("dispatch-results.json")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_redis(directory: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server is not installed")
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            directory,
        ],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    return process, port


def busiest_second(times: list[float]) -> int:
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t < start + 1.0) for i, start in enumerate(times))


def achieved(times: list[float]) -> float:
    if len(times) < 2:
        return 0.0
    return round((len(times) - 1) / (times[-1] - times[0]), 2)


async def run_case(processes: int, rate: float, redis_port: int) -> dict[str, Any]:
    sandbox = create_sandbox()
    runner = web.AppRunner(sandbox)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    twilio = twilio_state(sandbox)
    twilio.default_outcome = "hold"  # nobody answers: only the dialling is measured
    store = sandbox[SANDBOX_STATE].store
    numbers = {f"+6142{n:07d}" for n in range(INTERACTIONS)}
    for number in sorted(numbers):
        store.create_interaction(53, survey_type="outbound", phone_number=number)
    env = {
        **os.environ,
        "SDX_API_URL": f"http://127.0.0.1:{port}/api",
        "SDX_CUSTOMER_UUID": DEMO_CUSTOMER_UUID,
        "SDX_AUTH_TOKEN": DEMO_AUTH_TOKEN,
        "TWILIO_ACCOUNT_SID": DEMO_TWILIO_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": DEMO_TWILIO_AUTH_TOKEN,
        "TWILIO_API_URL": f"http://127.0.0.1:{port}/twilio",
        "GATEWAY_PUBLIC_URL": "https://gw.example.com",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "GATEWAY_REDIS_PREFIX": f"bench{processes}x{int(rate)}:",
        "GATEWAY_CALLS_PER_SECOND": str(rate),
        "GATEWAY_CALL_WINDOW": "00:00-24:00",
        "GATEWAY_DISPATCH_INTERVAL": "2",
        "GATEWAY_DISPATCH_CONCURRENCY": "8",
        "LOG_LEVEL": "WARNING",
    }
    workers = [
        subprocess.Popen([sys.executable, "-m", "gateway", "dispatch"], env=env, cwd="/tmp")
        for _ in range(processes)
    ]
    deadline = time.monotonic() + INTERACTIONS / rate * 3 + 30
    while sum(1 for c in twilio.calls.values() if c.to in numbers) < INTERACTIONS:
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    await asyncio.sleep(1.0)  # a double dial would show now
    stopping = time.monotonic()
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    for worker in workers:
        worker.wait(timeout=30)
    stopped = time.monotonic() - stopping
    placed = [c for c in twilio.calls.values() if c.to in numbers]
    times = sorted(c.created_at for c in placed)
    per_number = Counter(c.to for c in placed)
    for call in twilio.active_calls():
        call.finished.set()
    await runner.cleanup()
    return {
        "processes": processes,
        "rate_limit": rate,
        "due": INTERACTIONS,
        "dialled": len(per_number),
        "calls_placed": len(placed),
        "dialled_twice": sum(1 for n in per_number.values() if n > 1),
        "busiest_second": busiest_second(times),
        "achieved_rate": round((len(times) - 1) / (times[-1] - times[0]), 2)
        if len(times) > 1
        else 0,
        "shutdown_seconds": round(stopped, 2),
    }


async def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        redis, redis_port = start_redis(directory)
        try:
            results = [await run_case(p, r, redis_port) for p, r in CASES]
        finally:
            redis.terminate()
    header = (
        f"{'procs':>5} {'limit/s':>7} {'due':>4} {'dialled':>7} {'twice':>5} "
        f"{'busiest 1s':>10} {'achieved/s':>10} {'stop s':>6}"
    )
    print(header)
    for r in results:
        print(
            f"{r['processes']:>5} {r['rate_limit']:>7} {r['due']:>4} {r['dialled']:>7} "
            f"{r['dialled_twice']:>5} {r['busiest_second']:>10} {r['achieved_rate']:>10} "
            f"{r['shutdown_seconds']:>6}"
        )
    machine = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": time.strftime("%Y-%m-%d"),
    }
    RESULTS.write_text(json.dumps({"machine": machine, "cases": results}, indent=2) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
