"""/twilio/sms/status: a reply in a conversation that never arrived, and bad callbacks.

The respondent's phone is ``tests.helpers.phone``; the status callbacks are
signed as Twilio signs them. (First texts, sent by the dispatcher, are in
``tests/dispatch/test_delivery.py``.)
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from structlog.testing import capture_logs

from gateway.config import Settings
from gateway.run.serve import COMPONENTS
from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.sdx import SandboxState
from gateway.state.conversations import Conversation, conversation_key
from tests.helpers.ledger import ABANDON, SUBMIT, answers, count, data
from tests.helpers.phone import Phone, new_message_sid
from tests.helpers.signing import signed_post
from tests.sms.conftest import SMS_NUMBER

SMS_ID = 1003
Q1 = "How likely are you to recommend us to a friend, from 0 to 10?"
Q2 = "On a scale of 1 to 5, how satisfied were you with your delivery?"
KEY = conversation_key(DEMO_RESPONDENT, SMS_NUMBER)


def status_path(phone: Phone) -> str:
    """The StatusCallback of the reply the phone last received (its <Message action>)."""
    (action,) = set(re.findall(r'action="([^"]+)"', phone.xml))
    base = phone.settings.gateway_public_url
    assert action.startswith(f"{base}/twilio/sms/status?question=")
    return str(action.removeprefix(base).replace("&amp;", "&"))


def callback(status: str = "undelivered", code: int | None = 30003, **extra: str) -> dict[str, str]:
    params = {
        "MessageSid": new_message_sid(),
        "SmsSid": "",
        "MessageStatus": status,
        "SmsStatus": status,
        "To": DEMO_RESPONDENT,
        "From": SMS_NUMBER,
        "AccountSid": "AC" + "0" * 32,
        "ApiVersion": "2010-04-01",
        **({"ErrorCode": str(code)} if code is not None else {}),
        **extra,
    }
    params["SmsSid"] = params["MessageSid"]
    return params


async def report(phone: Phone, path: str, params: dict[str, str]) -> None:
    response = await signed_post(phone.client, path, params, settings=phone.settings)
    assert response.status == 200
    assert response.content_type == "text/xml"
    assert (await response.text()).endswith("<Response />")


async def conversation(client: TestClient[Any, Any]) -> Conversation | None:
    return await client.server.app[COMPONENTS].stores.conversations.load(KEY)


@pytest.mark.parametrize("code", [30003, 30008])
async def test_a_question_that_never_arrived_is_asked_again_not_answered(
    phone: Phone, sandbox: SandboxState, code: int
) -> None:
    await phone.send("hello")
    assert await phone.send("9") == [Q2]
    params = callback(code=code)
    await report(phone, status_path(phone), params)
    # The respondent never saw Q2: what they send now is not its answer.
    assert await phone.send("4") == [Q2]
    assert answers(sandbox, SMS_ID) == ["9"]
    # Twilio repeats the callback: it was acted on already.
    await report(phone, status_path(phone), params)
    assert (await phone.send("4"))[0].startswith("Was your issue resolved?")
    assert answers(sandbox, SMS_ID) == ["9", "4"]


@pytest.mark.parametrize(
    ("code", "status", "conversation_status"),
    [(21610, "opted_out", "opted_out"), (30006, "not_sms_capable", "abandoned")],
)
async def test_a_later_prompt_that_cannot_be_delivered_ends_the_survey(
    phone: Phone, sandbox: SandboxState, code: int, status: str, conversation_status: str
) -> None:
    await phone.send("hello")
    await phone.send("9")
    await report(phone, status_path(phone), callback("failed", code))
    interaction = sandbox.store.interaction(SMS_ID)
    assert interaction.completed
    assert not interaction.survey_ended
    assert data(sandbox, SMS_ID)["gateway_status"] == status
    ended = await conversation(phone.client)
    assert ended is not None
    assert ended.status == conversation_status
    conversations = phone.client.server.app[COMPONENTS].stores.conversations
    assert await conversations.is_opted_out(DEMO_RESPONDENT) == (code == 21610)
    # Nothing more is submitted or sent.
    assert await phone.send("4") == []
    assert answers(sandbox, SMS_ID) == ["9"]
    assert count(sandbox, ABANDON) == 1


async def test_a_report_about_an_earlier_question_changes_nothing(
    phone: Phone, sandbox: SandboxState
) -> None:
    await phone.send("hello")
    first = status_path(phone)
    await phone.send("9")
    await report(phone, first, callback())  # late: Q1 was answered, so it arrived
    assert (await phone.send("4"))[0].startswith("Was your issue resolved?")
    assert answers(sandbox, SMS_ID) == ["9", "4"]


@pytest.mark.parametrize("status", ["queued", "sent", "delivered", "read", "accepted"])
async def test_other_statuses_change_nothing(
    phone: Phone, sandbox: SandboxState, status: str
) -> None:
    await phone.send("hello")
    sandbox.requests.clear()
    await report(phone, status_path(phone), callback(status, None))
    assert [r.path for r in sandbox.requests if r.path != "/surveys"] == []
    current = await conversation(phone.client)
    assert current is not None
    assert not current.resend
    await phone.send("9")
    assert answers(sandbox, SMS_ID) == ["9"]


async def test_a_report_for_nobody_we_text_is_answered_and_ignored(
    phone: Phone, sandbox: SandboxState
) -> None:
    sandbox.requests.clear()
    await report(phone, "/twilio/sms/status?question=509", callback())
    await report(phone, "/twilio/sms/status?interaction=1003&attempt=1", callback("failed", 30005))
    assert [r.path for r in sandbox.requests if r.path != "/surveys"] == []


async def test_an_unsigned_report_is_403_and_nothing_runs(
    gateway: tuple[TestClient[Any, Any], Settings], sandbox: SandboxState
) -> None:
    client, _ = gateway
    sandbox.requests.clear()
    with capture_logs() as logs:
        response = await client.post(
            "/twilio/sms/status?interaction=1003&attempt=1", data=callback("failed", 30005)
        )
    assert response.status == 403
    assert [r.path for r in sandbox.requests if r.path != "/surveys"] == []
    assert [e["event"] for e in logs if e["event"] == "twilio_signature_invalid"] == [
        "twilio_signature_invalid"
    ]
    assert count(sandbox, SUBMIT) == 0


@pytest.mark.parametrize(
    ("path", "changes", "reason"),
    [
        ("/twilio/sms/status", {"MessageSid": ""}, "MessageSid missing or malformed"),
        ("/twilio/sms/status", {"MessageSid": "CA" + "0" * 32}, "MessageSid missing or malformed"),
        ("/twilio/sms/status", {"MessageStatus": ""}, "MessageStatus missing or malformed"),
        ("/twilio/sms/status", {"MessageStatus": "<x/>"}, "MessageStatus missing or malformed"),
        ("/twilio/sms/status", {"To": ""}, "From and To are required"),
        ("/twilio/sms/status", {"ErrorCode": "30003; DROP"}, "ErrorCode must be a number"),
        ("/twilio/sms/status?interaction=x", {}, "interaction must be a number"),
        ("/twilio/sms/status?question=-1", {}, "question must be a number"),
        ("/twilio/sms/status?interaction=1&attempt=%3Cx%3E", {}, "attempt is malformed"),
    ],
)
async def test_a_malformed_report_is_400(
    gateway: tuple[TestClient[Any, Any], Settings],
    sandbox: SandboxState,
    path: str,
    changes: dict[str, str],
    reason: str,
) -> None:
    client, settings = gateway
    sandbox.requests.clear()
    response = await signed_post(client, path, {**callback(), **changes}, settings=settings)
    assert response.status == 400
    assert await response.text() == f"Bad request: {reason}\n"
    assert [r.path for r in sandbox.requests if r.path != "/surveys"] == []
