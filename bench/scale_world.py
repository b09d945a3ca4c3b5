"""The processes of the scale bench (bench/scale.py) and how it talks to them.

Everything runs on 127.0.0.1: a private redis-server, `gateway sandbox` (SDX
sandbox + Twilio emulator, its own process so its CPU is not the
gateway's), `gateway serve` and `gateway dispatch`. Every subprocess is
ended when the World closes, whatever happened; every wait has a bound.
"""

from __future__ import annotations

import asyncio
import base64
import ctypes
import hashlib
import hmac
import html
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from gateway.sandbox.credentials import (
    DEMO_AUTH_TOKEN,
    DEMO_CUSTOMER_UUID,
    DEMO_TWILIO_ACCOUNT_SID,
    DEMO_TWILIO_AUTH_TOKEN,
)

ROOT = Path(__file__).resolve().parent.parent
# Texts the gateway is configured with, so a reply tells what happened.
NO_SURVEY = "Scale bench: no survey waits for this caller."
APOLOGY = "Scale bench: sorry, answers cannot be recorded now."
SDX_AUTH = aiohttp.BasicAuth(DEMO_CUSTOMER_UUID, DEMO_AUTH_TOKEN)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def proc_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def proc_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of a process so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def heard(twiml: str, first_question: str) -> str:
    """What a caller heard, by the texts the gateway was configured with."""
    known = (("survey", first_question), ("no_survey", NO_SURVEY), ("apology", APOLOGY))
    for outcome, text in known:
        if text in twiml:
            return outcome
    return "other"


def _die_with_parent() -> None:
    # Linux prctl(PR_SET_PDEATHSIG, SIGTERM): even if the bench is killed
    # outright, its children do not run on, holding ports and CPU.
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


