"""``phone sms``: an SMS survey as a terminal chat, against the sandbox and a gateway."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator

import pytest

from gateway.sandbox.softphone.chat import chat
from gateway.sandbox.softphone.cli import build_parser, run_phone
from gateway.sandbox.softphone.errors import SandboxUnreachable
from gateway.twilio.rest import TwilioRest
from tests.sandbox.softphone.conftest import (
    INBOUND_LINE,
    RESPONDENT,
    SMS,
    SMS_LINE,
    ScriptedConsole,
    World,
)

INTRO = f"Texting {SMS_LINE} from {RESPONDENT}. Type a message and press Enter; Ctrl-D to stop."


@pytest.fixture
async def twilio(world: World) -> AsyncIterator[TwilioRest]:
    """The gateway's own Twilio client, sending as the dispatcher does."""
    rest = TwilioRest(world.settings)
    await rest.start()
    yield rest
    await rest.close()


async def test_an_sms_survey_to_the_end(world: World) -> None:
    console = ScriptedConsole(["hi", "", "9", "4", "yes", "Faster delivery please", "ok"])

    await chat(world.phone(), console, RESPONDENT, SMS_LINE)

    assert console.output == [
        INTRO,
        "> hi",
        "< Hi, it's Example Co. We'd love your feedback on your recent order.",
        "  Reply to each question with a text message. Reply STOP to opt out.",
        "  How likely are you to recommend us to a friend, from 0 to 10?",
        "> ",  # an empty line sends nothing
        "> 9",
        "< On a scale of 1 to 5, how satisfied were you with your delivery?",
        "> 4",
        "< Was your issue resolved? Reply YES or NO.",
        "> yes",
        "< Please tell us how we could do better.",
        "> Faster delivery please",
        "< Thanks for your feedback!",
        "> ok",  # the survey is over: nothing more to say
        "> ^D",
    ]
    assert world.answers(SMS) == [
        ("recommend", "9"),
        ("satisfaction", "4"),
        ("resolved", "Yes"),
        ("comments", "Faster delivery please"),
    ]
    inbound = [m.body for m in world.twilio.messages if m.direction == "inbound"]
    assert inbound == ["hi", "9", "4", "yes", "Faster delivery please", "ok"]


async def test_texts_sent_before_and_meanwhile_are_shown(world: World, twilio: TwilioRest) -> None:
    await twilio.send_message(to=RESPONDENT, from_=SMS_LINE, body="How likely are you...?")
    await twilio.send_message(to=RESPONDENT, from_=INBOUND_LINE, body="not this chat")

    class Reader(ScriptedConsole):
        async def read(self, prompt: str) -> str | None:
            await self.shown("< Still there?")  # typing, while a text arrives
            return await super().read(prompt)

    console = Reader()
    chatting = asyncio.ensure_future(chat(world.phone(), console, RESPONDENT, SMS_LINE))
    await console.shown("How likely")
    await twilio.send_message(to=RESPONDENT, from_=SMS_LINE, body="Still there?")
    await asyncio.wait_for(chatting, 5)

    assert console.output == [INTRO, "< How likely are you...?", "< Still there?", "> ^D"]


async def test_a_gateway_that_fails_is_shown_and_the_chat_goes_on(world: World) -> None:
    number = world.twilio.number(SMS_LINE)
    assert number is not None
    number.sms_url = f"{world.gateway_url}/no-such-route"
    console = ScriptedConsole(["hi"])

    await chat(world.phone(), console, RESPONDENT, SMS_LINE)

    assert console.output[1:] == [
        "> hi",
        f"[Twilio: the message's webhook failed: {world.gateway_url}/no-such-route "
        "answered 404 (error 11200)]",
        "> ^D",
    ]


async def test_a_number_with_no_sms_url_is_one_line(world: World) -> None:
    number = world.twilio.number(SMS_LINE)
    assert number is not None
    number.sms_url = ""
    argv = ["sms", "--from", RESPONDENT, "--to", SMS_LINE, "--sandbox", world.sandbox_url]
    errors = io.StringIO()

    assert await run_phone(build_parser().parse_args(argv), ScriptedConsole(["hi"]), errors) == 1

    assert errors.getvalue() == (
        f"gateway phone: the sandbox refused: {SMS_LINE} has no SmsUrl "
        "(is the gateway running? 'make demo' points the demo numbers at it)\n"
    )


async def test_the_chat_ends_when_the_sandbox_goes_away(world: World) -> None:
    class Thinking(ScriptedConsole):
        async def read(self, prompt: str) -> str | None:
            await asyncio.Event().wait()
            return None

    console = Thinking()
    chatting = asyncio.ensure_future(chat(world.phone(), console, RESPONDENT, SMS_LINE))
    await console.shown("Texting")
    await asyncio.sleep(0.05)  # the inbox is following
    await world.sandbox.close()

    with pytest.raises(SandboxUnreachable):
        await asyncio.wait_for(chatting, 5)
