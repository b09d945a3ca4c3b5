"""The hostile-input fuzz's harness: a real gateway, the SDX sandbox, and what is counted.

Hypothesis drives synchronous tests; each example runs on an event loop the
harness owns (the gateway, the SDX sandbox and their HTTP clients all live
on it), so pytest's own loop is not involved and one gateway serves every
example of a test.

``make test`` runs a bounded, derandomized profile (the same examples on
every run, so CI cannot flake on a new one). ``SECURITY_FUZZ_EXAMPLES=N``
(``make fuzz``) runs N examples per test with a fresh random seed each run;
a failure prints the blob that reproduces it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, settings
from structlog.testing import capture_logs
from twilio.request_validator import HMAC_SHA1
from yarl import URL

from gateway.config import Settings
from gateway.run import create_app
from gateway.sandbox.sdx import SANDBOX_STATE, SandboxState, create_sdx_sandbox
from gateway.web.app import MAX_BODY
from tests.helpers.settings import make_settings
from tests.helpers.signing import Params, twilio_signature

EXAMPLES_VARIABLE = "SECURITY_FUZZ_EXAMPLES"
SHARED_KEY = "fuzz-webhook-shared-key"
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# TwiML verbs the gateway writes; anything else would be the input echoed as markup.
VERBS = {"Response", "Say", "Play", "Gather", "Redirect", "Hangup", "Message", "Pause"}


# Warnings the suite's "error" filter must not turn into failures here: a
# failing example holding a 400 KB value makes hypothesis warn about its repr
# (raised in place of the failure), and aiohttp's client warns that a body
# over 1 MiB (a form re-encoded in UTF-32) blocks its own event loop a moment.
FUZZ_WARNINGS = [
    pytest.mark.filterwarnings(
        "ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning"
    ),
    pytest.mark.filterwarnings("ignore:Sending a large body directly:ResourceWarning"),
]


def examples(default: int, cases: int = 1) -> settings:
    """Hypothesis settings: ``default`` derandomized examples per test, or the long
    profile's ``SECURITY_FUZZ_EXAMPLES``, shared among the test's ``cases``
    (its parametrized routes, content types...)."""
    wanted = os.environ.get(EXAMPLES_VARIABLE, "")
    total = int(wanted) if wanted else default
    return settings(
        max_examples=-(-total // cases),
        deadline=None,
        derandomize=not wanted,
        database=None,
        print_blob=True,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )


@dataclass
class TestStats:
    examples: int = 0
    requests: int = 0
    seconds: float = 0.0


@dataclass
class Stats:
    """What the fuzz sent and saw, over the session; printed after the run."""

    tests: dict[str, TestStats] = field(default_factory=dict)
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: int = 0
    unparseable: int = 0
    refused_reaching_sdx: int = 0
    error_lines: int = 0
    # Requests whose connection closed before an answer was read.
    connection_errors: int = 0

    def test(self, name: str) -> TestStats:
        """One test's counts, its parametrized cases (routes, content types) together."""
        return self.tests.setdefault(name.partition("[")[0], TestStats())

    def report(self) -> list[str]:
        lines = ["security fuzz (tests/security/test_hostile_*.py):"]
        for name, test in self.tests.items():
            lines.append(
                f"  {name}: {test.examples} examples, {test.requests} requests, "
                f"{test.seconds:.1f} s"
            )
        total = sum(t.requests for t in self.tests.values())
        seconds = sum(t.seconds for t in self.tests.values())
        by_status = ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items()))
        lines += [
            f"  total: {sum(t.examples for t in self.tests.values())} examples, "
            f"{total} requests in {seconds:.1f} s ({by_status})",
            f"  5xx: {self.server_errors}, unparseable TwiML: {self.unparseable}, "
            f"refused requests reaching SDX changes: {self.refused_reaching_sdx}, "
            f"ERROR log lines: {self.error_lines}, "
            f"connections closed mid-body past the cap: {self.connection_errors}",
        ]
        return lines


STATS = Stats()


# No answer read: the server answers 413 to a body past the cap and closes
# the connection, which a client still sending the body may see first.
CUT_OFF = 0


def refused_as(expected: int) -> set[int]:
    """The statuses that show a refusal with ``expected``."""
    return {413, CUT_OFF} if expected == 413 else {expected}


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: bytes
    request_id: str | None


