"""Voice: each SDX fault at each step of a call, then a call back that completes.

For every case: the caller hears valid TwiML (an apology, or the normal next
prompt) within the deadline; after the fault clears, calling back finishes
the survey; SDX holds exactly the intended answers, each submitted once; the
process keeps serving.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.sdx import SandboxState
from tests.faults.conftest import FAST, REPLY_BOUND, Kind, applied, settle, table, unnoticed
from tests.helpers.call import Call
from tests.helpers.ledger import answers
from tests.helpers.settings import GatewayFactory
from tests.voice.conftest import INBOUND

NEW_CALLER = "+61400000099"  # no interaction in the seed: created with GATEWAY_INBOUND_CREATE
SEEDED = 1001
# GATEWAY_INDEX_MIN_AGE, shortened (default 5 s): see the abandon cases.
INDEX_MIN_AGE = 0.2
Q1, Q2, Q3 = "How likely", "On a scale of 1 to 5", "Was your issue resolved?"
ALL_ANSWERS = ["9", "4", "Yes", "Thanks"]


def interactions_of(sandbox: SandboxState, phone: str) -> list[int]:
    return [
        i.id
        for i in sandbox.store.live_interactions()
        if i.survey_id == 52 and i.phone_number == phone
    ]


async def timed(call: Call, action: str, *args: str) -> float:
    started = time.monotonic()
    await getattr(call, action)(*args)  # asserts 200, text/xml, a <Response> root
    return time.monotonic() - started


async def finish_from(call: Call, first_prompt: str) -> None:
    """Answer the rest of the survey from the question ``first_prompt`` starts."""
    script = [(Q1, "9"), (Q2, "4"), (Q3, "1")]
    index = next(n for n, (prompt, _) in enumerate(script) if first_prompt.startswith(prompt))
    for _, digits in script[index:]:
        await call.press(digits)
    await call.say("Thanks")
    assert call.hung_up_by_gateway


@pytest.mark.parametrize(("step", "kind"), table())
async def test_voice_fault(
    step: str, kind: Kind, start_gateway: GatewayFactory, sandbox: SandboxState
) -> None:
    client, settings = await start_gateway(
        gateway_inbound_create=step == "create", gateway_index_min_age=INDEX_MIN_AGE, **FAST
    )
    caller = NEW_CALLER if step == "create" else DEMO_RESPONDENT
    apology = settings.gateway_apology_message
    call = Call(client, settings, caller=caller, called=INBOUND)

    if unnoticed(step, kind):
        # The reply was lost, the change made: the caller hears the next
        # prompt at once and finishes the survey in the same call.
        if step == "submit":
            await call.start()
        sandbox.faults.add(kind.fault(step))
        if step == "create":
            assert await timed(call, "start") < REPLY_BOUND
        else:
            assert await timed(call, "press", "9") < REPLY_BOUND
        expected = Q1 if step == "create" else Q2
        assert call.spoken()[-1].startswith(expected), call.spoken()
        await finish_from(call, call.spoken()[-1])
        await settle(sandbox)
        (interaction,) = interactions_of(sandbox, caller) if step == "create" else [SEEDED]
        assert answers(sandbox, interaction) == ALL_ANSWERS
        assert applied(sandbox, "submit", kind if step == "submit" else None) == 4
        assert applied(sandbox, "create", kind if step == "create" else None) == int(
            step == "create"
        )
        assert sandbox.store.interactions[interaction].completed
        return

    if step in {"list", "create", "start"}:
        sandbox.faults.add(kind.fault(step))
        assert await timed(call, "start") < REPLY_BOUND
        assert call.spoken() == [apology]
        assert call.hung_up_by_gateway
    elif step == "submit":
        await call.start()
        sandbox.faults.add(kind.fault(step))
        assert await timed(call, "press", "9") < REPLY_BOUND
        assert call.spoken() == [apology]
        assert call.hung_up_by_gateway
    else:  # abandon: the caller hangs up after one answer
        await call.start()
        await call.press("9")
        sandbox.faults.add(kind.fault(step))
        started = time.monotonic()
        twiml = await call.hang_up()
        assert time.monotonic() - started < REPLY_BOUND
        assert list(twiml) == []
    await call.hang_up()  # Twilio repeats a status callback at times: harmless
    await settle(sandbox)
    sandbox.faults.clear()
    # A call back comes later than this: the gateway may list SDX again by then.
    await asyncio.sleep(INDEX_MIN_AGE)

    if step == "create":
        # However the create went, one interaction exists for the caller at most.
        assert len(interactions_of(sandbox, caller)) == int(kind.applied)
    again = Call(client, settings, caller=caller, called=INBOUND)
    await again.start()
    (interaction,) = interactions_of(sandbox, caller) if step == "create" else [SEEDED]

    if step == "abandon" and kind.applied:
        # SDX abandoned it although the reply was lost: nothing left to take.
        assert again.spoken() == [settings.gateway_no_survey_message]
        assert sandbox.store.interactions[interaction].completed
        assert answers(sandbox, interaction) == ["9"]
        assert applied(sandbox, "submit", None) == 1
        assert applied(sandbox, "abandon", kind) == 1
    else:
        answered_before = (step == "submit" and kind.applied) or step == "abandon"
        expected_first = Q2 if answered_before else Q1
        assert again.spoken()[-1].startswith(expected_first), again.spoken()
        await finish_from(again, again.spoken()[-1])
        assert answers(sandbox, interaction) == ALL_ANSWERS
        submit_kind = kind if step == "submit" else None
        assert applied(sandbox, "submit", submit_kind) == len(ALL_ANSWERS)
        assert applied(sandbox, "abandon", kind if step == "abandon" else None) == 0
    assert sandbox.store.interactions[interaction].completed

    # The process keeps serving.
    health = await client.get("/healthz")
    assert health.status == 200
