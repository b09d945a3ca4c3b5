"""``phone call``: a voice survey taken from the terminal, against the sandbox and a gateway."""

from __future__ import annotations

import asyncio
import io

import pytest

from gateway.sandbox.softphone.call import HOW_TO, call_number
from gateway.sandbox.softphone.cli import build_parser, main, run_phone
from tests.helpers.servers import free_port
from tests.sandbox.softphone.conftest import (
    INBOUND,
    INBOUND_LINE,
    RESPONDENT,
    ScriptedConsole,
    World,
)

GREETING = [
    "[audio: https://example.com/sdx-sandbox/greeting-52.mp3]",
    "[speaking en-US (Polly.Joanna)]",  # the language heard, where it begins
    "Answer each question with your keypad or by saying your answer. "
    "After a number, press the hash key.",
]
RECOMMEND = "How likely are you to recommend us to a friend, from 0 to 10?"
SATISFIED = "On a scale of 1 to 5, how satisfied were you with the help you received today?"
RESOLVED = "Was your issue resolved? Press 1 or say yes for yes, press 2 or say no for no."
COMMENTS = "Please tell us how we could do better. Speak after the tone."


async def test_a_whole_voice_survey(world: World) -> None:
    console = ScriptedConsole(["9#", "", "4", "yes", "Quick and friendly, thanks."])

    status = await call_number(world.phone(), console, RESPONDENT, INBOUND_LINE)

    assert status == "completed"
    assert console.output == [
        f"Calling {INBOUND_LINE} from {RESPONDENT}. {HOW_TO}",
        *GREETING,
        RECOMMEND,
        "(keys, # to finish, or say something) > 9#",
        SATISFIED,
        "(press a key, or say something) > ",
        "Sorry, I didn't catch that.",
        SATISFIED,
        "(press a key, or say something) > 4",
        RESOLVED,
        "(press a key, or say something) > yes",
        COMMENTS,
        "(say something) > Quick and friendly, thanks.",
        "Thank you for your feedback. Goodbye.",
        "-- call ended (completed)",
    ]
    assert world.answers(INBOUND) == [
        ("recommend", "9"),
        ("satisfaction", "4"),
        ("resolved", "Yes"),
        ("comments", "Quick and friendly, thanks."),
    ]


async def test_end_of_input_hangs_up_mid_survey(world: World) -> None:
    console = ScriptedConsole(["10", None])

    status = await call_number(world.phone(), console, RESPONDENT, INBOUND_LINE)

    assert status == "completed"
    assert console.output[-4:] == [
        SATISFIED,
        "(press a key, or say something) > ^D",
        "-- you hung up",
        "-- call ended (completed)",
    ]
    assert world.answers(INBOUND) == [("recommend", "10")]
    interaction = world.sdx.interaction(INBOUND)
    assert interaction.completed_at is not None  # abandoned in SDX, not left open
    assert not interaction.survey_ended


async def test_a_failing_webhook_is_heard_as_twilio_says_it(world: World) -> None:
    number = world.twilio.number(INBOUND_LINE)
    assert number is not None
    number.voice_url = f"{world.gateway_url}/no-such-route"  # the gateway answers 404
    console = ScriptedConsole()
    argv = ["call", "--from", RESPONDENT, "--to", INBOUND_LINE, "--sandbox", world.sandbox_url]

    # The sandbox did its part, but the call failed: not a success for the shell.
    assert await run_phone(build_parser().parse_args(argv), console) == 1

    assert console.output[1:] == [
        "[Twilio: We are sorry, an application error has occurred. Goodbye.]",
        "-- call ended (failed)",
    ]


async def test_ctrl_c_hangs_the_call_up(world: World) -> None:
    class Interrupted(ScriptedConsole):
        async def read(self, prompt: str) -> str | None:
            await asyncio.Event().wait()  # the user thinks, until Ctrl-C
            return None

    console = Interrupted()
    taking = asyncio.ensure_future(call_number(world.phone(), console, RESPONDENT, INBOUND_LINE))
    await console.shown(RECOMMEND)
    taking.cancel()
    await asyncio.gather(taking, return_exceptions=True)

    (call,) = world.twilio.calls.values()
    await asyncio.wait_for(call.finished.wait(), 5)
    assert call.status == "completed"
    assert call.transcript[-1] == ("input", "hangup")


async def test_a_number_with_no_voice_url_is_one_line(world: World) -> None:
    number = world.twilio.number(INBOUND_LINE)
    assert number is not None
    number.voice_url = ""
    args = build_parser().parse_args(
        ["call", "--from", RESPONDENT, "--to", INBOUND_LINE, "--sandbox", world.sandbox_url]
    )
    errors = io.StringIO()

    assert await run_phone(args, ScriptedConsole(), errors) == 1

    assert errors.getvalue() == (
        f"gateway phone: the sandbox refused: {INBOUND_LINE} has no VoiceUrl "
        "(is the gateway running? 'make demo' points the demo numbers at it)\n"
    )


@pytest.mark.parametrize(
    "command",
    [
        ["call", "--from", RESPONDENT, "--to", INBOUND_LINE],
        ["sms", "--from", RESPONDENT, "--to", "+61200000002"],
        ["answer", "--number", RESPONDENT, "--once"],
    ],
)
def test_an_unreachable_sandbox_is_one_line(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = f"http://127.0.0.1:{free_port()}/twilio"

    status = main([*command, "--sandbox", sandbox])

    assert status == 1
    out, err = capsys.readouterr()
    assert (out, err) == (
        "",
        f"gateway phone: cannot reach the sandbox at {sandbox}; is 'make demo' running?\n",
    )
