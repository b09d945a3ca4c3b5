"""Voice TwiML for SDX survey turns (pure functions, no I/O).

A survey turn carries ``prompts`` (texts) and ``sound_files`` (recordings).
SDX does not document how the two lists line up, so the gateway reads them
tolerantly, by position:

* the i-th sound file stands for the i-th prompt when it is a usable URL: a
  non-empty ``http://`` or ``https://`` URL (scheme case-insensitive,
  surrounding whitespace stripped) with a host. It is then ``<Play>``-ed
  instead of saying the text;
* otherwise the prompt text (whitespace-trimmed) is ``<Say>``-ed. ``None``
  and ``""`` sound files are normal and simply mean "say it";
* a prompt with blank text and no usable sound is skipped;
* sound files beyond the number of prompts are played after the prompts,
  if usable;
* anything that is not http(s) (relative paths, ``file:``, ``javascript:``,
  garbage) is never played: Twilio would fetch it, and we do not want it
  fetching anything but the web.

The XML is written as text, byte for byte what twilio's ``VoiceResponse``
writes (see "writing the XML" below), with its escaping of text and
attributes; characters that XML 1.0 cannot carry at all (controls, lone
surrogates) are dropped from spoken text and attributes
(``gateway.twilio.xml_text``), and a sound-file URL holding one is not
played (cleaning it would fetch another file), so the document always parses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from gateway.languages.words import ENGLISH, SpeechWords
from gateway.sdx.models import Question, SurveyTurn
from gateway.twilio.xml_text import document, element, escape_text, xml_safe

__all__ = [
    "GatherPlan",
    "Prompt",
    "VoiceStyle",
    "asked_prompt",
    "gather_plan",
    "prompts_from_turn",
    "question_prompt",
    "render_closing",
    "render_empty",
    "render_message",
    "render_question",
    "turn_prompts",
]


MAX_GATHER_TIMEOUT = 60  # seconds: as GATEWAY_GATHER_TIMEOUT allows


@dataclass(frozen=True)
class VoiceStyle:
    """How the gateway speaks and listens (from ``GATEWAY_SAY_*`` settings)."""

    voice: str = "Polly.Joanna"  # <Say voice=...>
    language: str = "en-US"  # <Say language=...> and <Gather language=...> (speech recognition)
    gather_timeout: int = 5  # <Gather timeout=...>, seconds of silence before giving up
    words: SpeechWords = ENGLISH  # what the Gather's speech hints suggest


@dataclass(frozen=True)
class Prompt:
    """One thing to tell the caller: spoken ``text``, or ``sound_url`` played instead."""

    text: str
    sound_url: str | None = None
    # Spoken in this style instead of the call's: a gateway sentence with no
    # translation into the call's language keeps the voice it is written for.
    style: VoiceStyle | None = None


@dataclass(frozen=True)
class GatherPlan:
    """The ``<Gather>`` settings that suit a question type."""

    input: str  # "dtmf", "speech" or "dtmf speech"
    num_digits: int | None
    finish_on_key: str | None  # "#" or None
    speech_timeout: str | None  # "auto" or None
    hints: str | None


def usable_sound_url(value: str | None) -> str | None:
    """``value`` stripped if it is an http(s) URL with a host, else None."""
    if value is None:
        return None
    url = value.strip()
    if not url or xml_safe(url) != url or any(ch.isspace() for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. a malformed IPv6 host
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return None
    return url


def prompts_from_turn(prompts: Sequence[str], sound_files: Sequence[str | None]) -> list[Prompt]:
    """Pair a turn's prompts with its sound files by position (rules in the module doc)."""
    result: list[Prompt] = []
    for index in range(max(len(prompts), len(sound_files))):
        text = prompts[index].strip() if index < len(prompts) else ""
        sound = usable_sound_url(sound_files[index]) if index < len(sound_files) else None
        if text or sound:
            result.append(Prompt(text=text, sound_url=sound))
    return result


def turn_prompts(turn: SurveyTurn) -> list[Prompt]:
    """A turn's prompts (``prompts_from_turn``), the question's own sound file
    played for the prompt that says the question when no sound is paired with it."""
    prompts = prompts_from_turn(turn.prompts, turn.sound_files)
    question = turn.current_question
    sound = usable_sound_url(question.question_sound_file) if question is not None else None
    if question is None or sound is None:
        return prompts
    text = question.question_text.strip()
    return [Prompt(p.text, sound) if p.sound_url is None and p.text == text else p for p in prompts]


