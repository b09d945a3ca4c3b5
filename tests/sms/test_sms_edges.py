"""SMS edge cases: ordering under load, Twilio's opt-out classification, pictures,
failed STOPs, and Redis failing after SDX took an answer."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from redis import Redis as SyncRedis

from gateway.config import Settings
from gateway.run.serve import COMPONENTS
from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.sdx import Fault, SandboxState
from tests.helpers.ledger import ABANDON, SUBMIT, answers, count
from tests.helpers.phone import Phone, new_message_sid
from tests.helpers.servers import RedisServer
from tests.helpers.settings import GatewayFactory
from tests.helpers.signing import signed_post
from tests.sms.conftest import SMS_NUMBER

SMS_ID = 1003


async def test_messages_sent_together_apply_in_arrival_order(
    start_gateway: GatewayFactory, sandbox: SandboxState, store_kind: str
) -> None:
    client, settings = await start_gateway(memory=store_kind == "memory")
    phone = Phone(client, settings, respondent=DEMO_RESPONDENT, number=SMS_NUMBER)
    await phone.send("hello")
    # The first answer is slow: the next three queue up behind it.
    sandbox.faults.add(Fault(method="POST", path=SUBMIT, delay=0.3, times=1))

    async def send_at(delay: float, body: str) -> list[str]:
        await asyncio.sleep(delay)
        return await phone.send(body)

    replies = await asyncio.gather(
        send_at(0, "9"), send_at(0.05, "4"), send_at(0.1, "yes"), send_at(0.15, "Fast please")
    )
    assert answers(sandbox, SMS_ID) == ["9", "4", "Yes", "Fast please"]
    assert replies[-1] == ["Thanks for your feedback!"]


async def test_twilio_opt_out_type_wins(
    gateway: tuple[TestClient[Any, Any], Settings], sandbox: SandboxState
) -> None:
    """An operator's own keyword ("ALTO") that Twilio classifies as STOP."""
    client, settings = gateway
    phone = Phone(client, settings, respondent=DEMO_RESPONDENT, number=SMS_NUMBER)
    await phone.send("hello")

    async def send(body: str, opt_out_type: str) -> str:
        params = {
            "MessageSid": new_message_sid(),
            "From": DEMO_RESPONDENT,
            "To": SMS_NUMBER,
            "Body": body,
            "OptOutType": opt_out_type,
        }
        response = await signed_post(client, "/twilio/sms", params, settings=settings)
        return await response.text()

    assert "<Message>" not in await send("ALTO", "STOP")
    assert count(sandbox, ABANDON) == 1
    store = client.server.app[COMPONENTS].stores.conversations
    assert await store.is_opted_out(DEMO_RESPONDENT)
    assert "<Message>" not in await send("YES", "START")  # Twilio's opt-in word
    assert not await store.is_opted_out(DEMO_RESPONDENT)
    assert count(sandbox, SUBMIT) == 0


async def test_a_picture_is_not_an_answer(phone: Phone, sandbox: SandboxState) -> None:
    await phone.send("hello")
    assert await phone.send("") == [phone.settings.gateway_sms_text_only_message]
    assert count(sandbox, SUBMIT) == 0
    assert await phone.send("8") == [
        "On a scale of 1 to 5, how satisfied were you with your delivery?"
    ]


async def test_stop_whose_abandon_failed_is_finished_by_the_sweeper(
    gateway: tuple[TestClient[Any, Any], Settings], sandbox: SandboxState
) -> None:
    client, settings = gateway
    phone = Phone(client, settings, respondent=DEMO_RESPONDENT, number=SMS_NUMBER)
    await phone.send("hello")
    sandbox.faults.add(Fault(method="POST", path=ABANDON, status=504, times=1))
    assert await phone.send("STOP") == []
    assert not sandbox.store.interaction(SMS_ID).completed
    # Due at once, not after the idle time.
    assert await client.server.app[COMPONENTS].sms_expiry.sweep(now=time.time() + 1) == 1
    assert sandbox.store.interaction(SMS_ID).completed
    assert count(sandbox, ABANDON) == 2
    assert opt_out_notes(sandbox) == ["opted_out"]


def applied_abandons(sandbox: SandboxState) -> int:
    return sum(
        1
        for r in sandbox.requests
        if re.fullmatch(ABANDON, r.path) and not r.faulted and r.status == 200
    )


def opt_out_notes(sandbox: SandboxState) -> list[str]:
    return [
        d.custom_value for d in sandbox.store.data_for(SMS_ID) if d.custom_key == "gateway_status"
    ]


