"""``python -m gateway.sandbox.softphone call``: a real process, typed at through a pipe."""

from __future__ import annotations

import asyncio
import signal
import sys

from gateway.sandbox.softphone.call import HOW_TO
from tests.sandbox.softphone.conftest import INBOUND, INBOUND_LINE, RESPONDENT, World

SATISFIED = "On a scale of 1 to 5, how satisfied were you with the help you received today?"


async def _run(world: World, *args: str, typed: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway.sandbox.softphone",
        *args,
        "--sandbox",
        world.sandbox_url,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(typed.encode()), 15)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_a_voice_survey_typed_through_stdin(world: World) -> None:
    typed = "7\n\n3#\nno\nNothing, thanks.\n"

    status, out, err = await _run(
        world, "call", "--from", RESPONDENT, "--to", INBOUND_LINE, typed=typed
    )

    assert (status, err) == (0, "")
    assert out.splitlines() == [
        f"Calling {INBOUND_LINE} from {RESPONDENT}. {HOW_TO}",
        "[audio: https://example.com/sdx-sandbox/greeting-52.mp3]",
        "[speaking en-US (Polly.Joanna)]",
        "Answer each question with your keypad or by saying your answer. "
        "After a number, press the hash key.",
        "How likely are you to recommend us to a friend, from 0 to 10?",
        "(keys, # to finish, or say something) > 7",
        SATISFIED,
        "(press a key, or say something) > ",
        "Sorry, I didn't catch that.",
        SATISFIED,
        "(press a key, or say something) > 3#",
        "Was your issue resolved? Press 1 or say yes for yes, press 2 or say no for no.",
        "(press a key, or say something) > no",
        "Please tell us how we could do better. Speak after the tone.",
        "(say something) > Nothing, thanks.",
        "Thank you for your feedback. Goodbye.",
        "-- call ended (completed)",
    ]
    assert world.answers(INBOUND) == [
        ("recommend", "7"),
        ("satisfaction", "3"),
        ("resolved", "No"),
        ("comments", "Nothing, thanks."),
    ]


async def test_end_of_input_hangs_up(world: World) -> None:
    status, out, err = await _run(
        world, "call", "--from", RESPONDENT, "--to", INBOUND_LINE, typed=""
    )

    assert (status, err) == (0, "")
    assert out.splitlines()[-2:] == ["-- you hung up", "-- call ended (completed)"]
    assert world.answers(INBOUND) == []


async def test_ctrl_c_hangs_up_and_exits_quietly(world: World) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "gateway.sandbox.softphone", "call", "--from", RESPONDENT, "--to", INBOUND_LINE),
        *("--sandbox", world.sandbox_url),
        stdin=asyncio.subprocess.PIPE,  # kept open: the user is thinking
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    async with asyncio.timeout(15):
        while b"recommend" not in await process.stdout.readline():
            pass
        process.send_signal(signal.SIGINT)
        out, err = await process.communicate()

    assert (process.returncode, out, err) == (130, b"\n", b"")  # no traceback
    (call,) = world.twilio.calls.values()
    await asyncio.wait_for(call.finished.wait(), 5)
    assert (call.status, call.transcript[-1]) == ("completed", ("input", "hangup"))
