"""SDX down (connection refused) at each step of a call and of an SMS conversation.

The gateway reaches the SDX sandbox through a TCP proxy (``tests/faults/proxy.py``).
Right before the step, the proxy goes down: nothing listens on SDX's port and
every pooled connection is cut, so the gateway's next request is refused.
For every step: the respondent gets valid TwiML within 10 s (the apology and
a hang-up, the try-later text, or nothing for a hang-up / STOP); the gateway
tried exactly the step's request, and nothing reached SDX; once SDX is back,
calling back (texting again) finishes the survey, SDX holds each answer once,
and the process keeps serving.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from gateway.run.serve import COMPONENTS
from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.sdx import SandboxState
from gateway.web.readiness import READINESS
from tests.faults.conftest import applied
from tests.faults.proxy import TcpProxy
from tests.helpers.call import Call
from tests.helpers.ledger import answers
from tests.helpers.phone import Phone
from tests.helpers.settings import GatewayFactory
from tests.sms.conftest import SMS_NUMBER
from tests.voice.conftest import INBOUND

# What the brief promises a respondent: an answer within 10 s, whatever fails.
REPLY_WITHIN = 10.0
STEPS = ["list", "create", "start", "submit", "abandon"]
# The SDX requests (method, templated endpoint) each step makes while SDX is down.
ATTEMPTED = {
    "list": {("GET", "/interactions")},
    "create": {("POST", "/interactions")},
    "start": {("POST", "/interactions/{id}/start_survey")},
    "submit": {("POST", "/interactions/{id}/submit_response")},
    "abandon": {("POST", "/interactions/{id}/abandon_survey")},
}
# An opt-out also notes gateway_status=opted_out in the interaction's data.
SMS_ATTEMPTED = ATTEMPTED | {
    "abandon": {("POST", "/interactions/{id}/abandon_survey"), ("POST", "/interaction_data")}
}

VOICE_SURVEY, VOICE_SEEDED, NEW_CALLER = 52, 1001, "+61400000097"
Q1, Q2, Q3 = "How likely", "On a scale of 1 to 5", "Was your issue resolved?"
VOICE_ANSWERS = ["9", "4", "Yes", "Thanks"]

SMS_SURVEY, SMS_SEEDED, NEW_RESPONDENT = 54, 1003, "+61400000096"
SMS_Q1 = "How likely are you to recommend us to a friend, from 0 to 10?"
SMS_Q2 = "On a scale of 1 to 5, how satisfied were you with your delivery?"
THANKS = ["Thanks for your feedback!"]
SMS_ANSWERS = ["9", "4", "Yes", "Fast please"]


@pytest.fixture
async def sdx_proxy(sandbox_server: TestServer) -> AsyncIterator[TcpProxy]:
    proxy = TcpProxy(str(sandbox_server.host), int(sandbox_server.port or 0))
    await proxy.up()
    try:
        yield proxy
    finally:
        await proxy.close()


async def gateway_behind(
    proxy: TcpProxy, start_gateway: GatewayFactory, **overrides: Any
) -> tuple[TestClient[Any, Any], Any]:
    client, settings = await start_gateway(sdx_api_url=proxy.url("/api"), **overrides)
    # Routing read SDX's numbers at start-up; the turn under test goes past it.
    await asyncio.wait_for(client.server.app[COMPONENTS].router.table(), 5)
    return client, settings


async def prime_index(client: TestClient[Any, Any], survey_id: int, caller: str) -> None:
    """SDX was listed, and the caller rang moments ago (not found, if new),
    so the next turn goes straight to create / start without listing again."""
    parts = client.server.app[COMPONENTS]
    await asyncio.wait_for(parts.feed.build(survey_id), 5)
    types = ("inbound", "outbound", "sms")
    await asyncio.wait_for(parts.index.find([survey_id], caller, types), 5)


async def sdx_metrics(client: TestClient[Any, Any]) -> tuple[Counter[Any], Counter[Any]]:
    """(attempts by (method, endpoint), errors by (endpoint, error)) from GET /metrics."""
    response = await client.get("/metrics")
    assert response.status == 200
    attempts: Counter[Any] = Counter()
    errors: Counter[Any] = Counter()
    for family in text_string_to_metric_families(await response.text()):
        for sample in family.samples:
            if sample.name == "gateway_sdx_request_seconds_count":
                attempts[(sample.labels["method"], sample.labels["endpoint"])] += int(sample.value)
            elif sample.name == "gateway_sdx_errors_total":
                errors[(sample.labels["endpoint"], sample.labels["error"])] += int(sample.value)
    return attempts, errors


class Outage:
    """SDX down for the ``async with`` block; checks nothing reached it meanwhile."""

    def __init__(
        self, proxy: TcpProxy, client: TestClient[Any, Any], sandbox: SandboxState
    ) -> None:
        self.proxy, self.client, self.sandbox = proxy, client, sandbox
        self.attempts: Counter[Any] = Counter()
        self.errors: Counter[Any] = Counter()

    async def __aenter__(self) -> Outage:
        self._attempts, self._errors = await sdx_metrics(self.client)
        self._seen = len(self.sandbox.requests)
        await self.proxy.down()
        assert self.proxy.live_connections == 0
        return self

    async def __aexit__(self, *exc: object) -> None:
        attempts, errors = await sdx_metrics(self.client)
        self.attempts = attempts - self._attempts
        self.errors = errors - self._errors
        seen = len(self.sandbox.requests)
        await self.proxy.up()
        if exc[0] is None:
            assert seen == self._seen, "a request reached SDX while it was down"

    def check_refused(self, expected: set[tuple[str, str]], retries: int) -> None:
        """The gateway tried exactly ``expected``, each refused and retried
        (a refused request certainly did not reach SDX, so even submit is safe to resend)."""
        assert set(self.attempts) == expected, self.attempts
        assert all(n == retries + 1 for n in self.attempts.values()), self.attempts
        refused = Counter({(e, "SdxConnectionError"): n for (_, e), n in self.attempts.items()})
        assert self.errors == refused, self.errors


def interactions_of(sandbox: SandboxState, survey_id: int, phone: str) -> list[int]:
    return [
        i.id
        for i in sandbox.store.interactions.values()
        if i.survey_id == survey_id and i.phone_number == phone
    ]


async def ready(client: TestClient[Any, Any]) -> dict[str, Any]:
    # These tests follow an outage from one moment to the next; /readyz
    # keeps a check's outcome for 5 s (tests/security/test_readyz.py).
    client.server.app[READINESS].interval = 0
    response = await client.get("/readyz")
    body: dict[str, Any] = await response.json()
    return {"status": response.status, **body["checks"]}


async def finish_call_from(call: Call) -> None:
    """Answer the rest of the survey from the question the call is on."""
    script = [(Q1, "9"), (Q2, "4"), (Q3, "1")]
    heard = call.spoken()[-1]
    index = next(n for n, (prompt, _) in enumerate(script) if heard.startswith(prompt))
    for _, digits in script[index:]:
        await call.press(digits)
    await call.say("Thanks")
    assert call.hung_up_by_gateway


async def test_proxy_down_refuses_connections_and_cuts_pooled_ones(
    sdx_proxy: TcpProxy, sandbox_server: TestServer
) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        url = sdx_proxy.url("/api/surveys")
        response = await session.get(url)
        assert response.status == 401  # the sandbox answered (no credentials sent)
        await response.read()
        assert sdx_proxy.live_connections == 1  # kept alive in the session's pool
        await sdx_proxy.down()
        assert sdx_proxy.live_connections == 0
        await asyncio.sleep(0.05)  # the pool notices the closed connection
        with pytest.raises(aiohttp.ClientConnectorError) as refused:
            await session.get(url)
        assert isinstance(refused.value.os_error, ConnectionRefusedError)
        await sdx_proxy.up()
        response = await session.get(url)  # the same port again
        assert response.status == 401
        await response.read()
    assert sdx_proxy.accepted == 2


@pytest.mark.parametrize("step", STEPS)
async def test_voice_sdx_down(
    step: str, sdx_proxy: TcpProxy, start_gateway: GatewayFactory, sandbox: SandboxState
) -> None:
    client, settings = await gateway_behind(
        sdx_proxy, start_gateway, gateway_inbound_create=step == "create"
    )
    caller = NEW_CALLER if step == "create" else DEMO_RESPONDENT
    call = Call(client, settings, caller=caller, called=INBOUND)
    if step in {"create", "start"}:
        await prime_index(client, VOICE_SURVEY, caller)
    if step in {"submit", "abandon"}:
        await call.start()
        assert call.spoken()[-1].startswith(Q1)
    if step == "abandon":
        await call.press("9")  # then the caller hangs up: the survey is abandoned

    async with Outage(sdx_proxy, client, sandbox) as outage:
        started = time.monotonic()
        if step in {"list", "create", "start"}:
            await call.start()  # each helper asserts 200, text/xml, a <Response> root
        elif step == "submit":
            await call.press("9")
        else:
            hang_up_twiml = await call.hang_up()
        assert time.monotonic() - started < REPLY_WITHIN
        if step == "abandon":
            assert list(hang_up_twiml) == []  # nothing to say to a hung-up call
        else:
            assert call.spoken() == [settings.gateway_apology_message]
            assert call.hung_up_by_gateway
            # Twilio's status callback follows at once, SDX still down: the
            # gateway ended the call, so nothing is abandoned.
            assert list(await call.hang_up()) == []
    outage.check_refused(ATTEMPTED[step], settings.gateway_sdx_retries)

    if step == "create":
        assert interactions_of(sandbox, VOICE_SURVEY, caller) == []  # never created
    again = Call(client, settings, caller=caller, called=INBOUND)
    await again.start()
    # The call back resumes at the unanswered question.
    assert again.spoken()[-1].startswith(Q2 if step == "abandon" else Q1), again.spoken()
    await finish_call_from(again)

    (interaction,) = interactions_of(sandbox, VOICE_SURVEY, caller)
    if step != "create":
        assert interaction == VOICE_SEEDED
    assert answers(sandbox, interaction) == VOICE_ANSWERS
    assert applied(sandbox, "submit", None) == len(VOICE_ANSWERS)  # each submitted once
    assert applied(sandbox, "abandon", None) == 0
    assert applied(sandbox, "create", None) == int(step == "create")
    assert sandbox.store.interactions[interaction].completed
    assert sandbox.store.interactions[interaction].survey_ended

    assert (await client.get("/healthz")).status == 200
    assert await ready(client) == {"status": 200, "redis": "ok", "sdx": "ok"}


@pytest.mark.parametrize("step", STEPS)
async def test_sms_sdx_down(
    step: str, sdx_proxy: TcpProxy, start_gateway: GatewayFactory, sandbox: SandboxState
) -> None:
    client, settings = await gateway_behind(
        sdx_proxy, start_gateway, gateway_inbound_create=step == "create"
    )
    respondent = NEW_RESPONDENT if step == "create" else DEMO_RESPONDENT
    phone = Phone(client, settings, respondent=respondent, number=SMS_NUMBER)
    if step in {"create", "start"}:
        await prime_index(client, SMS_SURVEY, respondent)
    if step in {"submit", "abandon"}:
        (first,) = await phone.send("hello")
        assert first.endswith(SMS_Q1)
    if step == "abandon":
        assert await phone.send("9") == [SMS_Q2]

    async with Outage(sdx_proxy, client, sandbox) as outage:
        body = {"submit": "9", "abandon": "STOP"}.get(step, "hello")
        started = time.monotonic()
        reply = await phone.send(body)  # asserts 200, text/xml, <Response> of <Message>s
        assert time.monotonic() - started < REPLY_WITHIN
        # The carrier confirms a STOP, never us.
        assert reply == ([] if step == "abandon" else [settings.gateway_sms_try_later_message])
    outage.check_refused(SMS_ATTEMPTED[step], settings.gateway_sdx_retries)

    if step == "abandon":
        # The opt-out is kept; the abandon is finished by the expiry sweeper
        # (due at once), now that SDX is back.
        assert await client.server.app[COMPONENTS].sms_expiry.sweep(now=time.time() + 1) == 1
        interaction = SMS_SEEDED
        assert answers(sandbox, interaction) == ["9"]
        assert applied(sandbox, "submit", None) == 1
        assert applied(sandbox, "abandon", None) == 1
        assert sandbox.store.interactions[interaction].completed
        assert not sandbox.store.interactions[interaction].survey_ended  # abandoned
        assert await phone.send("hello") == []  # opted out: nothing is started
    else:
        if step == "create":
            assert interactions_of(sandbox, SMS_SURVEY, respondent) == []
        if step == "submit":
            # The respondent sends the answer again: submitted now, once.
            assert await phone.send("9") == [SMS_Q2]
        else:
            (first,) = await phone.send("hello")
            assert first.endswith(SMS_Q1)
            assert await phone.send("9") == [SMS_Q2]
        await phone.send("4")
        await phone.send("yes")
        assert await phone.send("Fast please") == THANKS
        (interaction,) = interactions_of(sandbox, SMS_SURVEY, respondent)
        if step != "create":
            assert interaction == SMS_SEEDED
        assert answers(sandbox, interaction) == SMS_ANSWERS
        assert applied(sandbox, "submit", None) == len(SMS_ANSWERS)
        assert applied(sandbox, "create", None) == int(step == "create")
        assert sandbox.store.interactions[interaction].completed

    assert (await client.get("/healthz")).status == 200
    assert await ready(client) == {"status": 200, "redis": "ok", "sdx": "ok"}


async def test_readyz_names_sdx_while_it_is_down(
    sdx_proxy: TcpProxy, start_gateway: GatewayFactory, sandbox: SandboxState
) -> None:
    client, _ = await gateway_behind(sdx_proxy, start_gateway)
    assert await ready(client) == {"status": 200, "redis": "ok", "sdx": "ok"}
    await sdx_proxy.down()
    assert await ready(client) == {"status": 503, "redis": "ok", "sdx": "sdx: SdxConnectionError"}
    await sdx_proxy.up()
    assert await ready(client) == {"status": 200, "redis": "ok", "sdx": "ok"}