def twilio_signature(url: str, params: dict[str, str]) -> str:
    # Twilio's algorithm (twilio.request_validator.compute_signature):
    # HMAC-SHA1 over the URL and the sorted name+value pairs.
    data = url + "".join(name + params[name] for name in sorted(params))
    mac = hmac.new(DEMO_TWILIO_AUTH_TOKEN.encode(), data.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


class World:
    """Redis, the sandbox and the gateway's two processes, for one backlog size."""

    def __init__(self, tmp: str, gateway_src: Path, extra_env: dict[str, str]) -> None:
        self.tmp = Path(tmp)
        self.gateway_src = gateway_src
        self.extra_env = extra_env
        self.redis_port, self.sandbox_port, self.serve_port = (free_port() for _ in range(3))
        self.sandbox_url = f"http://127.0.0.1:{self.sandbox_port}"
        self.public_url = f"http://127.0.0.1:{self.serve_port}"
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.gateway_started = datetime.now(UTC)
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))

    # --- processes ----------------------------------------------------------

    def _spawn(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        log = (self.tmp / f"{name}.log").open("wb")
        self.procs[name] = subprocess.Popen(
            argv,
            env=env,
            cwd=self.tmp,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )

    def _python_env(self, src: Path) -> dict[str, str]:
        # cwd is the temp dir, so no .env file is read; PYTHONPATH picks the tree.
        return {**os.environ, "PYTHONPATH": str(src), "PYTHONUNBUFFERED": "1"}

    async def start_support(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            sys.exit("redis-server is not installed")
        redis_args = ["--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", ""]
        self._spawn(
            "redis", [binary, *redis_args, "--appendonly", "no", "--dir", str(self.tmp)], {}
        )
        sandbox = [sys.executable, "-m", "gateway", "sandbox", "--port", str(self.sandbox_port)]
        env = {**self._python_env(ROOT), "LOG_LEVEL": "WARNING"}
        self._spawn("sandbox", sandbox, env)
        await self.wait_http(f"{self.sandbox_url}/_sandbox/latency", "sandbox")
        deadline = time.monotonic() + 20
        while True:
            try:
                await self.redis("PING")
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)

    def gateway_env(self) -> dict[str, str]:
        return {
            **self._python_env(self.gateway_src),
            "SDX_API_URL": f"{self.sandbox_url}/api",
            "SDX_CUSTOMER_UUID": DEMO_CUSTOMER_UUID,
            "SDX_AUTH_TOKEN": DEMO_AUTH_TOKEN,
            "TWILIO_ACCOUNT_SID": DEMO_TWILIO_ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": DEMO_TWILIO_AUTH_TOKEN,
            "TWILIO_API_URL": f"{self.sandbox_url}/twilio",
            # Loopback: the demo secrets are allowed, and every webhook stays local.
            "GATEWAY_PUBLIC_URL": self.public_url,
            "PORT": str(self.serve_port),
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "GATEWAY_REDIS_PREFIX": "scale:",
            "GATEWAY_CALL_WINDOW": "00:00-24:00",
            "GATEWAY_NO_SURVEY_MESSAGE": NO_SURVEY,
            "GATEWAY_APOLOGY_MESSAGE": APOLOGY,
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "INFO",
            **self.extra_env,
        }

    def start_gateway(self) -> None:
        env = self.gateway_env()
        gateway = [sys.executable, "-m", "gateway"]
        self.gateway_started = datetime.now(UTC)
        self._spawn("dispatch", [*gateway, "dispatch"], env)
        self._spawn("serve", [*gateway, "serve", "--host", "127.0.0.1"], env)

    def rss(self, name: str) -> float | None:
        proc = self.procs.get(name)
        return None if proc is None else proc_rss_mb(proc.pid)

    async def watch(self, seconds: float) -> None:
        """Sleep, but stop at once if a process died."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if self.dead():
                raise RuntimeError(f"process exited: {', '.join(self.dead())}")
            await asyncio.sleep(min(1.0, max(0.0, end - time.monotonic())))

    def dead(self) -> list[str]:
        return [name for name, proc in self.procs.items() if proc.poll() is not None]

    def log_tail(self, name: str, lines: int = 15) -> list[str]:
        path = self.tmp / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return text.splitlines()[-lines:]

    def first_events(self, events: Iterable[str], since: datetime) -> dict[str, float]:
        """Seconds from ``since`` to the first line of each event in the gateway's logs."""
        wanted, found = set(events), {}
        for name in ("dispatch", "serve"):
            path = self.tmp / f"{name}.log"
            lines = path.read_text(errors="replace").splitlines() if path.exists() else []
            for line in lines:
                try:
                    entry = json.loads(line)
                    event, stamp = entry["event"], datetime.fromisoformat(entry["timestamp"])
                except (ValueError, KeyError, TypeError):
                    continue
                if event in wanted and f"{name}:{event}" not in found:
                    found[f"{name}:{event}"] = round((stamp - since).total_seconds(), 1)
        return found

    def keep_logs(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name in self.procs:
            if (self.tmp / f"{name}.log").exists():
                shutil.copy(self.tmp / f"{name}.log", folder / f"{name}.log")

    async def close(self) -> None:
        await self.http.close()
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)

    # --- talking to them ----------------------------------------------------

    async def wait_http(self, url: str, what: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                async with self.http.get(url, timeout=aiohttp.ClientTimeout(total=2)) as r:
                    if r.status < 500:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            if time.monotonic() > deadline or self.dead():
                raise RuntimeError(f"{what} did not come up: {self.dead()} exited")
            await asyncio.sleep(0.2)

    async def redis(self, *command: str) -> str:
        """One command over RESP, answered as text (enough for PING and INFO)."""
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", self.redis_port), 5
        )
        try:
            wire = f"*{len(command)}\r\n" + "".join(f"${len(c)}\r\n{c}\r\n" for c in command)
            writer.write(wire.encode())
            head = (await asyncio.wait_for(reader.readline(), 5)).decode()
            if head.startswith("$"):
                body = await asyncio.wait_for(reader.readexactly(int(head[1:]) + 2), 5)
                return body.decode()[:-2]
            return head.strip()
        finally:
            writer.close()

    async def redis_used_mb(self) -> float:
        info = await self.redis("INFO", "memory")
        fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
        return round(int(fields["used_memory"]) / 2**20, 1)

    async def control(self, method: str, path: str, body: Any = None, seconds: float = 60) -> Any:
        """A sandbox control endpoint (``/_sandbox/...`` or ``/twilio/_twilio/...``)."""
        limit = aiohttp.ClientTimeout(total=seconds)
        url = self.sandbox_url + path
        async with self.http.request(method, url, json=body, timeout=limit) as response:
            if response.status >= 300:
                raise RuntimeError(f"{method} {path}: {response.status} {await response.text()}")
            return await response.json()

    async def sdx(self, method: str, path: str, **kwargs: Any) -> Any:
        """The SDX API itself, with the demo credentials (these requests are counted)."""
        url = f"{self.sandbox_url}/api{path}"
        async with self.http.request(method, url, auth=SDX_AUTH, **kwargs) as response:
            if response.status == 204:
                return []
            if response.status >= 300:
                raise RuntimeError(f"{method} {path}: {response.status} {await response.text()}")
            return await response.json()

    async def counts(self) -> dict[str, int]:
        counted = await self.control("GET", "/_sandbox/requests/counts")
        return {**counted["by_endpoint"], "total": counted["total"]}

    async def voice_call(self, caller: str, called: str, call_sid: str) -> tuple[float, str]:
        """A signed inbound-call webhook, as Twilio sends it: (seconds, TwiML)."""
        params = {
            "AccountSid": DEMO_TWILIO_ACCOUNT_SID,
            "CallSid": call_sid,
            "From": caller,
            "To": called,
            "CallStatus": "ringing",
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
        }
        url = f"{self.public_url}/twilio/voice"
        headers = {"X-Twilio-Signature": twilio_signature(url, params)}
        began = time.monotonic()
        async with self.http.post(
            url, data=params, headers=headers, timeout=aiohttp.ClientTimeout(total=30)
        ) as response:
            text = await response.text()
        return time.monotonic() - began, html.unescape(text)
