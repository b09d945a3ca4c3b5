"""What one answered SMS costs: exactly one SDX request, two Redis round trips."""

from __future__ import annotations

from gateway.run.serve import COMPONENTS
from gateway.sandbox.sdx import SandboxState
from tests.helpers.phone import Phone
from tests.helpers.servers import RoundTrips


async def measure(
    phone: Phone, sandbox: SandboxState, trips: RoundTrips, body: str
) -> tuple[list[str], list[str], int]:
    before_sdx, before_redis = len(sandbox.requests), trips.count
    reply = await phone.send(body)
    return reply, [r.path for r in sandbox.requests[before_sdx:]], trips.count - before_redis


async def test_answered_message_costs(
    phone: Phone, sandbox: SandboxState, redis_round_trips: RoundTrips
) -> None:
    await phone.send("hello")
    await phone.send("9")  # connections are warm, scripts loaded

    reply, paths, trips = await measure(phone, sandbox, redis_round_trips, "4")
    assert reply == ["Was your issue resolved? Reply YES or NO."]
    assert paths == ["/interactions/1003/submit_response"]
    # claim + lock + verify mark + load (one script), then the reply +
    # conversation + lock release (one transaction): nothing is saved before
    # submitting, the mark written with the claim stands in for that
    assert trips == 2


async def test_first_message_costs(
    phone: Phone, sandbox: SandboxState, redis_round_trips: RoundTrips
) -> None:
    # The survey's index, as it usually is.
    await phone.client.server.app[COMPONENTS].feed.build(54)
    reply, paths, trips = await measure(phone, sandbox, redis_round_trips, "hello")
    assert reply[0].endswith("How likely are you to recommend us to a friend, from 0 to 10?")
    assert paths == ["/interactions/1003/start_survey"]
    # claim + lock + load + opt-out (one script), the index lookup, the
    # interaction leaving the dispatcher's agenda (the respondent began it),
    # the reply + conversation + lock release (one transaction)
    assert trips == 4


async def test_repeated_message_costs_one_round_trip(
    phone: Phone, sandbox: SandboxState, redis_round_trips: RoundTrips
) -> None:
    await phone.send("hello")
    first = await phone.send("9", message_sid="SM" + "1" * 32)
    before_sdx, before_redis = len(sandbox.requests), redis_round_trips.count
    assert await phone.send("9", message_sid="SM" + "1" * 32) == first
    assert sandbox.requests[before_sdx:] == []
    assert redis_round_trips.count - before_redis == 1


async def test_help_costs_no_sdx_request(
    phone: Phone, sandbox: SandboxState, redis_round_trips: RoundTrips
) -> None:
    await phone.send("hello")
    reply, paths, trips = await measure(phone, sandbox, redis_round_trips, "HELP")
    assert reply == [phone.settings.gateway_sms_help_message]
    assert paths == []
    assert trips == 2


async def test_last_answer_costs_two_and_leaves_the_index(
    phone: Phone, sandbox: SandboxState, redis_round_trips: RoundTrips
) -> None:
    index = phone.client.server.app[COMPONENTS].index
    for body in ("hello", "9", "4", "yes"):
        await phone.send(body)
    assert await index.find([54], phone.respondent, ("sms",)) is not None
    reply, paths, trips = await measure(phone, sandbox, redis_round_trips, "ok")
    assert reply == ["Thanks for your feedback!"]
    assert paths == ["/interactions/1003/submit_response"]
    assert trips == 2  # the index forgets the number in the last transaction
    before = len(sandbox.requests)
    assert await index.find([54], phone.respondent, ("sms",)) is None
    # The miss looked for new interactions: one page, not the survey.
    (look,) = sandbox.requests[before:]
    assert (look.path, look.query["_order"], look.query["_offset"]) == (
        "/interactions",
        "DESC",
        "0",
    )
    assert await index.find([54], phone.respondent, ("sms",)) is None
    assert len(sandbox.requests) == before + 1  # not again within GATEWAY_INDEX_MIN_AGE
