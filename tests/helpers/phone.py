"""A respondent's phone as Twilio relays it, for tests: signed SMS webhooks."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from typing import Any

from aiohttp.test_utils import TestClient

from gateway.config import Settings
from tests.helpers.signing import signed_post

_sids = itertools.count(1)


def new_message_sid() -> str:
    return f"SM{next(_sids):032x}"


class Phone:
    def __init__(
        self,
        client: TestClient[Any, Any],
        settings: Settings,
        *,
        respondent: str,
        number: str,
        service: str = "",
    ) -> None:
        self.client = client
        self.settings = settings
        self.respondent = respondent
        self.number = number
        self.service = service  # the Messaging Service whose pool holds ``number``, if any
        self.xml = ""

    async def send(self, body: str, message_sid: str | None = None) -> list[str]:
        """Text ``body`` to our number; returns the bodies of the reply's <Message>s."""
        params = {
            "MessageSid": message_sid or new_message_sid(),
            "AccountSid": self.settings.twilio_account_sid,
            "From": self.respondent,
            "To": self.number,
            "Body": body,
            "NumMedia": "0",
        }
        if self.service:
            params["MessagingServiceSid"] = self.service
        response = await signed_post(self.client, "/twilio/sms", params, settings=self.settings)
        assert response.status == 200, await response.text()
        assert response.content_type == "text/xml"
        self.xml = await response.text()
        root = ET.fromstring(self.xml)
        assert root.tag == "Response"
        assert all(child.tag == "Message" for child in root)
        return [child.text or "" for child in root]
