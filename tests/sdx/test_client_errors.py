"""Every error class, and the retry policy: what is retried and what never is."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import aiohttp
import pytest

from gateway.sandbox.credentials import DEMO_BEARER_TOKEN, DEMO_CUSTOMER_UUID, DEMO_RESPONDENT
from gateway.sandbox.sdx import Fault, SandboxState
from gateway.sdx import SdxClient
from gateway.sdx.errors import (
    SdxBadRequest,
    SdxConflict,
    SdxConnectionError,
    SdxGone,
    SdxMethodNotAllowed,
    SdxNotFound,
    SdxProtocolError,
    SdxRateLimited,
    SdxServerError,
    SdxTimeout,
    SdxUnauthorized,
    SdxUnavailable,
)
from gateway.sdx.transport import RetryPolicy, SdxTransport
from tests.helpers.servers import free_port

SUBMIT = r"/interactions/\d+/submit_response"


async def started_interaction(sdx: SdxClient) -> int:
    items = [
        i
        async for i in sdx.iter_interactions(52, survey_type="inbound", started=False)
        if i.phone_number == DEMO_RESPONDENT
    ]
    await sdx.start_survey(items[0].id)
    return items[0].id


def calls(sandbox: SandboxState, method: str, pattern: str) -> int:
    import re

    return sum(1 for r in sandbox.requests if r.method == method and re.fullmatch(pattern, r.path))


# --- one test per error class -------------------------------------------------------


async def test_401_wrong_credentials(make_client: Callable[..., SdxClient]) -> None:
    client = make_client(customer_uuid=DEMO_CUSTOMER_UUID, auth_token="wrong")
    with pytest.raises(SdxUnauthorized) as info:
        await client.list_surveys()
    assert info.value.status == 401
    assert "wrong" not in str(info.value)


async def test_bearer_token_is_accepted(make_client: Callable[..., SdxClient]) -> None:
    client = make_client(bearer_token=DEMO_BEARER_TOKEN)
    assert await client.list_surveys(limit=1)
    with pytest.raises(SdxUnauthorized):
        await make_client(bearer_token="nope").list_surveys()


async def test_400_404_405_409_410(sdx: SdxClient, make_client: Callable[..., SdxClient]) -> None:
    with pytest.raises(SdxBadRequest):
        await sdx.list_interactions(52, limit=5000)
    with pytest.raises(SdxNotFound):
        await sdx.get_interaction(99999999)
    transport = sdx._t
    with pytest.raises(SdxMethodNotAllowed):
        await transport.request("PATCH", "/interactions/1001", safe=True)
    with pytest.raises(SdxConflict):
        await sdx.create_interaction(52, survey_type="inbound", phone_number=DEMO_RESPONDENT)
    made = await sdx.create_interaction(52, survey_type="web")
    await sdx.delete_interaction(made.id)
    with pytest.raises(SdxGone):
        await sdx.start_survey(made.id)


async def test_429_is_retried_after_retry_after(sdx: SdxClient, sandbox: SandboxState) -> None:
    sandbox.faults.add(
        Fault(method="GET", path="/surveys", status=429, times=1, headers={"Retry-After": "0"})
    )
    assert await sdx.list_surveys()
    assert calls(sandbox, "GET", "/surveys") == 2


async def test_429_with_long_retry_after_is_raised(sdx: SdxClient, sandbox: SandboxState) -> None:
    sandbox.faults.add(
        Fault(method="GET", path="/surveys", status=429, headers={"Retry-After": "120"})
    )
    with pytest.raises(SdxRateLimited) as info:
        await sdx.list_surveys()
    assert info.value.retry_after == 120
    assert calls(sandbox, "GET", "/surveys") == 1


async def test_5xx_on_a_safe_call_is_retried(sdx: SdxClient, sandbox: SandboxState) -> None:
    sandbox.faults.add(Fault(method="GET", path="/surveys/52", status=500, times=2))
    assert (await sdx.get_survey(52)).id == 52
    assert calls(sandbox, "GET", "/surveys/52") == 3


async def test_5xx_persisting_raises_server_error(sdx: SdxClient, sandbox: SandboxState) -> None:
    sandbox.faults.add(Fault(method="GET", path="/surveys/52", status=502))
    with pytest.raises(SdxServerError) as info:
        await sdx.get_survey(52)
    assert info.value.status == 502
    assert calls(sandbox, "GET", "/surveys/52") == 3  # 1 + GATEWAY_SDX_RETRIES


async def test_503_is_unavailable(sdx: SdxClient, sandbox: SandboxState) -> None:
    sandbox.faults.add(Fault(method="GET", path="/surveys", status=503))
    with pytest.raises(SdxUnavailable):
        await sdx.list_surveys()


async def test_timeout(make_client: Callable[..., SdxClient], sandbox: SandboxState) -> None:
    client = make_client(timeout=0.2, retries=0)
    sandbox.faults.add(Fault(method="GET", path="/surveys", delay=1.0))
    with pytest.raises(SdxTimeout):
        await client.list_surveys()


async def test_connection_refused_is_not_sent(http_session: aiohttp.ClientSession) -> None:
    transport = SdxTransport(
        http_session,
        f"http://127.0.0.1:{free_port()}/api",
        customer_uuid="u",
        auth_token="t",
        timeout=1,
        policy=RetryPolicy(retries=0),
    )
    with pytest.raises(SdxConnectionError) as info:
        await SdxClient(transport).list_surveys()
    assert info.value.sent is False


async def test_dropped_connection_may_have_been_sent(sdx: SdxClient, sandbox: SandboxState) -> None:
    interaction_id = await started_interaction(sdx)
    sandbox.faults.add(Fault(method="POST", path=SUBMIT, drop=True, times=1))
    with pytest.raises(SdxConnectionError) as info:
        await sdx.submit_response(interaction_id, "9")
    assert info.value.sent is True
    assert calls(sandbox, "POST", SUBMIT) == 1


async def test_unreadable_success_body_is_a_protocol_error(
    sdx: SdxClient, sandbox: SandboxState
) -> None:
    sandbox.faults.add(Fault(method="GET", path="/surveys/52", status=200, times=3))
    with pytest.raises(SdxProtocolError):
        await sdx.get_survey(52)


# --- what must never be retried ---------------------------------------------------


async def test_submit_response_is_not_resent_after_a_timeout(
    make_client: Callable[..., SdxClient], sandbox: SandboxState
) -> None:
    """The answer reached SDX but the reply was late: a resend would answer the next question."""
    client = make_client(timeout=0.3, retries=3)
    interaction_id = await started_interaction(client)
    sandbox.faults.add(Fault(method="POST", path=SUBMIT, delay=1.0, after=True, times=1))
    with pytest.raises(SdxTimeout):
        await client.submit_response(interaction_id, "9")
    assert calls(sandbox, "POST", SUBMIT) == 1
    assert [r.response for r in sandbox.store.responses_for(interaction_id)] == ["9"]


async def test_submit_response_is_not_resent_after_a_500(
    sdx: SdxClient, sandbox: SandboxState
) -> None:
    interaction_id = await started_interaction(sdx)
    sandbox.faults.add(Fault(method="POST", path=SUBMIT, status=500, after=True, times=1))
    with pytest.raises(SdxServerError):
        await sdx.submit_response(interaction_id, "9")
    assert calls(sandbox, "POST", SUBMIT) == 1
    assert len(sandbox.store.responses_for(interaction_id)) == 1


async def test_create_and_abandon_are_not_resent_after_a_500(
    sdx: SdxClient, sandbox: SandboxState
) -> None:
    sandbox.faults.add(Fault(method="POST", path="/interactions", status=500))
    with pytest.raises(SdxServerError):
        await sdx.create_interaction(52, survey_type="web")
    assert calls(sandbox, "POST", "/interactions") == 1
    interaction_id = await started_interaction(sdx)
    sandbox.faults.add(Fault(method="POST", path=r"/interactions/\d+/abandon_survey", status=502))
    with pytest.raises(SdxServerError):
        await sdx.abandon_survey(interaction_id)
    assert calls(sandbox, "POST", r"/interactions/\d+/abandon_survey") == 1


async def test_submit_is_retried_when_sdx_certainly_did_not_act(
    sdx: SdxClient, sandbox: SandboxState
) -> None:
    """A 429 is SDX refusing before acting: the one answer a blind resend is safe for."""
    interaction_id = await started_interaction(sdx)
    sandbox.faults.add(
        Fault(method="POST", path=SUBMIT, status=429, times=1, headers={"Retry-After": "0"})
    )
    turn = await sdx.submit_response(interaction_id, "9")
    assert turn.current_question is not None
    assert turn.current_question.question_type == "number"
    assert calls(sandbox, "POST", SUBMIT) == 2
    assert [r.response for r in sandbox.store.responses_for(interaction_id)] == ["9"]


async def test_an_applied_answer_answered_503_retry_after_is_not_resent(
    sdx: SdxClient, sandbox: SandboxState
) -> None:
    """Regression: SDX (or its proxy) applied the answer, then said 503 Retry-After: 1.

    The transport took that for "surely not applied" and resent it: the
    answer to question 1 was also recorded as the answer to question 2.
    """
    interaction_id = await started_interaction(sdx)
    sandbox.faults.add(
        Fault(
            method="POST",
            path=SUBMIT,
            status=503,
            after=True,
            times=1,
            headers={"Retry-After": "1"},
        )
    )
    with pytest.raises(SdxUnavailable):
        await sdx.submit_response(interaction_id, "9")
    assert calls(sandbox, "POST", SUBMIT) == 1
    assert [r.response for r in sandbox.store.responses_for(interaction_id)] == ["9"]


async def test_waiting_for_a_free_connection_is_not_a_request_sent(
    sdx_url: str, sandbox: SandboxState
) -> None:
    """A request that never got a connection from the pool never left: it is
    "not sent" (safe to send again), not an ambiguous timeout."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as session:
        transport = SdxTransport(
            session,
            sdx_url,
            customer_uuid=DEMO_CUSTOMER_UUID,
            auth_token="demo-sdx-auth-token",
            timeout=0.6,
            policy=RetryPolicy(retries=0),
        )
        client = SdxClient(transport)
        sandbox.faults.add(Fault(method="GET", path="/surveys", delay=1.0, times=1))
        holder = asyncio.create_task(client.list_surveys())  # holds the only connection
        await asyncio.sleep(0.1)
        with pytest.raises(SdxConnectionError) as caught:
            await client.submit_response(1001, "9")
        assert caught.value.sent is False
        with contextlib.suppress(SdxTimeout):
            await holder
    assert calls(sandbox, "POST", SUBMIT) == 0


