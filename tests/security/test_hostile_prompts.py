"""SDX prompts holding what XML 1.0 cannot carry, through whole calls and conversations.

Each example writes hostile text into the sandbox's surveys (greeting,
instructions, every question, closing, sound-file URLs): control
characters, lone surrogates, U+FFFE, markup. A new respondent then calls
the inbound number and texts the SMS number (the gateway creates their
interactions), answers with keys, speech, silence and texts, and hangs up.

Properties: every reply is TwiML that parses, with only the gateway's
verbs; the first reply says (or texts) every opening prompt, less only
what XML cannot carry; no ERROR line.
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from gateway.sandbox.sdx.store import SdxStore
from gateway.sms.lookalikes import plain_text
from gateway.twilio.xml_text import xml_safe
from tests.helpers.call import Call
from tests.helpers.phone import Phone
from tests.security.fuzz import FUZZ_WARNINGS, STATS, Harness, check_twiml, examples
from tests.security.hostile import HOSTILE, INBOUND, SMS_NUMBER, XML_FORBIDDEN

pytestmark = FUZZ_WARNINGS

VOICE_SURVEY, SMS_SURVEY = 52, 54
_respondents = itertools.count(10_000_000)

prompt_texts = st.one_of(
    st.text(st.one_of(st.characters(), XML_FORBIDDEN), max_size=80),
    st.sampled_from(HOSTILE),
)
# None of these may be played, so each prompt's text is said instead.
sound_files = st.sampled_from(
    [
        "",
        "https://cdn.example.com/hi\ud800.mp3",
        "https://cdn.example.com/a\x00b.mp3",
        "https://cdn\ufffe.example.com/x.mp3",
        "javascript:alert(1)",
        "file:///etc/passwd",
    ]
)
voice_inputs = st.lists(
    st.one_of(
        st.tuples(st.just("press"), st.text("0123456789#*", min_size=1, max_size=4)),
        st.tuples(st.just("say"), st.one_of(st.text(max_size=30), st.sampled_from(HOSTILE[:9]))),
        st.tuples(st.just("silence"), st.just("")),
    ),
    max_size=4,
)
texts_sent = st.lists(
    st.one_of(st.text(max_size=40), st.sampled_from(["10", "5", "yes", "HELP", "STOP"])),
    max_size=3,
)


@dataclass(frozen=True)
class Prompts:
    greeting: str
    instructions: str
    questions: list[str]
    closing: str
    sound: str

    def write(self, store: SdxStore, survey_id: int) -> None:
        """Into the sandbox's survey, as SDX would hold them."""
        survey = store.surveys[survey_id]
        survey.greeting_text, survey.instructions_text = self.greeting, self.instructions
        survey.closing_text = self.closing
        survey.greeting_sound_file = survey.instructions_sound_file = self.sound
        survey.closing_sound_file = self.sound
        for question, text in zip(store.questions_for(survey_id), self.questions, strict=False):
            question.question_text, question.question_sound_file = text, self.sound

    @property
    def opening(self) -> list[str]:
        return [self.greeting, self.instructions, self.questions[0]]


prompt_sets = st.builds(
    Prompts,
    greeting=prompt_texts,
    instructions=prompt_texts,
    questions=st.lists(prompt_texts, min_size=4, max_size=4),
    closing=prompt_texts,
    sound=sound_files,
)


def words(text: str) -> str:
    """Whitespace folded: XML reads CR as LF, and replies are trimmed and split."""
    return " ".join(text.split())


def assert_opening_heard(
    heard: list[str], prompts: Prompts, sent: Callable[[str], str] = xml_safe
) -> None:
    said = words(" ".join(heard))
    for prompt in prompts.opening:
        assert words(sent(prompt)) in said, (prompt, heard)


def texted(prompt: str) -> str:
    """A prompt as texted: typographic look-alikes replaced (gateway.sms.lookalikes)."""
    return plain_text(xml_safe(prompt))


def parsed(step: Callable[[], Awaitable[Any]]) -> Callable[[], Awaitable[Any]]:
    """The step, with a reply XML cannot parse counted before the test fails."""

    async def counted() -> Any:
        try:
            return await step()
        except ET.ParseError:
            STATS.unparseable += 1
            raise

    return counted


async def call_through(harness: Harness, prompts: Prompts, inputs: list[tuple[str, str]]) -> None:
    call = Call(
        harness.client, harness.settings, caller=f"+614{next(_respondents):08d}", called=INBOUND
    )
    await parsed(call.start)()
    check_twiml(call.xml)
    assert_opening_heard(call.spoken(), prompts)
    for kind, value in inputs:
        if call.twiml is None or call.twiml.find("Gather") is None:
            break  # the survey ended: closing prompts and a hang-up
        if kind == "press":
            await parsed(lambda value=value: call.press(value))()
        elif kind == "say":
            await parsed(lambda value=value: call.say(value))()
        else:
            await parsed(call.silence)()
        check_twiml(call.xml)
    await parsed(call.hang_up)()


async def text_through(harness: Harness, prompts: Prompts, texts: list[str]) -> None:
    phone = Phone(
        harness.client,
        harness.settings,
        respondent=f"+614{next(_respondents):08d}",
        number=SMS_NUMBER,
    )
    first = await parsed(lambda: phone.send("hello"))()
    check_twiml(phone.xml)
    assert_opening_heard(first, prompts, texted)
    for text in texts:
        await parsed(lambda text=text: phone.send(text))()
        check_twiml(phone.xml)


@given(prompts=prompt_sets, inputs=voice_inputs, texts=texts_sent)
@examples(30)
def test_prompts_xml_cannot_carry_never_break_a_call_or_a_reply(
    creating_harness: Harness,
    prompts: Prompts,
    inputs: list[tuple[str, str]],
    texts: list[str],
) -> None:
    harness = creating_harness
    harness.stats.examples += 1
    for survey_id in (VOICE_SURVEY, SMS_SURVEY):
        prompts.write(harness.sandbox.store, survey_id)
    harness.run(call_through(harness, prompts, inputs))
    harness.run(text_through(harness, prompts, texts))
    harness.assert_quiet()
