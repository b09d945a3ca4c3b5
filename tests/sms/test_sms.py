"""Whole SMS conversations through the real app: signed webhooks, SDX sandbox, real Redis."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from gateway.config import Settings
from gateway.run.serve import COMPONENTS
from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.sdx import Fault, SandboxState
from tests.helpers.ledger import ABANDON, SUBMIT, answers, count
from tests.helpers.phone import Phone, new_message_sid
from tests.helpers.servers import free_port
from tests.helpers.settings import GatewayFactory
from tests.helpers.signing import signed_post
from tests.sms.conftest import SMS_NUMBER

SMS_ID = 1003  # the demo respondent's pending sms interaction on survey 54
GREETING = (
    "Hi, it's Example Co. We'd love your feedback on your recent order.\n"
    "Reply to each question with a text message. Reply STOP to opt out.\n"
    "How likely are you to recommend us to a friend, from 0 to 10?"
)


async def test_whole_survey_by_sms(
    start_gateway: GatewayFactory, sandbox: SandboxState, store_kind: str
) -> None:
    client, settings = await start_gateway(memory=store_kind == "memory")
    phone = Phone(client, settings, respondent=DEMO_RESPONDENT, number=SMS_NUMBER)
    assert await phone.send("Hi") == [GREETING]
    assert await phone.send("eleven") == [
        "Sorry, that is not a valid response.\n"
        "How likely are you to recommend us to a friend, from 0 to 10?"
    ]
    assert await phone.send("  9 ") == [
        "On a scale of 1 to 5, how satisfied were you with your delivery?"
    ]
    assert await phone.send("four") == ["Was your issue resolved? Reply YES or NO."]
    assert await phone.send("Yes!") == ["Please tell us how we could do better."]
    assert await phone.send("Faster\n\n  delivery,   please") == ["Thanks for your feedback!"]
    assert answers(sandbox, SMS_ID) == ["9", "4", "Yes", "Faster delivery, please"]
    assert sandbox.store.interaction(SMS_ID).survey_ended

    # Later messages from that number submit nothing.
    assert await phone.send("Thanks!") == []
    assert count(sandbox, SUBMIT) == 5
    assert count(sandbox, r"/interactions/\d+/start_survey") == 1


async def test_duplicate_message_sid_is_submitted_once(phone: Phone, sandbox: SandboxState) -> None:
    await phone.send("hello")
    sid = new_message_sid()
    first = await phone.send("9", message_sid=sid)
    again = await phone.send("9", message_sid=sid)
    # Twilio repeats a webhook only when it did not get the first reply, so the
    # repeat gets that reply again (never a second submit).
    assert again == first
    assert count(sandbox, SUBMIT) == 1
    assert answers(sandbox, SMS_ID) == ["9"]


async def test_two_messages_at_once_apply_in_order(phone: Phone, sandbox: SandboxState) -> None:
    await phone.send("hello")
    sandbox.faults.add(Fault(method="POST", path=SUBMIT, delay=0.3, times=1))

    async def later(body: str) -> list[str]:
        await asyncio.sleep(0.05)
        return await phone.send(body)

    first, second = await asyncio.gather(phone.send("9"), later("4"))
    assert first == ["On a scale of 1 to 5, how satisfied were you with your delivery?"]
    assert second == ["Was your issue resolved? Reply YES or NO."]
    assert answers(sandbox, SMS_ID) == ["9", "4"]
    assert count(sandbox, SUBMIT) == 2


@pytest.mark.parametrize(
    "keyword",
    [
        "STOP",
        "stop",
        " Stop ",
        "STOPALL",
        "UNSUBSCRIBE",
        "CANCEL",
        "END",
        "QUIT",
        "REVOKE",
        "OPTOUT",
    ],
)
async def test_opt_out_keywords(
    gateway: tuple[TestClient[Any, Any], Settings], sandbox: SandboxState, keyword: str
) -> None:
    client, settings = gateway
    phone = Phone(client, settings, respondent=DEMO_RESPONDENT, number=SMS_NUMBER)
    await phone.send("hello")
    await phone.send("9")
    assert await phone.send(keyword) == []  # the carrier confirms the opt-out
    assert count(sandbox, ABANDON) == 1
    interaction = sandbox.store.interaction(SMS_ID)
    assert interaction.completed
    assert not interaction.survey_ended
    assert [(d.custom_key, d.custom_value) for d in sandbox.store.data_for(SMS_ID)] == [
        ("gateway_status", "opted_out")
    ]
    assert answers(sandbox, SMS_ID) == ["9"]
    conversations = client.server.app[COMPONENTS].stores.conversations
    assert await conversations.is_opted_out(DEMO_RESPONDENT)
    # Nothing later is submitted or started.
    assert await phone.send("4") == []
    assert count(sandbox, SUBMIT) == 1


async def test_start_clears_the_opt_out(
    gateway: tuple[TestClient[Any, Any], Settings], sandbox: SandboxState
) -> None:
    client, settings = gateway
    conversations = client.server.app[COMPONENTS].stores.conversations
    phone = Phone(client, settings, respondent="+61400000321", number=SMS_NUMBER)
    assert await phone.send("STOP") == []
    assert await conversations.is_opted_out("+61400000321")
    assert await phone.send("unstop") == []
    assert not await conversations.is_opted_out("+61400000321")
    await phone.send("STOP")
    assert await phone.send("Start") == []
    assert not await conversations.is_opted_out("+61400000321")
    assert count(sandbox, SUBMIT) == 0


@pytest.mark.parametrize("keyword", ["HELP", "help", "Info"])
async def test_help_is_answered_never_submitted(
    phone: Phone, sandbox: SandboxState, keyword: str
) -> None:
    await phone.send("hello")
    assert await phone.send(keyword) == [phone.settings.gateway_sms_help_message]
    assert count(sandbox, SUBMIT) == 0
    assert await phone.send("9") == [
        "On a scale of 1 to 5, how satisfied were you with your delivery?"
    ]


async def test_opted_out_respondent_is_not_started(phone: Phone, sandbox: SandboxState) -> None:
    assert await phone.send("STOP") == []
    assert await phone.send("hello") == []
    assert count(sandbox, r"/interactions/\d+/start_survey") == 0


async def test_idle_conversation_is_abandoned_in_sdx(
    gateway: tuple[TestClient[Any, Any], Settings], sandbox: SandboxState
) -> None:
    client, settings = gateway
    phone = Phone(client, settings, respondent=DEMO_RESPONDENT, number=SMS_NUMBER)
    await phone.send("hello")
    await phone.send("9")
    expiry = client.server.app[COMPONENTS].sms_expiry
    assert await expiry.sweep(now=time.time() + 60) == 0  # not idle yet
    later = time.time() + settings.gateway_sms_session_ttl + 1
    assert await expiry.sweep(now=later) == 1
    assert count(sandbox, ABANDON) == 1
    assert sandbox.store.interaction(SMS_ID).completed
    assert await expiry.sweep(now=later + 3600) == 0  # once
    assert count(sandbox, ABANDON) == 1
    assert await phone.send("4") == []  # expired: nothing submitted
    assert answers(sandbox, SMS_ID) == ["9"]


async def test_expiry_retries_when_sdx_is_down(
    gateway: tuple[TestClient[Any, Any], Settings], sandbox: SandboxState
) -> None:
    client, settings = gateway
    phone = Phone(client, settings, respondent=DEMO_RESPONDENT, number=SMS_NUMBER)
    await phone.send("hello")
    expiry = client.server.app[COMPONENTS].sms_expiry
    later = time.time() + settings.gateway_sms_session_ttl + 1
    sandbox.faults.add(Fault(method="POST", path=ABANDON, status=500))
    assert await expiry.sweep(now=later) == 0
    sandbox.faults.clear()
    assert await expiry.sweep(now=later + 1) == 0  # leased: not retried at once
    assert await expiry.sweep(now=later + 301) == 1  # after the lease
    assert sandbox.store.interaction(SMS_ID).completed


async def test_sdx_outage_then_the_retry_is_submitted(phone: Phone, sandbox: SandboxState) -> None:
    await phone.send("hello")
    await phone.send("9")
    sandbox.faults.add(Fault(method=None, path=".*", status=500))
    assert await phone.send("4") == [phone.settings.gateway_sms_try_later_message]
    sandbox.faults.clear()
    assert await phone.send("4") == ["Was your issue resolved? Reply YES or NO."]
    assert answers(sandbox, SMS_ID) == ["9", "4"]


async def test_answer_that_reached_sdx_is_not_submitted_again(
    phone: Phone, sandbox: SandboxState
) -> None:
    """SDX applied the answer but the reply was lost: SDX is asked where the
    survey stands, and the respondent gets the next question without noticing."""
    await phone.send("hello")
    sandbox.faults.add(Fault(method="POST", path=SUBMIT, status=502, after=True, times=1))
    assert await phone.send("9") == [
        "On a scale of 1 to 5, how satisfied were you with your delivery?"
    ]
    assert answers(sandbox, SMS_ID) == ["9"]
    assert count(sandbox, SUBMIT) == 1
    await phone.send("3")
    assert answers(sandbox, SMS_ID) == ["9", "3"]


async def test_long_reply_is_split_on_words(phone: Phone, sandbox: SandboxState) -> None:
    sandbox.store.surveys[54].greeting_text = " ".join(f"word{n:04d}" for n in range(400))
    messages = await phone.send("hello")
    assert len(messages) == 3
    assert all(len(m) <= 1600 for m in messages)
    assert all(re.fullmatch(r"(word\d{4}[ \n])*word\d{4}|.*\?", m, re.S) for m in messages[:-1])
    rejoined = " ".join(messages).replace("\n", " ")
    assert rejoined.split()[:400] == [f"word{n:04d}" for n in range(400)]


async def test_characters_xml_cannot_carry_are_dropped(phone: Phone, sandbox: SandboxState) -> None:
    """A lone surrogate (half an emoji), a NUL, a vertical tab and U+FFFE from SDX:
    the reply still parses and carries the rest of the text."""
    survey = sandbox.store.surveys[54]
    survey.greeting_text = "Hello\ud800 there\x00,\x0bfriend\ufffe."
    survey.instructions_text = ""
    assert await phone.send("hello") == [
        "Hello there, friend.\nHow likely are you to recommend us to a friend, from 0 to 10?"
    ]
    # Its delivery is reported to the status route, naming the question asked.
    status = f"{phone.settings.gateway_public_url}/twilio/sms/status?question=509"
    assert phone.xml == (
        f'<?xml version="1.0" encoding="UTF-8"?><Response><Message action="{status}">'
        "Hello there, friend.\n"
        "How likely are you to recommend us to a friend, from 0 to 10?</Message></Response>"
    )


async def test_unknown_respondent(
    phone: Phone, sandbox: SandboxState, start_gateway: GatewayFactory
) -> None:
    stranger = Phone(phone.client, phone.settings, respondent="+61400000999", number=SMS_NUMBER)
    assert await stranger.send("hi") == [phone.settings.gateway_sms_no_survey_message]
    client, settings = await start_gateway(gateway_sms_no_survey_message="")
    quiet = Phone(client, settings, respondent="+61400000998", number=SMS_NUMBER)
    assert await quiet.send("hi") == []
    assert count(sandbox, r"/interactions/\d+/start_survey") == 0


async def test_unknown_respondent_gets_an_interaction_when_allowed(
    start_gateway: GatewayFactory, sandbox: SandboxState
) -> None:
    client, settings = await start_gateway(gateway_inbound_create=True)
    stranger = Phone(client, settings, respondent="+61400000999", number=SMS_NUMBER)
    first = await stranger.send("hi")
    assert first[0].endswith("from 0 to 10?")
    (made,) = [i for i in sandbox.store.interactions.values() if i.phone_number == "+61400000999"]
    assert made.survey_type == "sms"
    await stranger.send("10")
    assert answers(sandbox, made.id) == ["10"]


async def test_forged_signature_is_403(
    gateway: tuple[TestClient[Any, Any], Settings], sandbox: SandboxState
) -> None:
    client, settings = gateway
    params = {
        "MessageSid": new_message_sid(),
        "From": DEMO_RESPONDENT,
        "To": SMS_NUMBER,
        "Body": "9",
    }
    assert (await client.post("/twilio/sms", data=params)).status == 403
    forged = await signed_post(client, "/twilio/sms", params, settings=settings, token="x")
    assert forged.status == 403
    assert [r.path for r in sandbox.requests if r.path != "/surveys"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"From": DEMO_RESPONDENT, "To": SMS_NUMBER, "Body": "9"},
        {"MessageSid": "SM1", "From": DEMO_RESPONDENT, "To": SMS_NUMBER},
        {"MessageSid": "SM" + "a" * 32, "To": SMS_NUMBER, "Body": "9"},
    ],
)
async def test_malformed_sms_is_400(
    gateway: tuple[TestClient[Any, Any], Settings], params: dict[str, str]
) -> None:
    client, settings = gateway
    response = await signed_post(client, "/twilio/sms", params, settings=settings)
    assert response.status == 400


async def test_redis_down_gets_try_later(start_gateway: GatewayFactory) -> None:
    client, settings = await start_gateway(redis_url=f"redis://127.0.0.1:{free_port()}/0")
    phone = Phone(client, settings, respondent=DEMO_RESPONDENT, number=SMS_NUMBER)
    assert await phone.send("hello") == [settings.gateway_sms_try_later_message]
