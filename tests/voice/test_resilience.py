"""Faults mid-call: the caller gets valid TwiML in time, no answer is lost or doubled."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp.test_utils import TestClient

from gateway.config import Settings
from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.sdx import Fault, SandboxState
from tests.helpers.call import Call
from tests.helpers.ledger import SUBMIT, answers, count
from tests.helpers.servers import RedisServer
from tests.helpers.settings import GatewayFactory
from tests.helpers.signing import signed_post
from tests.voice.conftest import INBOUND


async def test_slow_sdx_gets_an_apology_within_the_deadline(
    start_gateway: GatewayFactory, sandbox: SandboxState
) -> None:
    client, settings = await start_gateway(gateway_webhook_deadline=1.0, gateway_sdx_timeout=0.4)
    call = Call(client, settings, caller=DEMO_RESPONDENT, called=INBOUND)
    await call.start()
    await call.press("9")
    sandbox.faults.add(Fault(method="POST", path=SUBMIT, delay=5, times=1))
    started = time.monotonic()
    await call.press("4")
    assert time.monotonic() - started < 2
    assert call.spoken() == [settings.gateway_apology_message]
    await call.hang_up()
    assert count(sandbox, r"/interactions/\d+/abandon_survey") == 0


async def test_deadline_while_listing_keeps_the_survey_open(
    start_gateway: GatewayFactory, sandbox: SandboxState
) -> None:
    client, settings = await start_gateway(gateway_webhook_deadline=1.0, gateway_sdx_timeout=0.3)
    sandbox.faults.add(Fault(method="GET", path="/interactions", delay=3))
    call = Call(client, settings, caller=DEMO_RESPONDENT, called=INBOUND)
    await call.start()
    assert call.spoken() == [settings.gateway_apology_message]
    sandbox.faults.clear()
    again = Call(client, settings, caller=DEMO_RESPONDENT, called=INBOUND)
    await again.start()
    assert again.spoken()[-1].startswith("How likely")


async def test_redis_flushed_mid_call_loses_no_answer(
    call: Call, sandbox: SandboxState, redis_server: RedisServer
) -> None:
    await call.start()
    await call.press("9")
    redis_server.flush()  # every session and index gone
    await call.press("4")  # rebuilt from SDX: still on question 2, so submitted once
    assert call.spoken()[-1].startswith("Was your issue resolved?")
    await call.press("1")
    await call.say("Thanks")
    assert call.hung_up_by_gateway
    assert answers(sandbox, 1001) == ["9", "4", "Yes", "Thanks"]


async def test_replay_after_redis_flush_is_not_submitted_again(
    call: Call, sandbox: SandboxState, redis_server: RedisServer
) -> None:
    await call.start()
    first_action = call.gather.attrib["action"][len(call.settings.gateway_public_url) :]
    await call.press("9")
    redis_server.flush()
    # Twilio retries the first answer after the session was lost: SDX has
    # already moved on, so the gateway must not submit "9" to question 2.
    await call.post(first_action, Digits="9")
    assert call.spoken()[-1].startswith("On a scale of 1 to 5")
    assert count(sandbox, SUBMIT) == 1
    await call.press("5")
    assert answers(sandbox, 1001) == ["9", "5"]


async def test_duplicate_requests_in_flight_submit_once(call: Call, sandbox: SandboxState) -> None:
    await call.start()
    action = call.gather.attrib["action"][len(call.settings.gateway_public_url) :]
    sandbox.faults.add(Fault(method="POST", path=SUBMIT, delay=0.3, times=1))
    params = {"CallSid": call.call_sid, "From": DEMO_RESPONDENT, "To": INBOUND, "Digits": "9"}
    first, second = await asyncio.gather(
        signed_post(call.client, action, params, settings=call.settings),
        signed_post(call.client, action, params, settings=call.settings),
    )
    assert first.status == second.status == 200
    assert await first.text() == await second.text()
    assert "On a scale of 1 to 5" in await first.text()
    assert count(sandbox, SUBMIT) == 1
    assert answers(sandbox, 1001) == ["9"]


async def test_two_replicas_share_one_call(
    start_gateway: GatewayFactory, sandbox: SandboxState
) -> None:
    """Twilio's next webhook may reach another replica (or a restarted process)."""
    one, settings = await start_gateway()
    two, _ = await start_gateway()
    call = Call(one, settings, caller=DEMO_RESPONDENT, called=INBOUND)
    await call.start()
    await call.press("9")
    call.client = two
    await call.press("4")
    call.client = one
    await call.press("2")
    call.client = two
    await call.say("ok")
    assert call.hung_up_by_gateway
    assert answers(sandbox, 1001) == ["9", "4", "No", "ok"]


async def test_sdx_back_after_outage_resumes_where_it_stopped(
    gateway: tuple[TestClient[Any, Any], Settings], sandbox: SandboxState
) -> None:
    client, settings = gateway
    call = Call(client, settings, caller=DEMO_RESPONDENT, called=INBOUND)
    await call.start()
    await call.press("9")
    sandbox.faults.add(Fault(method=None, path=".*", status=503))
    await call.press("4")
    assert call.spoken() == [settings.gateway_apology_message]
    await call.hang_up()
    sandbox.faults.clear()
    again = Call(client, settings, caller=DEMO_RESPONDENT, called=INBOUND)
    await again.start()
    assert again.spoken()[-1].startswith("On a scale of 1 to 5")
    assert answers(sandbox, 1001) == ["9"]
