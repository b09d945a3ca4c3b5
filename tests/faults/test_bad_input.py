"""Random and hostile webhook forms on every Twilio route, signed and unsigned.

Properties: never a 5xx; a 200 is well-formed XML with a <Response> root;
an unsigned request is 403 and never reaches SDX's answering endpoints;
a body over the cap (256 KiB) is 413.

Hypothesis drives a synchronous test; each example runs on an event loop the
test owns (the gateway, the SDX sandbox and their HTTP clients all live on
it), so pytest's own loop is not involved. ``derandomize=True``: the same
examples on every run, so CI cannot flake on a new one.
"""

from __future__ import annotations

import asyncio
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from yarl import URL

from gateway.config import Settings
from gateway.run import create_app
from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.sdx import SANDBOX_STATE, SandboxState, create_sdx_sandbox
from tests.helpers.settings import GatewayFactory, make_settings
from tests.helpers.signing import FORM_CONTENT_TYPE, signed_post

INBOUND, SMS_NUMBER = "+61200000000", "+61200000002"
CHANGES = re.compile(r"/interactions(/\d+/(submit_response|abandon_survey|start_survey))?")

EXAMPLES = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

HOSTILE = [
    "' OR 1=1 --",
    "'; DROP TABLE interactions; --",
    "<script>alert(1)</script>",
    "]]><Hangup/><![CDATA[",
    "</Say><Redirect>https://evil.example/x</Redirect><Say>",
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    "&amp;&lt;&#0;&#x1F;",
    "{{7*7}}${7*7}%s%n",
    "\x00\x01\x02\x1b[31m\x7f",
    "\ud7ff\ufffe\uffff\U0010ffff",
    "+61409999999\r\nSet-Cookie: x=1",
    "../../../../etc/passwd",
    "9" * 5000,
    "١٢٣",  # Arabic-Indic digits
    "   ",
    "",
]
PHONES = [
    DEMO_RESPONDENT,
    INBOUND,
    SMS_NUMBER,
    "+0000",
    "12345",
    "+999999999999999999999",
    "not a number",
    "+61 4 0999 9999",
    "client:alice",
    "sip:a@b.c",
    "anonymous",
    "",
]
FIELDS = [
    "CallSid",
    "MessageSid",
    "AccountSid",
    "From",
    "To",
    "Body",
    "Digits",
    "SpeechResult",
    "Confidence",
    "CallStatus",
    "Direction",
    "AnsweredBy",
    "OptOutType",
    "NumMedia",
    "CallDuration",
]

texts = st.one_of(
    st.text(max_size=60),
    st.text(st.characters(codec="utf-8", categories=["Cc", "Cf", "Zs", "So"]), max_size=30),
    st.sampled_from(HOSTILE),
    st.sampled_from(PHONES),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.text(alphabet="0123456789#*", min_size=1, max_size=3000),
    st.sampled_from(["completed", "in-progress", "busy", "STOP", "START", "HELP", "machine_start"]),
)
call_sids = st.one_of(
    st.just("CA" + "a" * 32),
    st.from_regex(r"CA[0-9a-f]{32}", fullmatch=True),
    texts,
)
message_sids = st.one_of(st.from_regex(r"(SM|MM)[0-9a-f]{32}", fullmatch=True), texts)


@st.composite
def forms(draw: st.DrawFn) -> list[tuple[str, str]]:
    """Mostly plausible Twilio forms with hostile values, missing and extra fields."""
    plausible = draw(st.booleans())
    base = {
        "CallSid": draw(
            st.from_regex(r"CA[0-9a-f]{32}", fullmatch=True) if plausible else call_sids
        ),
        "MessageSid": draw(
            st.from_regex(r"SM[0-9a-f]{32}", fullmatch=True) if plausible else message_sids
        ),
        "From": draw(
            st.sampled_from(PHONES) if plausible else st.one_of(st.sampled_from(PHONES), texts)
        ),
        "To": draw(st.sampled_from([INBOUND, SMS_NUMBER]) if plausible else texts),
    }
    overridable = [f for f in FIELDS if not plausible or f not in base]
    for name in draw(st.lists(st.sampled_from(overridable), max_size=6)):
        base[name] = draw(texts)
    dropped = draw(st.sets(st.sampled_from(sorted(base)), max_size=0 if plausible else 3))
    pairs = [(k, v) for k, v in base.items() if k not in dropped]
    extra = draw(st.lists(st.tuples(st.text(min_size=1, max_size=20), texts), max_size=3))
    return pairs + extra


query_values = st.one_of(
    st.integers(min_value=0, max_value=10**25).map(str),
    st.integers(min_value=-5, max_value=2000).map(str),
    st.sampled_from(["1", "1001", "0", "", "-1", "1e3", "0x10", "\u0661", " 1", "1 "]),
    st.text(max_size=20),
)


@st.composite
def paths(draw: st.DrawFn) -> str:
    route = draw(
        st.sampled_from(
            [
                "/twilio/voice",
                "/twilio/voice/answer",
                "/twilio/voice/silence",
                "/twilio/voice/status",
                "/twilio/sms",
            ]
        )
    )
    names = draw(st.lists(st.sampled_from(["turn", "i", "q", "s", "interaction", "x"]), max_size=5))
    query = [(name, draw(query_values)) for name in names]
    if route.endswith(("/answer", "/silence")) and draw(st.booleans()):
        # A well-formed turn reference (which may name nothing real).
        query = [
            ("turn", str(draw(st.integers(0, 3)))),
            ("i", draw(st.sampled_from(["1001", "1003", "999999"]))),
            ("q", str(draw(st.integers(0, 2000)))),
            *query,
        ]
    if not query:
        return route
    return str(URL(route).with_query(query))


