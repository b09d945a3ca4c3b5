"""A lone surrogate in an SDX question (half an emoji, escaped in SDX's JSON) breaks nothing.

The current question is kept in the call's session and in the SMS
conversation, both saved as UTF-8 JSON. A surrogate made that save fail:
the caller heard the apology and the call ended, and the respondent got
"try again later" with their conversation locked until the lock expired.
Found by the hostile-prompt fuzz (test_hostile_prompts.py). The question
is now heard without it, the answer is recorded, and a sound file whose
URL holds one is still never played.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from structlog.testing import capture_logs

from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.sdx import SandboxState
from tests.helpers.call import Call
from tests.helpers.ledger import answers
from tests.helpers.phone import Phone
from tests.helpers.settings import GatewayFactory
from tests.security.hostile import INBOUND, SMS_NUMBER

VOICE_Q2, SMS_Q2 = 502, 510  # "On a scale of 1 to 5..." of surveys 52 and 54
VOICE_INTERACTION, SMS_INTERACTION = 1001, 1003
ASKED = "On a scale of 1 to 5\ud83d, how satisfied\udfff were you?"
HEARD = "On a scale of 1 to 5, how satisfied were you?"
SOUND = "https://cdn.example.com/q2\ud800.mp3"


def errors(logs: list[MutableMapping[str, Any]]) -> list[MutableMapping[str, Any]]:
    return [entry for entry in logs if entry["log_level"] in {"error", "critical"}]


async def test_a_call_hears_the_question_without_it_and_its_answer_is_recorded(
    start_gateway: GatewayFactory, sandbox: SandboxState, store_kind: str
) -> None:
    question = sandbox.store.question(VOICE_Q2)
    question.question_text, question.question_sound_file = ASKED, SOUND
    client, settings = await start_gateway(memory=store_kind == "memory")
    call = Call(client, settings, caller=DEMO_RESPONDENT, called=INBOUND)
    with capture_logs() as logs:
        await call.start()
        await call.press("9")
        assert call.spoken() == [HEARD]  # said, not played
        await call.silence()  # re-asked from the session's copy of the question
        assert call.spoken() == ["Sorry, I didn't catch that.", HEARD]
        await call.press("4")
    assert answers(sandbox, VOICE_INTERACTION) == ["9", "4"]
    assert call.gather.attrib["numDigits"] == "1"  # on to the yes/no question
    assert errors(logs) == []


async def test_a_conversation_gets_the_question_without_it_and_goes_on(
    start_gateway: GatewayFactory, sandbox: SandboxState, store_kind: str
) -> None:
    sandbox.store.question(SMS_Q2).question_text = ASKED
    client, settings = await start_gateway(memory=store_kind == "memory")
    phone = Phone(client, settings, respondent=DEMO_RESPONDENT, number=SMS_NUMBER)
    with capture_logs() as logs:
        await phone.send("hello")
        assert await phone.send("9") == [HEARD]
        assert await phone.send("4") == ["Was your issue resolved? Reply YES or NO."]
    assert answers(sandbox, SMS_INTERACTION) == ["9", "4"]
    assert errors(logs) == []
