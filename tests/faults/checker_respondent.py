"""The fault checker's respondents: a caller and a texter who follow a script.

They act as a person does: answer the question they hear (or read), call
back after the gateway apologised and hung up, text the same answer again
after "try again later". Each action is one webhook (or two, when Twilio
delivers it twice or the status callback races it), and the respondent
hears the reply Twilio acts on: a repeated delivery's reply, since Twilio
repeats a webhook whose first reply it did not get.
"""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp.test_utils import TestClient

from gateway.config import Settings
from tests.helpers.call import Call
from tests.helpers.phone import Phone, new_message_sid

INBOUND = "+61200000000"  # survey 52's inbound number
SMS_NUMBER = "+61200000002"  # survey 54's number
# Between the answer and the status callback that overtakes it.
HANG_UP_AFTER = 0.02


@dataclass(frozen=True)
class Answer:
    """The respondent's answer to one question, and what SDX records for it."""

    question_id: int
    question: str  # the question's text, as the respondent hears or reads it
    given: str  # keys pressed, or words said or texted
    recorded: str
    spoken: bool = False  # voice: said rather than keyed


Send = Callable[[], Awaitable[Any]]


async def delivered(mode: str, send: Send) -> Any:
    """Deliver one webhook as ``mode`` says; the reply Twilio acts on."""
    if mode == "duplicate-sequential":
        await send()
        return await send()
    if mode == "duplicate-concurrent":

        async def again() -> Any:
            await asyncio.sleep(0.005)
            return await send()

        _, second = await asyncio.gather(send(), again())
        return second
    return await send()


class Respondent:
    """What both channels share: the script, where the respondent is, the trace."""

    channel = ""

    def __init__(self, script: Sequence[Answer], closing: str) -> None:
        self.script = list(script)
        self.closing = closing
        self.asked: int | None = None  # index in the script of the question heard last
        self.done = False  # heard (or read) the survey's closing
        self.no_survey = 0  # times told there is no survey
        self.trace: list[str] = []

    def heard(self, texts: Sequence[str]) -> str:
        """Update from what the respondent heard or read; a word for the trace."""
        joined = " ".join(texts)
        found = [n for n, a in enumerate(self.script) if a.question in joined]
        if found:
            self.asked = max(found)
            return f"Q{self.asked + 1}"
        if self.closing and self.closing in joined:
            self.done = True
            return "closing"
        return "|".join(t[:24] for t in texts) or "(nothing)"

    def action(self) -> str:
        raise NotImplementedError

    async def act(self, mode: str) -> None:
        raise NotImplementedError


class Caller(Respondent):
    channel = "voice"

    def __init__(
        self,
        client: TestClient[Any, Any],
        settings: Settings,
        caller: str,
        script: Sequence[Answer],
        closing: str,
    ) -> None:
        super().__init__(script, closing)
        self.client = client
        self.settings = settings
        self.caller = caller
        self.call: Call | None = None

    def action(self) -> str:
        if self.call is None or self.asked is None:
            return "call"
        return f"answer-q{self.asked + 1}"

    def last_answer(self) -> bool:
        return self.call is not None and self.asked == len(self.script) - 1

    async def act(self, mode: str) -> None:
        if self.call is None:
            await self._ring(mode)
        else:
            await self._answer(self.call, mode)

    async def _ring(self, mode: str) -> None:
        call = Call(self.client, self.settings, caller=self.caller, called=INBOUND)
        self.call, self.asked = call, None
        twiml = await delivered(mode, lambda: call.post("/twilio/voice", follow=False))
        await self._follow(call, twiml, "call")

    async def _answer(self, call: Call, mode: str) -> None:
        assert self.asked is not None
        answer = self.script[self.asked]
        action = call._path(call.gather.attrib["action"])
        form = (
            {"SpeechResult": answer.given, "Confidence": "0.9"}
            if answer.spoken
            else {"Digits": answer.given}
        )

        def send() -> Awaitable[ET.Element]:
            return call.post(action, follow=False, **form)

        what = f"Q{self.asked + 1}={answer.given!r}"
        if mode in {"hang-up-while-answering", "hang-up-first"}:
            await self._hang_up_racing(call, send, mode, what)
            return
        await self._follow(call, await delivered(mode, send), what)

    async def _hang_up_racing(self, call: Call, send: Send, mode: str, what: str) -> None:
        """The caller answers and hangs up at once: the callback overtakes the answer."""
        if mode == "hang-up-first":
            # The callback is handled (or well under way) when the answer comes.
            hang_up = asyncio.create_task(call.hang_up())
            await asyncio.wait({hang_up}, timeout=HANG_UP_AFTER)
            twiml = await send()
        else:
            answering = asyncio.create_task(send())
            await asyncio.sleep(HANG_UP_AFTER)
            hang_up = asyncio.create_task(call.hang_up())
            twiml = await answering
        await hang_up
        # The call is over, whatever the reply: the caller heard none of it,
        # but the reply says whether the survey closed (else they call back).
        self.trace.append(f"{what}+hang-up -> {self._words(twiml)}")
        self.call = None

    async def _follow(self, call: Call, twiml: ET.Element, what: str) -> None:
        call.twiml = twiml
        call.xml = ET.tostring(twiml, encoding="unicode")
        heard = self._words(twiml)
        self.trace.append(f"{what} -> {heard}")
        if twiml.find("Hangup") is not None or twiml.find("Gather") is None:
            # The gateway ended the call; Twilio posts the final status.
            await call.hang_up()
            self.call = None

    def _words(self, twiml: ET.Element) -> str:
        said = [element.text or "" for element in twiml.iter() if element.tag == "Say"]
        if self.settings.gateway_no_survey_message in said:
            self.no_survey += 1
            return "no-survey"
        if self.settings.gateway_apology_message in said:
            return "apology"
        before = self.asked
        heard = self.heard(said)
        if twiml.find("Gather") is None and self.asked != before:
            self.asked = before  # a question read out as the call ends is no question
        return heard


class Texter(Respondent):
    channel = "sms"

    def __init__(
        self,
        client: TestClient[Any, Any],
        settings: Settings,
        respondent: str,
        script: Sequence[Answer],
        closing: str,
    ) -> None:
        super().__init__(script, closing)
        self.settings = settings
        self.phone = Phone(client, settings, respondent=respondent, number=SMS_NUMBER)

    @property
    def body(self) -> str:
        return "hello" if self.asked is None else self.script[self.asked].given

    def action(self) -> str:
        return "text-start" if self.asked is None else f"text-q{self.asked + 1}"

    def last_answer(self) -> bool:
        return False

    async def act(self, mode: str) -> None:
        body, sid = self.body, new_message_sid()
        replies: list[str] = await delivered(mode, lambda: self.phone.send(body, sid))
        if replies == [self.settings.gateway_sms_try_later_message]:
            heard = "try-later"  # the same text again, next time
        elif replies == [self.settings.gateway_sms_no_survey_message]:
            self.no_survey += 1
            heard = "no-survey"
        else:
            heard = self.heard(replies)
        self.trace.append(f"{body!r} -> {heard}")
