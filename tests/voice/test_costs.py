"""What one answered turn costs: exactly one SDX request, at most three Redis round trips."""

from __future__ import annotations

from gateway.sandbox.sdx import SandboxState
from tests.helpers.call import Call
from tests.helpers.servers import RoundTrips


async def measure(
    call: Call, sandbox: SandboxState, trips: RoundTrips, digits: str
) -> tuple[list[str], int]:
    before_sdx, before_redis = len(sandbox.requests), trips.count
    await call.press(digits)
    return [r.path for r in sandbox.requests[before_sdx:]], trips.count - before_redis


async def test_answered_turn_costs(
    call: Call, sandbox: SandboxState, redis_round_trips: RoundTrips
) -> None:
    await call.start()
    await call.press("9")  # connections are warm from here on

    paths, trips = await measure(call, sandbox, redis_round_trips, "4")
    assert paths == ["/interactions/1001/submit_response"]
    assert trips == 2  # load + claim (pipelined), save

    paths, trips = await measure(call, sandbox, redis_round_trips, "1")
    assert paths == ["/interactions/1001/submit_response"]
    assert trips == 2

    before_sdx, before_redis = len(sandbox.requests), redis_round_trips.count
    await call.say("All good")  # the last answer: the survey completes
    assert [r.path for r in sandbox.requests[before_sdx:]] == ["/interactions/1001/submit_response"]
    assert redis_round_trips.count - before_redis == 3  # ... and the index forgets the number
    assert call.hung_up_by_gateway


async def test_silence_costs_no_sdx_request(
    call: Call, sandbox: SandboxState, redis_round_trips: RoundTrips
) -> None:
    await call.start()
    before_sdx, before_redis = len(sandbox.requests), redis_round_trips.count
    await call.silence()
    assert sandbox.requests[before_sdx:] == []
    assert redis_round_trips.count - before_redis == 2


async def test_second_call_of_a_survey_does_not_relist(call: Call, sandbox: SandboxState) -> None:
    """The index serves the lookup: a busy survey is not listed on every call."""

    def listed() -> list[str]:
        return [r.query["survey_id"] for r in sandbox.requests if r.path == "/interactions"]

    await call.start()
    assert set(listed()) == {"52"}  # its first call lists the survey once
    first = len(listed())
    other = Call(call.client, call.settings, caller="+61400000002", called="+61200000001")
    await other.start()  # survey 53: listed once
    assert listed()[first:] == ["53"] * first
    again = Call(call.client, call.settings, caller="+61400000002", called="+61200000001")
    await again.start()  # same survey, served from the index
    assert len(listed()) == 2 * first