async def test_start_survey_is_retried_because_it_resumes(
    make_client: Callable[..., SdxClient], sandbox: SandboxState
) -> None:
    client = make_client(timeout=0.3, retries=2)
    items = [i async for i in client.iter_interactions(53, survey_type="outbound", started=False)]
    target = items[0].id
    sandbox.faults.add(
        Fault(method="POST", path=r"/interactions/\d+/start_survey", delay=1.0, after=True, times=1)
    )
    turn = await client.start_survey(target)
    assert turn.current_question is not None
    assert turn.current_question.question_type == "nps"
    assert calls(sandbox, "POST", r"/interactions/\d+/start_survey") == 2


async def test_retries_stop_at_the_time_budget(
    http_session: aiohttp.ClientSession, sdx_url: str, sandbox: SandboxState
) -> None:
    transport = SdxTransport(
        http_session,
        sdx_url,
        customer_uuid=DEMO_CUSTOMER_UUID,
        auth_token="demo-sdx-auth-token",
        timeout=0.2,
        policy=RetryPolicy(retries=10, backoff=0.01, total_budget=0.7),
    )
    sandbox.faults.add(Fault(method="GET", path="/surveys", delay=0.5))
    with pytest.raises(SdxTimeout):
        await SdxClient(transport).list_surveys()
    # 0.7 s of budget fits three 0.2 s attempts, not eleven.
    assert calls(sandbox, "GET", "/surveys") <= 3
