"""Redis refusing writes just after SDX took an answer: the survey stays resumable.

A redis-server with ``min-replicas-to-write 1`` and no replica answers every
write with NOREPLICAS while reads still work: the session cannot be saved,
yet the one read by the hang-up's status callback is the old one, still
"active" on the turn just answered. That hang-up must not abandon a survey
whose answer SDX recorded; a call back resumes it at the next question.
"""

from __future__ import annotations

import asyncio

from redis import Redis as SyncRedis

from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.sdx import Fault, SandboxState
from tests.faults.conftest import Q3, VOICE_SEEDED, requests_to
from tests.helpers.call import Call
from tests.helpers.ledger import SUBMIT, answers
from tests.helpers.servers import RedisServer
from tests.helpers.settings import GatewayFactory
from tests.voice.conftest import INBOUND


def refuse_writes(server: RedisServer, refuse: bool) -> None:
    client = SyncRedis(port=server.port, socket_timeout=5)
    try:
        client.config_set("min-replicas-to-write", 1 if refuse else 0)
    finally:
        client.close()


async def test_hang_up_after_an_unsaved_answer_leaves_the_survey_to_resume(
    private_redis: RedisServer, start_gateway: GatewayFactory, sandbox: SandboxState
) -> None:
    client, settings = await start_gateway(redis_url=private_redis.url)
    call = Call(client, settings, caller=DEMO_RESPONDENT, called=INBOUND)
    await call.start()
    await call.press("9")
    # SDX takes the answer slowly; meanwhile Redis starts refusing writes.
    sandbox.faults.add(Fault(method="POST", path=SUBMIT, delay=0.5, after=True, times=1))
    pressing = asyncio.create_task(call.press("4"))
    while not requests_to(sandbox, "submit")[1:]:  # noqa: ASYNC110 (the sandbox has no event for it)
        await asyncio.sleep(0.01)
    refuse_writes(private_redis, True)
    await pressing
    assert call.spoken() == [settings.gateway_apology_message]
    assert answers(sandbox, VOICE_SEEDED) == ["9", "4"]  # SDX has it; Redis does not
    refuse_writes(private_redis, False)

    await call.hang_up()  # the status callback: the saved session still says "active"
    assert requests_to(sandbox, "abandon") == []
    assert not sandbox.store.interactions[VOICE_SEEDED].completed

    again = Call(client, settings, caller=DEMO_RESPONDENT, called=INBOUND)
    await again.start()
    assert again.spoken()[-1].startswith(Q3)
    await again.press("1")
    await again.say("Fine")
    assert answers(sandbox, VOICE_SEEDED) == ["9", "4", "Yes", "Fine"]
