"""SMS: each SDX fault at each step of a conversation, then the respondent retries.

For every case: the reply is valid TwiML (the try-later text, or nothing for
STOP) within the deadline; once the fault clears, sending the same text again
finishes the survey; SDX holds exactly the intended answers, each submitted
once; the process keeps serving.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from gateway.run.serve import COMPONENTS
from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.sdx import SandboxState
from tests.faults.conftest import FAST, REPLY_BOUND, Kind, applied, settle, table, unnoticed
from tests.helpers.ledger import answers
from tests.helpers.phone import Phone
from tests.helpers.settings import GatewayFactory
from tests.sms.conftest import SMS_NUMBER

NEW_RESPONDENT = "+61400000098"  # no interaction in the seed
SEEDED = 1003
INDEX_MIN_AGE = 0.2  # GATEWAY_INDEX_MIN_AGE, shortened (default 5 s)
Q1 = "How likely are you to recommend us to a friend, from 0 to 10?"
Q2 = "On a scale of 1 to 5, how satisfied were you with your delivery?"
THANKS = ["Thanks for your feedback!"]
ALL_ANSWERS = ["9", "4", "Yes", "Fast please"]


def interactions_of(sandbox: SandboxState, phone: str) -> list[int]:
    return [
        i.id
        for i in sandbox.store.live_interactions()
        if i.survey_id == 54 and i.phone_number == phone
    ]


async def timed_send(phone: Phone, body: str) -> tuple[list[str], float]:
    started = time.monotonic()
    reply = await phone.send(body)  # asserts 200, text/xml, <Response> of <Message>s
    return reply, time.monotonic() - started


@pytest.mark.parametrize(("step", "kind"), table())
async def test_sms_fault(
    step: str, kind: Kind, start_gateway: GatewayFactory, sandbox: SandboxState
) -> None:
    client, settings = await start_gateway(
        gateway_inbound_create=step == "create", gateway_index_min_age=INDEX_MIN_AGE, **FAST
    )
    respondent = NEW_RESPONDENT if step == "create" else DEMO_RESPONDENT
    phone = Phone(client, settings, respondent=respondent, number=SMS_NUMBER)
    try_later = [settings.gateway_sms_try_later_message]
    carried_on = unnoticed(step, kind)

    if step in {"list", "create", "start"}:
        sandbox.faults.add(kind.fault(step))
        reply, took = await timed_send(phone, "hello")
        if carried_on:
            assert reply[0].endswith(Q1)
        else:
            assert reply == try_later
    elif step == "submit":
        (first,) = await phone.send("hello")
        assert first.endswith(Q1)
        sandbox.faults.add(kind.fault(step))
        reply, took = await timed_send(phone, "9")
        assert reply == ([Q2] if carried_on else try_later)
    else:  # abandon: the respondent opts out after one answer
        await phone.send("hello")
        await phone.send("9")
        sandbox.faults.add(kind.fault(step))
        reply, took = await timed_send(phone, "STOP")
        assert reply == []  # the carrier confirms a STOP, never us
    assert took < REPLY_BOUND
    await settle(sandbox)
    sandbox.faults.clear()
    await asyncio.sleep(INDEX_MIN_AGE)  # a retry comes later than this

    if step == "create":
        assert len(interactions_of(sandbox, respondent)) == int(kind.applied)

    if step == "abandon":
        # Done now, or finished by the expiry sweeper (due at once).
        await client.server.app[COMPONENTS].sms_expiry.sweep(now=time.time() + 1)
        interaction = SEEDED
        assert sandbox.store.interactions[interaction].completed
        assert answers(sandbox, interaction) == ["9"]
        assert applied(sandbox, "submit", None) == 1
        assert not sandbox.store.interactions[interaction].survey_ended  # abandoned
        # An abandon whose reply was lost is found done by asking SDX. One
        # that may still be on its way is sent again by the sweeper; SDX's
        # abandon of an ended survey changes nothing.
        assert applied(sandbox, "abandon", kind) == (2 if kind.applied and not kind.after else 1)
        assert await phone.send("hello") == []  # opted out: nothing is started
    else:
        if carried_on and step == "create":
            assert await phone.send("9") == [Q2]
        elif step == "submit":
            if not carried_on:
                # The respondent sends the answer again; SDX may already have it.
                assert await phone.send("9") == [Q2]
        else:
            (first,) = await phone.send("hello")
            assert first.endswith(Q1)
            assert await phone.send("9") == [Q2]
        await phone.send("4")
        await phone.send("yes")
        assert await phone.send("Fast please") == THANKS
        (interaction,) = interactions_of(sandbox, respondent) if step == "create" else [SEEDED]
        assert answers(sandbox, interaction) == ALL_ANSWERS
        assert applied(sandbox, "submit", kind if step == "submit" else None) == 4
        assert sandbox.store.interactions[interaction].completed
    if step == "create":
        # Never a second interaction for the respondent, whatever happened.
        mine = [i for i in sandbox.store.interactions.values() if i.phone_number == respondent]
        assert len(mine) == 1

    health = await client.get("/healthz")
    assert health.status == 200
