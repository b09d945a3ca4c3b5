"""The TwiML written as text is byte for byte what twilio's VoiceResponse writes.

The reference below is how the gateway rendered turns before (VoiceResponse,
then ElementTree through ``render_twiml``); every question type, sound-file
case, voice and language, and hostile text (XML's special characters,
characters XML cannot carry, other scripts, emoji) must give the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.twiml.voice_response import VoiceResponse

from gateway.languages.words import BUILT_IN
from gateway.sdx.models import Question
from gateway.twilio.xml_text import render_twiml, xml_safe
from gateway.voice.twiml import (
    Prompt,
    VoiceStyle,
    gather_plan,
    render_closing,
    render_empty,
    render_message,
    render_question,
    usable_sound_url,
)

MAX_GATHER_TIMEOUT = 60


def _reference_prompts(parent: Any, prompts: Sequence[Prompt], style: VoiceStyle) -> None:
    for prompt in prompts:
        sound = usable_sound_url(prompt.sound_url)
        text = xml_safe(prompt.text).strip()
        if sound is not None:
            parent.play(sound)
        elif text:
            speaker = prompt.style or style
            parent.say(text, voice=speaker.voice, language=speaker.language)


def reference_question(
    prompts: Sequence[Prompt],
    question: Question | None,
    action: str,
    no_input: str,
    style: VoiceStyle,
) -> str:
    plan = gather_plan(question, style.words)
    own = question.timeout if question is not None else None
    response = VoiceResponse()
    gather = response.gather(
        action=action,
        method="POST",
        input=plan.input,
        timeout=min(own, MAX_GATHER_TIMEOUT) if own else style.gather_timeout,
        num_digits=plan.num_digits,
        finish_on_key=plan.finish_on_key,
        speech_timeout=plan.speech_timeout,
        hints=plan.hints,
        language=style.language,
    )
    _reference_prompts(gather, prompts, style)
    response.redirect(no_input, method="POST")
    return render_twiml(response)


def reference_closing(prompts: Sequence[Prompt], style: VoiceStyle) -> str:
    response = VoiceResponse()
    _reference_prompts(response, prompts, style)
    response.hangup()
    return render_twiml(response)


HOSTILE = "&<>\"'\n\r\t \x00\x0b\x1f\ud800\udfff\ufffe\uffff é中ع😀\u2019\u00a0"
text = st.text(alphabet=st.one_of(st.characters(), st.sampled_from(HOSTILE)), max_size=40)
urls = st.one_of(
    st.none(),
    st.just(""),
    st.builds(lambda t: f"https://cdn.example.com/{t}.mp3", text),
    st.builds(lambda t: f"HTTP://cdn.example.com/a?x={t}&y=1", text),
    text,
)
styles = st.builds(
    VoiceStyle,
    voice=st.one_of(
        st.sampled_from(["Polly.Joanna", "Polly.Lupe", "Google.es-US-Neural2-A"]), text
    ),
    language=st.one_of(st.sampled_from(["en-US", "es-US", "cmn-CN", "ar-AE"]), text),
    gather_timeout=st.integers(1, 60),
    words=st.sampled_from(list(BUILT_IN.values())),
)
prompts = st.lists(
    st.builds(Prompt, text=text, sound_url=urls, style=st.one_of(st.none(), styles)), max_size=4
)
questions = st.one_of(
    st.none(),
    st.builds(
        Question,
        id=st.integers(1, 10**6),
        question_text=text,
        question_type=st.one_of(
            st.none(), st.sampled_from(["yesno", "nps", "number", "text", "choice", " NPS "])
        ),
        max_response=st.one_of(st.none(), st.integers(-1, 10**5)),
        timeout=st.one_of(st.none(), st.integers(1, 500)),
    ),
)


@settings(max_examples=400, deadline=None)
@given(prompts, questions, text, text, styles)
def test_a_question_is_what_voice_response_writes(
    asked: list[Prompt], question: Question | None, action: str, no_input: str, style: VoiceStyle
) -> None:
    assert render_question(asked, question, action=action, no_input=no_input, style=style) == (
        reference_question(asked, question, action, no_input, style)
    )


@settings(max_examples=200, deadline=None)
@given(prompts, styles)
def test_a_closing_is_what_voice_response_writes(said: list[Prompt], style: VoiceStyle) -> None:
    assert render_closing(said, style) == reference_closing(said, style)


@given(text, styles)
def test_a_message_is_what_voice_response_writes(message: str, style: VoiceStyle) -> None:
    assert render_message(message, style) == reference_closing([Prompt(message)], style)


def test_an_empty_response_is_what_voice_response_writes() -> None:
    assert render_empty() == render_twiml(VoiceResponse())