@dataclass
class Harness:
    """The gateway and the SDX sandbox on an event loop this test owns."""

    loop: asyncio.AbstractEventLoop
    client: TestClient[Any, Any]
    settings: Settings
    sandbox: SandboxState

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)


@pytest.fixture
def harness(redis_url: str) -> Iterator[Harness]:
    loop = asyncio.new_event_loop()

    async def start() -> tuple[TestServer, TestClient[Any, Any], Settings]:
        sandbox_server = TestServer(create_sdx_sandbox())
        await sandbox_server.start_server()
        gateway_settings = make_settings(
            sdx_api_url=str(sandbox_server.make_url("/api")),
            redis_url=redis_url,
            gateway_sdx_timeout=0.5,
            gateway_webhook_deadline=2.0,
        )
        client: TestClient[Any, Any] = TestClient(TestServer(create_app(gateway_settings)))
        await client.start_server()
        return sandbox_server, client, gateway_settings

    sandbox_server, client, gateway_settings = loop.run_until_complete(start())
    try:
        yield Harness(loop, client, gateway_settings, sandbox_server.app[SANDBOX_STATE])
    finally:
        loop.run_until_complete(client.close())
        loop.run_until_complete(sandbox_server.close())
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()


def changes(sandbox: SandboxState) -> int:
    return sum(1 for r in sandbox.requests if r.method == "POST" and CHANGES.fullmatch(r.path))


def check_reply(status: int, content_type: str, text: str) -> None:
    assert status < 500, text
    if status == 200:
        assert content_type == "text/xml", text
        root = ET.fromstring(text)
        assert root.tag == "Response"
        # Only TwiML verbs the gateway uses, never an echo of the input as markup.
        allowed = {"Say", "Play", "Gather", "Redirect", "Hangup", "Message", "Pause"}
        assert {element.tag for element in root.iter()} - {"Response"} <= allowed, text


@given(path=paths(), form=forms())
@EXAMPLES
def test_signed_hostile_forms_never_break_the_gateway(
    harness: Harness, path: str, form: list[tuple[str, str]]
) -> None:
    async def post() -> tuple[int, str, str]:
        response = await signed_post(harness.client, path, form, settings=harness.settings)
        return response.status, response.content_type, await response.text()

    status, content_type, text = harness.run(post())
    event(f"{URL(path).path} -> {status}")
    check_reply(status, content_type, text)
    assert status in {200, 400}, (status, text)  # signed, so never 403 / 413


@given(path=paths(), form=forms(), signature=st.one_of(st.none(), texts))
@EXAMPLES
def test_unsigned_requests_are_refused_before_anything_runs(
    harness: Harness, path: str, form: list[tuple[str, str]], signature: str | None
) -> None:
    before = changes(harness.sandbox)

    async def post() -> tuple[int, str]:
        headers = {"Content-Type": FORM_CONTENT_TYPE}
        if signature is not None:
            # A header value cannot carry control characters or non-Latin-1 text.
            ascii_only = signature.encode("ascii", "replace").decode()
            headers["X-Twilio-Signature"] = re.sub(r"[\x00-\x1f\x7f]", "?", ascii_only)
        response = await harness.client.post(path, data=urlencode(form).encode(), headers=headers)
        return response.status, await response.text()

    status, text = harness.run(post())
    assert status == 403, text
    assert changes(harness.sandbox) == before


@pytest.mark.parametrize("route", ["/twilio/voice", "/twilio/voice/status", "/twilio/sms"])
@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
async def test_body_over_the_cap_is_413(
    start_gateway: GatewayFactory, sandbox: SandboxState, route: str, signed: bool
) -> None:
    client, gateway_settings = await start_gateway()
    form = [("CallSid", "CA" + "b" * 32), ("MessageSid", "SM" + "b" * 32), ("Body", "x" * 300_000)]
    if signed:
        response = await signed_post(client, route, form, settings=gateway_settings)
    else:
        response = await client.post(
            route, data=urlencode(form).encode(), headers={"Content-Type": FORM_CONTENT_TYPE}
        )
    # Read and released here: a response left open keeps its connection, and
    # the server's shutdown at teardown waits up to a minute for it.
    async with response:
        await response.read()
    # Signed: read up to the cap, then refused. Without a signature the
    # request may be refused before its body is read at all.
    assert response.status == 413 if signed else response.status in {403, 413}
    assert changes(sandbox) == 0


@pytest.mark.parametrize("route", ["/twilio/voice", "/twilio/sms"])
def test_a_100_kb_body_under_the_cap_is_answered(harness: Harness, route: str) -> None:
    form = [
        ("CallSid", "CA" + "c" * 32),
        ("MessageSid", "SM" + "c" * 32),
        ("From", DEMO_RESPONDENT),
        ("To", SMS_NUMBER if route == "/twilio/sms" else INBOUND),
        ("Body", "8" * 100_000),
        ("Digits", "9" * 1000),
    ]

    async def post() -> tuple[int, str, str]:
        response = await signed_post(harness.client, route, form, settings=harness.settings)
        return response.status, response.content_type, await response.text()

    status, content_type, text = harness.run(post())
    assert status == 200
    check_reply(status, content_type, text)
