"""Replies to texts sent through a Messaging Service: the conversation is the service's.

Twilio sends a service's texts from any number of its pool, so the
respondent's reply may reach a number other than the survey's SMS number;
Twilio posts it with the service's MessagingServiceSid. Through the real
app, with both stores.
"""

from __future__ import annotations

import pytest

from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.sdx import SandboxState
from tests.helpers.ledger import answers
from tests.helpers.phone import Phone
from tests.helpers.settings import GatewayFactory
from tests.sms.conftest import SMS_NUMBER
from tests.sms.test_sms import GREETING, SMS_ID

SERVICE = "MG" + "5e" * 16
POOL_NUMBER = "+61200000000"  # in the service's pool; routes no survey's texts
NEXT_QUESTION = "On a scale of 1 to 5, how satisfied were you with your delivery?"


@pytest.fixture(params=["redis", "memory"])
def memory(request: pytest.FixtureRequest) -> bool:
    return request.param == "memory"


async def test_a_reply_to_another_number_of_our_service_continues_the_survey(
    start_gateway: GatewayFactory, sandbox: SandboxState, memory: bool
) -> None:
    client, settings = await start_gateway(memory=memory, twilio_messaging_service_sid=SERVICE)
    by_survey_number = Phone(
        client, settings, respondent=DEMO_RESPONDENT, number=SMS_NUMBER, service=SERVICE
    )
    by_pool_number = Phone(
        client, settings, respondent=DEMO_RESPONDENT, number=POOL_NUMBER, service=SERVICE
    )
    assert await by_survey_number.send("Hi") == [GREETING]  # routed by To, as ever
    assert await by_pool_number.send("9") == [NEXT_QUESTION]
    assert await by_survey_number.send("4") == ["Was your issue resolved? Reply YES or NO."]
    assert answers(sandbox, SMS_ID) == ["9", "4"]


async def test_a_service_the_gateway_does_not_send_through_keys_by_number(
    start_gateway: GatewayFactory, sandbox: SandboxState, memory: bool
) -> None:
    """The number is in a service of the account that no setting names: the
    conversation is the number's, and another number of that pool is another one."""
    client, settings = await start_gateway(memory=memory)
    survey_number = Phone(
        client, settings, respondent=DEMO_RESPONDENT, number=SMS_NUMBER, service=SERVICE
    )
    pool_number = Phone(
        client, settings, respondent=DEMO_RESPONDENT, number=POOL_NUMBER, service=SERVICE
    )
    assert await survey_number.send("Hi") == [GREETING]
    # No conversation there, and the number routes no survey's texts.
    assert await pool_number.send("9") == [settings.gateway_sms_no_survey_message]
    assert await survey_number.send("9") == [NEXT_QUESTION]
    assert answers(sandbox, SMS_ID) == ["9"]