def asked_prompt(prompts: Sequence[Prompt], question: Question | None) -> Prompt | None:
    """Which of a turn's prompts asks ``question``: the one saying its text, else the
    last (SDX writes the question in the respondent's language, its
    ``question_text`` may be another's). Said again when a reprompt repeats it."""
    if question is None or not prompts:
        return None
    text = question.question_text.strip()
    return next((p for p in prompts if p.text == text), prompts[-1])


def question_prompt(question: Question) -> Prompt:
    """The question's own text, played from ``question_sound_file`` when that is http(s)."""
    return Prompt(
        text=question.question_text.strip(),
        sound_url=usable_sound_url(question.question_sound_file),
    )


def _question_type(question: Question | None) -> str:
    if question is None or question.question_type is None:
        return ""
    return question.question_type.strip().lower()


def gather_plan(question: Question | None, words: SpeechWords = ENGLISH) -> GatherPlan:
    """Keypad and speech settings for a question.

    yesno: one key (1 = Yes, 2 = No) or speech. nps: 0..10 ends with ``#``
    (no digit count, since both "7" and "10" are valid). number: as many
    keys as ``max_response`` has digits, ``#`` ends a shorter answer.
    text: speech only. Anything else: keys ending with ``#``, or speech.
    Speech hints are the yes/no or 0..10 words of the language listened in.
    """
    kind = _question_type(question)
    if kind == "yesno":
        return GatherPlan("dtmf speech", 1, None, "auto", words.yesno_hints)
    if kind == "nps":
        return GatherPlan("dtmf speech", None, "#", "auto", words.number_hints)
    if kind == "number":
        maximum = question.max_response if question is not None else None
        digits = len(str(maximum)) if maximum is not None and maximum >= 1 else None
        return GatherPlan("dtmf speech", digits, "#", "auto", None)
    if kind == "text":
        return GatherPlan("speech", None, None, "auto", None)
    return GatherPlan("dtmf speech", None, "#", "auto", None)


def _speakable(text: str) -> str:
    return xml_safe(text).strip()


# --- writing the XML -----------------------------------------------------------
# Every turn renders one of two shapes, written as text directly
# (``gateway.twilio.xml_text``): building twilio's VoiceResponse element tree
# and serialising it took about 40 µs of a turn's ~1.5 ms.
# tests/voice/test_twiml_text.py holds the bytes equal to VoiceResponse's for
# every question type, sound-file case, language and hostile text.


def _prompts_xml(prompts: Sequence[Prompt], style: VoiceStyle) -> str:
    """``<Play>``/``<Say>`` for each prompt."""
    parts = []
    for prompt in prompts:
        # Re-checked here so a hand-built Prompt cannot make Twilio fetch a non-http URL.
        sound = usable_sound_url(prompt.sound_url)
        text = _speakable(prompt.text)
        if sound is not None:
            parts.append(element("Play", {}, escape_text(sound)))
        elif text:
            speaker = prompt.style or style
            say = {"language": speaker.language, "voice": speaker.voice}
            parts.append(element("Say", say, escape_text(text)))
    return "".join(parts)


def render_question(
    prompts: Sequence[Prompt],
    question: Question | None,
    *,
    action: str,
    no_input: str,
    style: VoiceStyle,
) -> str:
    """Prompts inside a ``<Gather>`` that POSTs the answer to ``action``.

    The ``<Redirect>`` to ``no_input`` after the Gather is where Twilio goes
    when the caller stays silent (``actionOnEmptyResult`` is left unset, so
    an empty Gather falls through to it rather than calling ``action``). It
    waits the question's own ``timeout`` where SDX gives one (up to a minute).
    """
    plan = gather_plan(question, style.words)
    own = question.timeout if question is not None else None
    gather: dict[str, str | int | None] = {
        "action": action,
        "method": "POST",
        "input": plan.input,
        "timeout": min(own, MAX_GATHER_TIMEOUT) if own else style.gather_timeout,
        "numDigits": plan.num_digits,
        "finishOnKey": plan.finish_on_key,
        "speechTimeout": plan.speech_timeout,
        "hints": plan.hints,
        "language": style.language,
    }
    redirect = element("Redirect", {"method": "POST"}, escape_text(no_input))
    return document(element("Gather", gather, _prompts_xml(prompts, style)) + redirect)


def render_closing(prompts: Sequence[Prompt], style: VoiceStyle) -> str:
    """The survey's closing prompts, then ``<Hangup/>``."""
    return document(_prompts_xml(prompts, style) + element("Hangup", {}))


def render_message(text: str, style: VoiceStyle) -> str:
    """One spoken message (an apology, "no survey for you"), then ``<Hangup/>``.

    Blank text gives just ``<Hangup/>``.
    """
    return render_closing([Prompt(text=text)], style)


def render_empty() -> str:
    """An empty ``<Response />``, e.g. for status callbacks."""
    return document("")
