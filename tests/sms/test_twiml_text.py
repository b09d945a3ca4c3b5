"""An SMS reply's TwiML, written as text, is byte for byte what MessagingResponse writes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.twiml.messaging_response import MessagingResponse

from gateway.sms.text import Piece, render_messages
from gateway.twilio.xml_text import render_twiml

HOSTILE = "&<>\"'\n\r\t \x00\x0b\x1f\ud800\ufffe é中ع😀\u2019"
text = st.text(alphabet=st.one_of(st.characters(), st.sampled_from(HOSTILE)), max_size=60)


def reference(pieces: list[Piece], status_callback: str | None) -> str:
    """How replies were rendered before: MessagingResponse through ElementTree."""
    response = MessagingResponse()
    extra = {"action": status_callback} if status_callback else {}
    for piece in pieces:
        response.message(piece.body, **extra)
    return render_twiml(response)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.builds(Piece, body=text, segments=st.integers(1, 10), encoding=st.just("GSM-7"))),
    st.one_of(st.none(), st.just(""), text),
)
def test_a_reply_is_what_messaging_response_writes(
    pieces: list[Piece], status_callback: str | None
) -> None:
    assert render_messages(pieces, status_callback) == reference(pieces, status_callback)
