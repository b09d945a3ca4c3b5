"""How an SDX answer is read: its charset, its JSON, and no cookie sent back."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic_core import from_json

from gateway.sdx import SdxClient
from gateway.sdx.transport import body_encoding

PROMPT = "¿Qué tal, señora Müller? Café «noir», 5 €"
TURN: dict[str, Any] = {
    "prompts": [PROMPT],
    "sound_files": [None],
    "survey_completed": False,
    "current_question": {"id": 7, "question_text": PROMPT, "question_type": "text"},
}


def _sdx(body: bytes, content_type: str, seen: list[web.Request]) -> web.Application:
    async def start(request: web.Request) -> web.Response:
        seen.append(request)
        response = web.Response(body=body, headers={"Content-Type": content_type})
        response.set_cookie("PHPSESSID", "f00d")  # what a PHP SDX with sessions does
        return response

    app = web.Application()
    app.router.add_post("/api/interactions/{id}/start_survey", start)
    return app


@pytest.mark.parametrize(
    ("content_type", "codec"),
    [
        ("application/json", "utf-8"),
        ("application/json; charset=UTF-8", "utf-8"),
        ("application/json; charset=ISO-8859-15", "iso8859-15"),
        ('text/html; charset="windows-1252"', "cp1252"),
        ("text/html", "utf-8"),
        ("application/json; charset=no-such-codec", "utf-8"),
    ],
)
async def test_an_answer_is_read_in_its_charset_as_aiohttp_would_read_it(
    aiohttp_server: Any,
    make_client: Callable[..., SdxClient],
    http_session: aiohttp.ClientSession,
    content_type: str,
    codec: str,
) -> None:
    body = json.dumps(TURN, ensure_ascii=False).encode(codec)
    seen: list[web.Request] = []
    server = await aiohttp_server(_sdx(body, content_type, seen))
    client = make_client()
    client._t._base_url = str(server.make_url("/api"))

    turn = await client.start_survey(7)

    assert turn.prompts == [PROMPT]
    assert turn.current_question is not None
    assert turn.current_question.question_text == PROMPT
    # The codec is the one aiohttp's own ClientResponse.text picks.
    async with http_session.post(server.make_url("/api/interactions/7/start_survey")) as response:
        await response.read()
        assert body_encoding(content_type) == response.get_encoding() == codec


async def test_a_cookie_sdx_sets_is_never_sent_back(
    aiohttp_server: Any, make_client: Callable[..., SdxClient]
) -> None:
    seen: list[web.Request] = []
    body = json.dumps(TURN).encode()
    server = await aiohttp_server(_sdx(body, "application/json", seen))
    client = make_client()
    # By name: a cookie jar keeps no cookie from an IP address.
    client._t._base_url = f"http://localhost:{server.port}/api"

    await client.start_survey(7)
    await client.start_survey(7)

    assert len(seen) == 2
    assert [r.headers.get("Cookie") for r in seen] == [None, None]


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False)
    | st.text(alphabet=st.characters(blacklist_categories=("Cs",))),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def _same(a: Any, b: Any) -> bool:
    """Equal, with a float equal only to a float of the same value and sign."""
    if isinstance(a, float) or isinstance(b, float):
        return type(a) is type(b) and a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@settings(derandomize=True, max_examples=300, deadline=None)
@given(value=_JSON, ascii_only=st.booleans())
def test_the_json_parser_reads_what_json_loads_reads(value: Any, ascii_only: bool) -> None:
    # The transport parses with pydantic's parser (json.loads only for a
    # body with an escaped lone surrogate): the same values, floats to the bit.
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert _same(from_json(text), json.loads(text))


@pytest.mark.parametrize(
    "text", ['{"id": 1, "id": 2}', "[NaN, Infinity, -Infinity]", "-0", "1e999", "-1e-400"]
)
def test_the_json_parser_reads_the_odd_cases_as_json_loads(text: str) -> None:
    assert repr(from_json(text)) == repr(json.loads(text))
