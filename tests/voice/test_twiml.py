"""Voice TwiML: exact XML for each question type, sound-file rule and ending."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from gateway.sdx.models import Question
from gateway.voice.twiml import (
    GatherPlan,
    Prompt,
    VoiceStyle,
    gather_plan,
    prompts_from_turn,
    question_prompt,
    render_closing,
    render_empty,
    render_message,
    render_question,
)

HEAD = '<?xml version="1.0" encoding="UTF-8"?>'
STYLE = VoiceStyle()
GB = VoiceStyle(voice="Polly.Amy", language="en-GB", gather_timeout=7)
ACTION = "https://gw.example.com/twilio/voice/answer?turn=1&call=CA1"
NO_INPUT = "https://gw.example.com/twilio/voice/silence?turn=1&call=CA1"
ACTION_XML = "https://gw.example.com/twilio/voice/answer?turn=1&amp;call=CA1"
NO_INPUT_XML = "https://gw.example.com/twilio/voice/silence?turn=1&amp;call=CA1"
SAY_Q = '<Say language="en-US" voice="Polly.Joanna">How was it?</Say>'
REDIRECT = f'<Redirect method="POST">{NO_INPUT_XML}</Redirect>'


def question(kind: str | None, max_response: int | None = None) -> Question:
    return Question(
        id=7, question_text="How was it?", question_type=kind, max_response=max_response
    )


def ask(q: Question | None) -> str:
    return render_question(
        [Prompt("How was it?")], q, action=ACTION, no_input=NO_INPUT, style=STYLE
    )


NPS_HINTS = "zero, one, two, three, four, five, six, seven, eight, nine, ten"


@pytest.mark.parametrize(
    ("q", "gather"),
    [
        pytest.param(
            question("yesno"),
            f'<Gather action="{ACTION_XML}" hints="yes, no" input="dtmf speech" language="en-US"'
            ' method="POST" numDigits="1" speechTimeout="auto" timeout="5">',
            id="yesno",
        ),
        pytest.param(
            question("nps"),
            f'<Gather action="{ACTION_XML}" finishOnKey="#" hints="{NPS_HINTS}"'
            ' input="dtmf speech" language="en-US" method="POST" speechTimeout="auto" timeout="5">',
            id="nps",
        ),
        pytest.param(
            question("number", 5),
            f'<Gather action="{ACTION_XML}" finishOnKey="#" input="dtmf speech" language="en-US"'
            ' method="POST" numDigits="1" speechTimeout="auto" timeout="5">',
            id="number-max-5",
        ),
        pytest.param(
            question("number", 10),
            f'<Gather action="{ACTION_XML}" finishOnKey="#" input="dtmf speech" language="en-US"'
            ' method="POST" numDigits="2" speechTimeout="auto" timeout="5">',
            id="number-max-10",
        ),
        pytest.param(
            question("number"),
            f'<Gather action="{ACTION_XML}" finishOnKey="#" input="dtmf speech" language="en-US"'
            ' method="POST" speechTimeout="auto" timeout="5">',
            id="number-no-max",
        ),
        pytest.param(
            question("text"),
            f'<Gather action="{ACTION_XML}" input="speech" language="en-US"'
            ' method="POST" speechTimeout="auto" timeout="5">',
            id="text",
        ),
        pytest.param(
            question("rating"),
            f'<Gather action="{ACTION_XML}" finishOnKey="#" input="dtmf speech" language="en-US"'
            ' method="POST" speechTimeout="auto" timeout="5">',
            id="unknown-type",
        ),
        pytest.param(
            None,
            f'<Gather action="{ACTION_XML}" finishOnKey="#" input="dtmf speech" language="en-US"'
            ' method="POST" speechTimeout="auto" timeout="5">',
            id="no-question",
        ),
    ],
)
def test_question_gather_per_type(q: Question | None, gather: str) -> None:
    assert ask(q) == f"{HEAD}<Response>{gather}{SAY_Q}</Gather>{REDIRECT}</Response>"


@pytest.mark.parametrize(
    ("q", "plan"),
    [
        (question(" YesNo "), GatherPlan("dtmf speech", 1, None, "auto", "yes, no")),
        (question("NPS"), GatherPlan("dtmf speech", None, "#", "auto", NPS_HINTS)),
        (question("number", 1), GatherPlan("dtmf speech", 1, "#", "auto", None)),
        (question("number", 9), GatherPlan("dtmf speech", 1, "#", "auto", None)),
        (question("number", 100), GatherPlan("dtmf speech", 3, "#", "auto", None)),
        (question("number", 0), GatherPlan("dtmf speech", None, "#", "auto", None)),
        (question("number", -5), GatherPlan("dtmf speech", None, "#", "auto", None)),
        (question("Text"), GatherPlan("speech", None, None, "auto", None)),
        (question(None), GatherPlan("dtmf speech", None, "#", "auto", None)),
        (question(""), GatherPlan("dtmf speech", None, "#", "auto", None)),
    ],
)
def test_gather_plan(q: Question, plan: GatherPlan) -> None:
    assert gather_plan(q) == plan


def test_style_sets_voice_language_and_timeout() -> None:
    xml = render_question([Prompt("Hello")], question("text"), action="/a", no_input="/n", style=GB)
    assert xml == (
        f"{HEAD}<Response>"
        '<Gather action="/a" input="speech" language="en-GB" method="POST"'
        ' speechTimeout="auto" timeout="7">'
        '<Say language="en-GB" voice="Polly.Amy">Hello</Say>'
        '</Gather><Redirect method="POST">/n</Redirect></Response>'
    )


@pytest.mark.parametrize(
    ("prompts", "sounds", "expected"),
    [
        pytest.param(["Hi", "Q?"], [None, ""], [Prompt("Hi"), Prompt("Q?")], id="no-sounds"),
        pytest.param(
            ["Hi", "Q?"],
            ["https://cdn.example.com/hi.mp3", None],
            [Prompt("Hi", "https://cdn.example.com/hi.mp3"), Prompt("Q?")],
            id="sound-stands-for-prompt",
        ),
        pytest.param(
            ["Hi"],
            ["  HTTP://cdn.example.com/hi.wav \n"],
            [Prompt("Hi", "HTTP://cdn.example.com/hi.wav")],
            id="scheme-any-case-and-stripped",
        ),
        pytest.param(["Hi"], ["   "], [Prompt("Hi")], id="blank-sound-is-said"),
        pytest.param(
            ["a", "b", "c", "d", "e", "f"],
            [
                "sounds/hi.mp3",
                "file:///etc/passwd",
                "javascript:alert(1)",
                "http://",
                "ftp://x/y",
                "??",
            ],
            [Prompt("a"), Prompt("b"), Prompt("c"), Prompt("d"), Prompt("e"), Prompt("f")],
            id="non-http-never-played",
        ),
        pytest.param(
            ["Hi"],
            [None, "https://cdn.example.com/extra.mp3", "", "relative.mp3"],
            [Prompt("Hi"), Prompt("", "https://cdn.example.com/extra.mp3")],
            id="more-sounds-than-prompts",
        ),
        pytest.param(
            ["Hi", "Q?", "Bye"],
            ["https://cdn.example.com/hi.mp3"],
            [Prompt("Hi", "https://cdn.example.com/hi.mp3"), Prompt("Q?"), Prompt("Bye")],
            id="more-prompts-than-sounds",
        ),
        pytest.param(
            ["  Hi  ", "", "   ", "Q?"],
            [],
            [Prompt("Hi"), Prompt("Q?")],
            id="blank-prompts-skipped",
        ),
        pytest.param(
            ["", "Q?"],
            ["https://cdn.example.com/hi.mp3"],
            [Prompt("", "https://cdn.example.com/hi.mp3"), Prompt("Q?")],
            id="blank-prompt-with-sound-played",
        ),
        pytest.param([], [], [], id="empty-turn"),
    ],
)
def test_prompts_from_turn(
    prompts: list[str], sounds: list[str | None], expected: list[Prompt]
) -> None:
    assert prompts_from_turn(prompts, sounds) == expected


def test_sounds_render_as_play_in_order() -> None:
    prompts = prompts_from_turn(
        ["Welcome.", "", "Rate us.", ""],
        [
            "https://cdn.example.com/w.mp3",
            "file:///x.mp3",
            None,
            "",
            "https://cdn.example.com/e.mp3",
        ],
    )
    xml = render_question(prompts, question("nps"), action="/a", no_input="/n", style=STYLE)
    assert xml == (
        f"{HEAD}<Response>"
        f'<Gather action="/a" finishOnKey="#" hints="{NPS_HINTS}" input="dtmf speech"'
        ' language="en-US" method="POST" speechTimeout="auto" timeout="5">'
        "<Play>https://cdn.example.com/w.mp3</Play>"
        '<Say language="en-US" voice="Polly.Joanna">Rate us.</Say>'
        "<Play>https://cdn.example.com/e.mp3</Play>"
        '</Gather><Redirect method="POST">/n</Redirect></Response>'
    )


def test_hand_built_prompt_with_unsafe_sound_is_said() -> None:
    prompts = [Prompt("Hi", "javascript:alert(1)"), Prompt("", "file:///etc/passwd")]
    assert render_closing(prompts, STYLE) == (
        f'{HEAD}<Response><Say language="en-US" voice="Polly.Joanna">Hi</Say><Hangup /></Response>'
    )


def test_special_characters_are_escaped_and_parse_back() -> None:
    text = 'Tom & Jerry\'s <b>"best"</b> café? 5 > 3'
    xml = render_question(
        prompts_from_turn([text], []),
        question("yesno"),
        action=ACTION,
        no_input=NO_INPUT,
        style=STYLE,
    )
    assert (
        '<Say language="en-US" voice="Polly.Joanna">'
        'Tom &amp; Jerry\'s &lt;b&gt;"best"&lt;/b&gt; café? 5 &gt; 3</Say>'
    ) in xml
    root = ET.fromstring(xml.encode())
    gather = root.find("Gather")
    assert gather is not None
    assert gather.get("action") == ACTION
    assert gather.findtext("Say") == text
    assert root.findtext("Redirect") == NO_INPUT


def test_control_characters_are_dropped_so_xml_stays_valid() -> None:
    xml = render_message("Hel\x00lo\x07 there\x1b", STYLE)
    assert xml == (
        f'{HEAD}<Response><Say language="en-US" voice="Polly.Joanna">Hello there</Say>'
        "<Hangup /></Response>"
    )
    assert ET.fromstring(xml.encode()).findtext("Say") == "Hello there"


def test_question_prompt() -> None:
    q = Question(
        id=1, question_text="  Rate us.  ", question_sound_file=" https://x.example/q.mp3 "
    )
    assert question_prompt(q) == Prompt("Rate us.", "https://x.example/q.mp3")
    q = Question(id=1, question_text="Rate us.", question_sound_file="sounds/q.mp3")
    assert question_prompt(q) == Prompt("Rate us.")
    assert question_prompt(Question(id=1)) == Prompt("")


def test_closing_says_then_hangs_up() -> None:
    prompts = prompts_from_turn(["Thanks <3", "Bye"], [None, "https://cdn.example.com/bye.mp3"])
    assert render_closing(prompts, STYLE) == (
        f"{HEAD}<Response>"
        '<Say language="en-US" voice="Polly.Joanna">Thanks &lt;3</Say>'
        "<Play>https://cdn.example.com/bye.mp3</Play>"
        "<Hangup /></Response>"
    )


@pytest.mark.parametrize("prompts", [[], [Prompt(""), Prompt("   ")]])
def test_empty_closing_just_hangs_up(prompts: list[Prompt]) -> None:
    assert render_closing(prompts, STYLE) == f"{HEAD}<Response><Hangup /></Response>"


def test_render_message() -> None:
    assert render_message(" Sorry, no survey is waiting for you. ", GB) == (
        f"{HEAD}<Response>"
        '<Say language="en-GB" voice="Polly.Amy">Sorry, no survey is waiting for you.</Say>'
        "<Hangup /></Response>"
    )
    assert render_message("  ", STYLE) == f"{HEAD}<Response><Hangup /></Response>"


def test_render_empty() -> None:
    assert render_empty() == f"{HEAD}<Response />"
