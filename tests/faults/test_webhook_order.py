"""Webhooks twice, late, out of order; Redis flushed mid-conversation (SMS);
two gateway replicas behind one Redis (SMS). Cases the voice/sms suites lack."""

from __future__ import annotations

import asyncio
from typing import Any

from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.sdx import Fault, SandboxState
from tests.faults.conftest import SUBMIT, applied, requests_to
from tests.helpers.call import Call
from tests.helpers.ledger import answers
from tests.helpers.phone import Phone, new_message_sid
from tests.helpers.servers import RedisServer
from tests.helpers.settings import GatewayFactory
from tests.sms.conftest import SMS_NUMBER
from tests.voice.conftest import INBOUND

Q2_SMS = "On a scale of 1 to 5, how satisfied were you with your delivery?"
THANKS = ["Thanks for your feedback!"]


def action_of(call: Call) -> str:
    return call.gather.attrib["action"][len(call.settings.gateway_public_url) :]


async def test_voice_answer_delivered_twice_in_a_row(
    start_gateway: GatewayFactory, sandbox: SandboxState
) -> None:
    client, settings = await start_gateway()
    call = Call(client, settings, caller=DEMO_RESPONDENT, called=INBOUND)
    await call.start()
    action = action_of(call)
    await call.press("9")
    first = call.xml
    await call.post(action, Digits="9")  # Twilio retries after a lost reply
    assert call.xml == first
    assert applied(sandbox, "submit", None) == 1
    await call.press("4")
    assert answers(sandbox, 1001) == ["9", "4"]


async def test_voice_replay_of_an_old_turn_after_later_turns(
    start_gateway: GatewayFactory, sandbox: SandboxState
) -> None:
    client, settings = await start_gateway()
    call = Call(client, settings, caller=DEMO_RESPONDENT, called=INBOUND)
    await call.start()
    first_action = action_of(call)
    await call.press("9")
    await call.press("4")
    current = call.xml
    # A very late copy of turn 1 (with another value): must change nothing.
    late = await call.post(first_action, follow=False, Digits="3")
    assert late.tag == "Response"
    assert answers(sandbox, 1001) == ["9", "4"]
    assert call.xml == current
    await call.press("1")
    await call.say("Thanks")
    assert call.hung_up_by_gateway
    assert answers(sandbox, 1001) == ["9", "4", "Yes", "Thanks"]
    assert applied(sandbox, "submit", None) == 4


async def test_voice_status_callback_overtakes_the_last_answer(
    start_gateway: GatewayFactory, sandbox: SandboxState
) -> None:
    """The last Gather action is slow at SDX; the completed callback arrives meanwhile."""
    client, settings = await start_gateway()
    call = Call(client, settings, caller=DEMO_RESPONDENT, called=INBOUND)
    await call.start()
    for digits in ("9", "4", "1"):
        await call.press(digits)
    sandbox.faults.add(Fault(method="POST", path=SUBMIT[1], delay=0.3, times=1))

    async def hang_up_soon() -> Any:
        await asyncio.sleep(0.05)
        return await call.hang_up()

    await asyncio.gather(call.say("Thanks"), hang_up_soon())
    assert answers(sandbox, 1001) == ["9", "4", "Yes", "Thanks"]
    assert requests_to(sandbox, "abandon") == []
    assert sandbox.store.interactions[1001].survey_ended  # completed, not abandoned


async def test_sms_replay_of_an_old_message_after_later_ones(
    start_gateway: GatewayFactory, sandbox: SandboxState
) -> None:
    client, settings = await start_gateway()
    phone = Phone(client, settings, respondent=DEMO_RESPONDENT, number=SMS_NUMBER)
    await phone.send("hello")
    old_sid = new_message_sid()
    first_reply = await phone.send("9", message_sid=old_sid)
    assert first_reply == [Q2_SMS]
    await phone.send("4")
    assert await phone.send("9", message_sid=old_sid) == first_reply  # the stored reply
    await phone.send("yes")
    assert await phone.send("Fast please") == THANKS
    assert answers(sandbox, 1003) == ["9", "4", "Yes", "Fast please"]
    assert applied(sandbox, "submit", None) == 4


async def test_sms_redis_flushed_mid_survey_loses_no_answer(
    start_gateway: GatewayFactory, sandbox: SandboxState, redis_server: RedisServer
) -> None:
    client, settings = await start_gateway(gateway_index_min_age=0)
    phone = Phone(client, settings, respondent=DEMO_RESPONDENT, number=SMS_NUMBER)
    await phone.send("hello")
    await phone.send("9")
    redis_server.flush()  # conversations, message ids and indexes all gone
    # Resumed from SDX where it stands (question 2), never from question 1 and
    # never answering question 3. Today the text that found no conversation
    # only resumes the survey and is not itself submitted (see the report).
    assert await phone.send("4") == [Q2_SMS]
    assert answers(sandbox, 1003) == ["9"]
    assert await phone.send("4") != [Q2_SMS]
    assert answers(sandbox, 1003) == ["9", "4"]
    await phone.send("yes")
    assert await phone.send("Fast please") == THANKS
    assert answers(sandbox, 1003) == ["9", "4", "Yes", "Fast please"]


async def test_sms_two_replicas_share_one_conversation(
    start_gateway: GatewayFactory, sandbox: SandboxState
) -> None:
    one, settings = await start_gateway()
    two, _ = await start_gateway()
    phone = Phone(one, settings, respondent=DEMO_RESPONDENT, number=SMS_NUMBER)
    await phone.send("hello")
    phone.client = two
    assert await phone.send("9") == [Q2_SMS]
    phone.client = one
    await phone.send("4")
    # The same message delivered to both replicas at once: applied once.
    sid = new_message_sid()
    phone.client = two
    twin = Phone(one, settings, respondent=DEMO_RESPONDENT, number=SMS_NUMBER)
    a, b = await asyncio.gather(phone.send("yes", sid), twin.send("yes", sid))
    assert a == b
    assert await phone.send("Fast please") == THANKS
    assert answers(sandbox, 1003) == ["9", "4", "Yes", "Fast please"]
    assert applied(sandbox, "submit", None) == 4