class _ErrorRecords(logging.Handler):
    """Standard-library records at ERROR and above: aiohttp's tracebacks, asyncio's."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


# Events of background tasks (their own schedule, not a request's work).
BACKGROUND = frozenset({"sms_sweep_failed"})


class Harness:
    """The gateway and the SDX sandbox on an event loop this test owns.

    Not a dataclass: hypothesis prints a failing example's fixtures, and
    would print a dataclass field by field, the sandbox's ledger included.
    """

    def __init__(
        self,
        name: str,
        loop: asyncio.AbstractEventLoop,
        client: TestClient[Any, Any],
        settings: Settings,
        sandbox: SandboxState,
        logs: list[MutableMapping[str, Any]],
        stdlib_errors: _ErrorRecords,
    ) -> None:
        self.name = name
        self.loop = loop
        self.client = client
        self.settings = settings
        self.sandbox = sandbox
        self.logs = logs
        self.stdlib_errors = stdlib_errors

    def __repr__(self) -> str:
        return f"Harness({self.name!r})"

    @property
    def stats(self) -> TestStats:
        return STATS.test(self.name)

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def changes(self) -> int:
        """Requests that reached an SDX endpoint that changes something (any non-GET)."""
        return sum(1 for r in self.sandbox.requests if r.method not in {"GET", "HEAD"})

    def sign(
        self,
        raw_path: str,
        params: Params,
        *,
        token: str | None = None,
        algorithm: str = HMAC_SHA1,
        base: str | None = None,
    ) -> str:
        """The X-Twilio-Signature for ``raw_path`` (exactly as sent) and ``params``."""
        secret = token or self.settings.twilio_auth_token.get_secret_value()
        url = (base or self.settings.gateway_public_url) + raw_path
        return twilio_signature(url, params, secret, algorithm)

    async def send(
        self, method: str, raw_path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> Reply:
        """One request, the path and query sent byte for byte as given."""
        url = URL(raw_path, encoded=True)
        try:
            async with self.client.request(
                method, url, data=body, headers=dict(headers)
            ) as response:
                content = await response.read()
                return Reply(
                    response.status,
                    response.content_type,
                    content,
                    response.headers.get("X-Request-Id"),
                )
        except aiohttp.ClientConnectionError:
            if body is None or len(body) <= MAX_BODY:
                raise
            return Reply(CUT_OFF, "", b"", None)

    def assert_quiet(self) -> None:
        """No ERROR line came of this example's requests alone; forget what was logged."""
        # The idle-SMS sweeper runs on its own clock, not a request's: a failure
        # of it under a loaded machine is not something a request caused.
        ours = [
            e
            for e in self.logs
            if e.get("log_level") in {"error", "critical"} and e["event"] not in BACKGROUND
        ]
        theirs = [r.getMessage() for r in self.stdlib_errors.records]
        self.logs.clear()
        self.stdlib_errors.records.clear()
        STATS.error_lines += len(ours) + len(theirs)
        assert (ours, theirs) == ([], []), f"an ERROR line came of a request alone: {ours} {theirs}"


def check_reply(reply: Reply) -> None:
    """Never a 5xx; a 200 is TwiML that parses, with only the verbs the gateway writes."""
    if reply.request_id is not None:
        assert SAFE_REQUEST_ID.fullmatch(reply.request_id), reply.request_id
    assert reply.status < 500, reply
    if reply.status == 200:
        assert reply.content_type == "text/xml", reply
        check_twiml(reply.body)


def check_twiml(document: bytes | str) -> ET.Element:
    try:
        root = ET.fromstring(document)
    except ET.ParseError:
        STATS.unparseable += 1
        raise
    assert root.tag == "Response", document
    assert {element.tag for element in root.iter()} <= VERBS, document
    return root


def _trace(name: str) -> aiohttp.TraceConfig:
    """Counts every request the test client sends, helpers' included, by status."""

    async def ended(_: Any, __: SimpleNamespace, params: aiohttp.TraceRequestEndParams) -> None:
        STATS.test(name).requests += 1
        STATS.statuses[params.response.status] += 1
        STATS.server_errors += params.response.status >= 500

    async def failed(_: Any, __: SimpleNamespace, ___: Any) -> None:
        STATS.test(name).requests += 1
        STATS.connection_errors += 1

    trace = aiohttp.TraceConfig()
    trace.on_request_end.append(ended)
    trace.on_request_exception.append(failed)
    return trace


@contextmanager
def running_harness(name: str, redis_url: str, **overrides: Any) -> Iterator[Harness]:
    """A gateway on SDX-discovered routing and the sandbox, for one test's examples."""
    loop = asyncio.new_event_loop()
    started = time.perf_counter()

    async def start() -> tuple[TestServer, TestClient[Any, Any], Settings]:
        sandbox_server = TestServer(create_sdx_sandbox())
        await sandbox_server.start_server()
        values: dict[str, Any] = {
            "sdx_api_url": str(sandbox_server.make_url("/api")),
            "redis_url": redis_url,
            "gateway_sdx_timeout": 0.5,
            "gateway_webhook_deadline": 2.0,
            # Configured, so a Webhook Settings header is checked, not a misconfiguration.
            "gateway_webhook_shared_key": SHARED_KEY,
            **overrides,
        }
        gateway_settings = make_settings(**values)
        server = TestServer(create_app(gateway_settings))
        client: TestClient[Any, Any] = TestClient(server, trace_configs=[_trace(name)])
        await client.start_server()
        return sandbox_server, client, gateway_settings

    sandbox_server, client, gateway_settings = loop.run_until_complete(start())
    stdlib_errors = _ErrorRecords()
    logging.getLogger().addHandler(stdlib_errors)
    try:
        with capture_logs() as logs:
            yield Harness(
                name,
                loop,
                client,
                gateway_settings,
                sandbox_server.app[SANDBOX_STATE],
                logs,
                stdlib_errors,
            )
    finally:
        logging.getLogger().removeHandler(stdlib_errors)
        loop.run_until_complete(client.close())
        loop.run_until_complete(sandbox_server.close())
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
        STATS.test(name).seconds += time.perf_counter() - started