async def test_stop_while_sdx_is_down_is_completed_in_sdx_by_the_sweeper(
    gateway: tuple[TestClient[Any, Any], Settings], sandbox: SandboxState
) -> None:
    """Both the abandon and the opt-out note fail; the sweeper does both once SDX is back."""
    client, settings = gateway
    phone = Phone(client, settings, respondent=DEMO_RESPONDENT, number=SMS_NUMBER)
    await phone.send("hello")
    sandbox.faults.add(Fault(method=None, path=".*", status=503))
    assert await phone.send("STOP") == []
    expiry = client.server.app[COMPONENTS].sms_expiry
    assert await expiry.sweep(now=time.time() + 1) == 0  # SDX still down
    sandbox.faults.clear()
    assert (sandbox.store.interaction(SMS_ID).completed, opt_out_notes(sandbox)) == (False, [])
    assert await expiry.sweep(now=time.time() + 400) == 1  # after the lease
    assert sandbox.store.interaction(SMS_ID).completed
    assert opt_out_notes(sandbox) == ["opted_out"]
    assert await expiry.sweep(now=time.time() + 4000) == 0  # done: nothing more
    assert applied_abandons(sandbox) == 1  # the tries while SDX was down did nothing
    assert await phone.send("hello") == []  # still opted out


async def test_an_opt_out_note_that_failed_alone_is_written_by_the_sweeper(
    gateway: tuple[TestClient[Any, Any], Settings], sandbox: SandboxState
) -> None:
    client, settings = gateway
    phone = Phone(client, settings, respondent=DEMO_RESPONDENT, number=SMS_NUMBER)
    await phone.send("hello")
    sandbox.faults.add(Fault(method="POST", path="/interaction_data", status=500))
    assert await phone.send("STOP") == []
    assert sandbox.store.interaction(SMS_ID).completed  # the abandon went through
    sandbox.faults.clear()
    assert await client.server.app[COMPONENTS].sms_expiry.sweep(now=time.time() + 1) == 1
    assert opt_out_notes(sandbox) == ["opted_out"]
    assert count(sandbox, ABANDON) == 1  # not abandoned again
    assert applied_abandons(sandbox) == 1


async def test_deleted_interaction_ends_the_conversation(
    phone: Phone, sandbox: SandboxState
) -> None:
    await phone.send("hello")
    sandbox.faults.add(Fault(method="POST", path=SUBMIT, status=410))
    assert await phone.send("9") == []
    sandbox.faults.clear()
    assert await phone.send("9") == []  # ended: nothing more is submitted
    assert count(sandbox, SUBMIT) == 1


async def test_conversation_busy_for_too_long(
    start_gateway: GatewayFactory, sandbox: SandboxState
) -> None:
    client, settings = await start_gateway(gateway_webhook_deadline=1.0)
    phone = Phone(client, settings, respondent=DEMO_RESPONDENT, number=SMS_NUMBER)
    await phone.send("hello")
    sandbox.faults.add(Fault(method="POST", path=SUBMIT, delay=0.9, times=1))

    async def second() -> list[str]:
        await asyncio.sleep(0.05)
        return await phone.send("4")

    first, late = await asyncio.gather(phone.send("9"), second())
    assert late == [settings.gateway_sms_try_later_message]  # waited half the deadline
    assert first[0].startswith("On a scale of 1 to 5")
    assert answers(sandbox, SMS_ID) == ["9"]


async def test_redis_failing_after_sdx_took_the_answer_does_not_double_it(
    start_gateway: GatewayFactory,
    sandbox: SandboxState,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """SDX records the answer, then Redis stalls before the conversation is saved.
    The respondent is told to try again; their repeat must not answer question 2."""
    server = RedisServer(tmp_path_factory.mktemp("stalling-redis"))
    server.start()
    try:
        client, settings = await start_gateway(redis_url=server.url)
        phone = Phone(client, settings, respondent=DEMO_RESPONDENT, number=SMS_NUMBER)
        await phone.send("hello")
        sandbox.faults.add(Fault(method="POST", path=SUBMIT, delay=0.3, times=1))

        async def stall_redis() -> None:
            await asyncio.sleep(0.15)  # after the pre-submit save, before the final one
            admin = SyncRedis(port=server.port)
            admin.execute_command("CLIENT", "PAUSE", "2500", "WRITE")
            admin.close()

        reply, _ = await asyncio.gather(phone.send("9"), stall_redis())
        assert reply == [settings.gateway_sms_try_later_message]
        assert answers(sandbox, SMS_ID) == ["9"]
        await asyncio.sleep(2.6)  # Redis is back
        assert await phone.send("9") == [
            "On a scale of 1 to 5, how satisfied were you with your delivery?"
        ]
        assert answers(sandbox, SMS_ID) == ["9"]
    finally:
        server.stop()


async def test_a_message_sid_is_remembered_for_a_week(
    start_gateway: GatewayFactory, sandbox: SandboxState, redis_url: str
) -> None:
    """A webhook replayed days later is answered from memory, not applied again."""
    client, settings = await start_gateway()
    phone = Phone(client, settings, respondent=DEMO_RESPONDENT, number=SMS_NUMBER)
    await phone.send("hello")
    sid = new_message_sid()
    reply = await phone.send("9", message_sid=sid)
    redis = SyncRedis.from_url(redis_url)
    try:
        remaining = redis.ttl(f"{settings.gateway_redis_prefix}sms:msg:{sid}")
    finally:
        redis.close()
    assert remaining > 6 * 24 * 3600
    assert await phone.send("9", message_sid=sid) == reply
    assert answers(sandbox, SMS_ID) == ["9"]
