"""A phone call as Twilio makes it, for tests: signed webhooks that follow the TwiML.

``Call.start()`` posts /twilio/voice; ``press``/``say`` post the current
Gather's action with Digits/SpeechResult; ``silence`` follows the Redirect
after the Gather; ``hang_up`` posts the status callback. Each returns the
parsed TwiML, and the raw XML stays in ``call.xml``.
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from typing import Any

from aiohttp.test_utils import TestClient

from gateway.config import Settings
from tests.helpers.signing import signed_post

_sids = itertools.count(1)


def new_call_sid() -> str:
    return f"CA{next(_sids):032x}"


class Call:
    def __init__(
        self,
        client: TestClient[Any, Any],
        settings: Settings,
        *,
        caller: str,
        called: str,
        call_sid: str | None = None,
    ) -> None:
        self.client = client
        self.settings = settings
        self.caller = caller
        self.called = called
        self.call_sid = call_sid or new_call_sid()
        self.xml = ""
        self.twiml: ET.Element | None = None
        self.statuses: list[int] = []

    def _params(self, **extra: str) -> dict[str, str]:
        return {
            "CallSid": self.call_sid,
            "AccountSid": self.settings.twilio_account_sid,
            "From": self.caller,
            "To": self.called,
            "Direction": "inbound",
            "CallStatus": "in-progress",
            **extra,
        }

    def _path(self, url: str) -> str:
        base = self.settings.gateway_public_url
        assert url.startswith(base), f"{url} is not under GATEWAY_PUBLIC_URL"
        return url[len(base) :]

    async def post(self, path: str, *, follow: bool = True, **extra: str) -> ET.Element:
        """POST a signed webhook; with ``follow`` its TwiML becomes the current one."""
        response = await signed_post(
            self.client, path, self._params(**extra), settings=self.settings
        )
        self.statuses.append(response.status)
        assert response.status == 200, await response.text()
        assert response.content_type == "text/xml"
        xml = await response.text()
        twiml = ET.fromstring(xml)
        assert twiml.tag == "Response"
        if follow:
            self.xml, self.twiml = xml, twiml
        return twiml

    async def start(self, path: str = "/twilio/voice") -> ET.Element:
        return await self.post(path)

    @property
    def gather(self) -> ET.Element:
        assert self.twiml is not None
        gather = self.twiml.find("Gather")
        assert gather is not None, f"no <Gather> in {self.xml}"
        return gather

    async def press(self, digits: str) -> ET.Element:
        return await self.post(self._path(self.gather.attrib["action"]), Digits=digits)

    async def say(self, speech: str) -> ET.Element:
        action = self._path(self.gather.attrib["action"])
        return await self.post(action, SpeechResult=speech, Confidence="0.9")

    async def silence(self) -> ET.Element:
        assert self.twiml is not None
        redirect = self.twiml.find("Redirect")
        assert redirect is not None, f"no <Redirect> in {self.xml}"
        assert redirect.text
        return await self.post(self._path(redirect.text))

    async def hang_up(self, status: str = "completed") -> ET.Element:
        """The status callback; the call's current TwiML stays as it was."""
        return await self.post(
            "/twilio/voice/status", follow=False, CallStatus=status, CallDuration="42"
        )

    # --- what the caller hears ---

    def spoken(self) -> list[str]:
        """Say texts and [audio: url] for Play, in order, Gather contents included."""
        assert self.twiml is not None
        heard = []
        for element in self.twiml.iter():
            if element.tag == "Say":
                heard.append(element.text or "")
            elif element.tag == "Play":
                heard.append(f"[audio: {element.text}]")
        return heard

    @property
    def hung_up_by_gateway(self) -> bool:
        assert self.twiml is not None
        return self.twiml.find("Hangup") is not None

    @property
    def question_type_hint(self) -> str:
        return self.gather.attrib.get("input", "")
