"""`gateway sandbox` serves SDX at /api and Twilio at /twilio on one port."""

from __future__ import annotations

from typing import Any

from gateway.run.connections import sdx_client
from gateway.sandbox.app import create_sandbox, twilio_state
from gateway.twilio.rest import TwilioRest
from tests.helpers.settings import make_settings


async def test_one_port_two_apis(aiohttp_server: Any, http_session: Any) -> None:
    app = create_sandbox()
    server = await aiohttp_server(app)
    settings = make_settings(
        sdx_api_url=str(server.make_url("/api")),
        twilio_api_url=str(server.make_url("/twilio")),
    )
    surveys = await sdx_client(settings, http_session).list_surveys()
    assert {s.id for s in surveys} == {52, 53, 54}
    rest = TwilioRest(settings)
    await rest.start()
    try:
        sid = await rest.send_message(to="+61409999999", from_="+61200000002", body="Hello")
    finally:
        await rest.close()
    (sent,) = twilio_state(app).messages
    assert (sent.sid, sent.body, sent.to) == (sid, "Hello", "+61409999999")
