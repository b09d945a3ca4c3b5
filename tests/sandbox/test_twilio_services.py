"""Messaging Services in the emulator: sending from the pool, replies, and the v1 resource.

Through the real twilio library, its ``messaging`` domain pointed at the
emulator as the gateway points it (``TWILIO_API_URL`` sets both domains).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from gateway.sandbox.credentials import DEMO_TWILIO_ACCOUNT_SID
from gateway.sandbox.twilio import TWILIO_STATE, NotConfigured, TwilioState, create_twilio_emulator
from tests.sandbox.conftest import (
    OUR_NUMBER,
    RESPONDENT,
    SECOND_NUMBER,
    TWILIO_LIBRARY_WARNINGS,
    FakeGateway,
    twilio_client,
)

pytestmark = TWILIO_LIBRARY_WARNINGS

SERVICE = "MG" + "a1" * 16
OTHER_RESPONDENT = "+61400000002"


@pytest.fixture
async def client(twilio_server: TestServer) -> AsyncIterator[Client]:
    base = str(twilio_server.make_url("")).rstrip("/")
    client = twilio_client(base)
    client.messaging.base_url = base
    yield client
    await client.http_client.close()


async def test_a_text_through_a_service_is_sent_from_its_pool(
    client: Client, twilio_state: TwilioState
) -> None:
    twilio_state.add_service([OUR_NUMBER, SECOND_NUMBER], sid=SERVICE)
    message = await client.messages.create_async(
        to=RESPONDENT, messaging_service_sid=SERVICE, body="Hi"
    )
    # Twilio answers before it has picked the sender.
    assert (message.status, message.from_, message.messaging_service_sid) == (
        "accepted",
        None,
        SERVICE,
    )
    again = await client.messages.create_async(
        to=RESPONDENT, messaging_service_sid=SERVICE, body="Hi again"
    )
    other = await client.messages.create_async(
        to=OTHER_RESPONDENT, messaging_service_sid=SERVICE, body="Hi"
    )
    await twilio_state.settle()
    senders = [m.from_ for m in twilio_state.messages]
    # Sticky sender: one respondent keeps their number; the next gets the next one.
    assert senders == [OUR_NUMBER, OUR_NUMBER, SECOND_NUMBER]
    fetched = await client.messages(again.sid).fetch_async()
    assert (fetched.status, fetched.from_) == ("delivered", OUR_NUMBER)
    listed = await client.messages.list_async(from_=SECOND_NUMBER)
    assert [m.sid for m in listed] == [other.sid]


async def test_a_pinned_respondent_gets_their_number(
    client: Client, twilio_state: TwilioState
) -> None:
    service = twilio_state.add_service([OUR_NUMBER, SECOND_NUMBER], sid=SERVICE)
    service.sticky[RESPONDENT] = SECOND_NUMBER
    await client.messages.create_async(to=RESPONDENT, messaging_service_sid=SERVICE, body="Hi")
    assert [m.from_ for m in twilio_state.messages] == [SECOND_NUMBER]


@pytest.mark.parametrize(
    ("service", "code"),
    [("MG" + "0" * 32, 21701), ("MG123", 21705), ("PN" + "0" * 32, 21705), (SERVICE, 21704)],
)
async def test_a_service_that_cannot_send_is_refused(
    client: Client, twilio_state: TwilioState, service: str, code: int
) -> None:
    twilio_state.add_service([], sid=SERVICE)  # exists, with no numbers
    with pytest.raises(TwilioRestException) as caught:
        await client.messages.create_async(to=RESPONDENT, messaging_service_sid=service, body="x")
    assert (caught.value.status, caught.value.code) == (400, code)
    assert twilio_state.messages == []


async def test_a_number_is_in_one_pool_at_most(twilio_state: TwilioState) -> None:
    first = twilio_state.add_service([OUR_NUMBER, SECOND_NUMBER])
    second = twilio_state.add_service([SECOND_NUMBER])
    assert re.fullmatch(r"MG[0-9a-f]{32}", first.sid)
    assert (first.numbers, second.numbers) == ([OUR_NUMBER], [SECOND_NUMBER])
    assert twilio_state.service_of(SECOND_NUMBER) is second
    assert twilio_state.service_of("+61200000002") is None


async def test_the_service_resource_and_its_numbers(
    client: Client, twilio_state: TwilioState
) -> None:
    twilio_state.add_service([SECOND_NUMBER], sid=SERVICE)
    service = await client.messaging.v1.services(SERVICE).fetch_async()
    assert (service.sid, service.account_sid) == (SERVICE, DEMO_TWILIO_ACCOUNT_SID)
    assert (service.inbound_request_url, service.use_inbound_webhook_on_number) == (None, False)
    assert service.sticky_sender is True
    assert service.date_created is not None  # ISO 8601, as the v1 APIs write dates
    updated = await client.messaging.v1.services(SERVICE).update_async(
        inbound_request_url="https://gw.example.com/twilio/sms",
        inbound_method="post",
        use_inbound_webhook_on_number=False,
    )
    assert (updated.inbound_request_url, updated.inbound_method) == (
        "https://gw.example.com/twilio/sms",
        "POST",
    )
    numbers = await client.messaging.v1.services(SERVICE).phone_numbers.list_async()
    assert [(n.phone_number, n.service_sid, n.country_code) for n in numbers] == [
        (SECOND_NUMBER, SERVICE, "AU")
    ]
    assert numbers[0].sid == twilio_state.number(SECOND_NUMBER).sid  # type: ignore[union-attr]


async def test_service_errors_are_twilios(client: Client, twilio_state: TwilioState) -> None:
    twilio_state.add_service([SECOND_NUMBER], sid=SERVICE)
    with pytest.raises(TwilioRestException) as missing:
        await client.messaging.v1.services("MG" + "0" * 32).fetch_async()
    assert (missing.value.status, missing.value.code) == (404, 20404)
    with pytest.raises(TwilioRestException) as bad_url:
        await client.messaging.v1.services(SERVICE).update_async(inbound_request_url="nope")
    assert (bad_url.value.status, bad_url.value.code) == (400, 21402)
    wrong = twilio_client(client.api.base_url, token="wrong")
    wrong.messaging.base_url = client.api.base_url
    try:
        with pytest.raises(TwilioRestException) as unauthorised:
            await wrong.messaging.v1.services(SERVICE).fetch_async()
        assert unauthorised.value.status == 401
    finally:
        await wrong.http_client.close()


async def test_a_text_to_a_pool_number_goes_where_the_service_says(
    twilio_state: TwilioState, gateway: FakeGateway
) -> None:
    gateway.answers["/service"] = "<Response><Message>Thanks!</Message></Response>"
    service = twilio_state.add_service([SECOND_NUMBER], sid=SERVICE)
    number = twilio_state.number(SECOND_NUMBER)
    assert number is not None
    number.sms_url = gateway.url("/number")
    # A new service has no inbound URL: Twilio drops what its numbers receive.
    with pytest.raises(NotConfigured, match="no inbound request URL"):
        await twilio_state.inbound_sms(RESPONDENT, SECOND_NUMBER, "hi")
    service.inbound_request_url = gateway.url("/service")
    assert await twilio_state.inbound_sms(RESPONDENT, SECOND_NUMBER, "yes") == ["Thanks!"]
    # "Defer to sender's webhook": the number's own, still telling the service.
    service.use_inbound_webhook_on_number = True
    await twilio_state.inbound_sms(RESPONDENT, SECOND_NUMBER, "again")
    [to_service, to_number] = gateway.hits
    assert (to_service.path, to_number.path) == ("/service", "/number")
    assert to_service.signed
    assert {hit.params["MessagingServiceSid"] for hit in gateway.hits} == {SERVICE}
    assert (to_service.params["To"], to_service.params["Body"]) == (SECOND_NUMBER, "yes")
    reply = next(m for m in twilio_state.messages if m.direction == "outbound-reply")
    assert (reply.from_, reply.messaging_service_sid) == (SECOND_NUMBER, SERVICE)


async def test_a_text_to_a_number_of_no_service_has_no_service_sid(
    twilio_state: TwilioState, gateway: FakeGateway
) -> None:
    twilio_state.add_service([SECOND_NUMBER], sid=SERVICE)
    number = twilio_state.number(OUR_NUMBER)
    assert number is not None
    number.sms_url = gateway.url("/number")
    await twilio_state.inbound_sms(RESPONDENT, OUR_NUMBER, "hi")
    assert "MessagingServiceSid" not in gateway.hits[0].params


async def test_services_over_http_and_seeded(aiohttp_server: AiohttpServer) -> None:
    app = create_twilio_emulator(services={SERVICE: [SECOND_NUMBER]})
    server = await aiohttp_server(app)
    state = app[TWILIO_STATE]
    assert state.services[SERVICE].numbers == [SECOND_NUMBER]
    async with aiohttp.ClientSession() as http:
        added = await http.post(
            server.make_url("/_twilio/services"), json={"numbers": [OUR_NUMBER]}
        )
        body = await added.json()
        assert added.status == 201, body
        assert body["url"] == f"{str(server.make_url('')).rstrip('/')}/v1/Services/{body['sid']}"
        refused = await http.post(
            server.make_url("/_twilio/services"), json={"numbers": ["+61299999999"]}
        )
        assert refused.status == 400
        assert "not the account's numbers" in (await refused.json())["error"]
    state.reset()  # back to the seeded service only
    assert list(state.services) == [SERVICE]
    assert state.services[SERVICE].numbers == [SECOND_NUMBER]
