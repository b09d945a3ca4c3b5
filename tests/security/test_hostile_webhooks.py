"""Hostile webhook forms on every ``/twilio/*`` route, validly signed or not.

Properties, for every request: never a 5xx; a 200 is well-formed TwiML
(a <Response> of the verbs the gateway writes); a response's X-Request-Id
is a safe one; no ERROR log line. Signed: answered by the handler (200, or
400 for a form it cannot use), 404 / 405 beside the routes. Unsigned, or
signed wrongly in any way: 403, and SDX sees no change. Either way a body
the body check refuses gets its 4xx first (400 for escaped invalid UTF-8,
413 over the 256 KiB cap or at 1,000 fields).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import assume, event, given
from hypothesis import strategies as st
from twilio.request_validator import HMAC_SHA1, HMAC_SHA256, SIGNATURE_SETTINGS_HEADER

from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.sdx import SandboxState
from gateway.web.app import MAX_BODY
from tests.helpers.settings import GatewayFactory
from tests.helpers.signing import FORM_CONTENT_TYPE, signed_post
from tests.security.fuzz import (
    FUZZ_WARNINGS,
    SHARED_KEY,
    STATS,
    Harness,
    Reply,
    check_reply,
    examples,
    refused_as,
)
from tests.security.hostile import (
    INBOUND,
    ROUTES,
    SMS_NUMBER,
    UNKNOWN,
    Target,
    encode_form,
    forms,
    has_surrogate,
    targets,
)

pytestmark = FUZZ_WARNINGS

SETTINGS_HEADER = "key=webhooks_sharedkey_1,algorithm="
# Header values the client can send: printable ASCII, and a tab.
request_ids = st.one_of(
    st.none(),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=100),
    st.sampled_from(["", "x" * 65, "id\tforged", 'id" level="error', "a" * 64]),
)
content_types = st.sampled_from(
    [FORM_CONTENT_TYPE, f"{FORM_CONTENT_TYPE}; charset=utf-8", f"{FORM_CONTENT_TYPE}; charset=UTF8"]
)
# The ways a request is signed validly: the auth token, or a Webhook Settings shared key.
SIGNED = ["auth-token", "shared-key-sha256", "shared-key-sha1"]
# And the ways it is not.
FORGED = [
    "none",
    "empty",
    "garbage",
    "wrong-token",
    "another-url",  # a captured signature replayed on another interaction
    "tampered-form",  # a captured signature with a field added
    "gateway-address",  # signed over the address the gateway listens on
    "shared-key-without-header",
    "auth-token-with-header",
    "unknown-algorithm",
]


def body_refusal(body: bytes, pairs: list[tuple[str, str]], parsed: bool) -> int | None:
    """The 4xx a body gets whatever its signature; ``parsed``: the signature check reads it."""
    if len(body) > MAX_BODY:
        return 413
    if has_surrogate(pairs):
        return 400
    if parsed and body.count(b"&") >= 1000:
        return 413
    return None


def signed_headers(harness: Harness, target: Target, pairs: list[Any], how: str) -> dict[str, str]:
    if how == "auth-token":
        return {"X-Twilio-Signature": harness.sign(target.raw_path, pairs)}
    algorithm = HMAC_SHA256 if how.endswith("sha256") else HMAC_SHA1
    return {
        SIGNATURE_SETTINGS_HEADER: SETTINGS_HEADER + algorithm,
        "X-Twilio-Signature": harness.sign(
            target.raw_path, pairs, token=SHARED_KEY, algorithm=algorithm
        ),
    }


def forged_headers(
    harness: Harness, target: Target, pairs: list[Any], how: str, garbage: str
) -> dict[str, str]:
    sign = harness.sign
    path = target.raw_path
    signature = {
        "none": None,
        "empty": "",
        "garbage": garbage,
        "wrong-token": lambda: sign(path, pairs, token="not-the-auth-token"),
        "another-url": lambda: sign(path + ("&" if "?" in path else "?") + "interaction=2", pairs),
        # A GET carries no form: its signature names a field it lacks.
        "tampered-form": lambda: sign(path, pairs[:-1] if pairs else [("Tampered", "1")]),
        "gateway-address": lambda: sign(path, pairs, base=str(harness.client.make_url(""))),
        "shared-key-without-header": lambda: sign(path, pairs, token=SHARED_KEY),
        "auth-token-with-header": lambda: sign(path, pairs),
        "unknown-algorithm": lambda: sign(path, pairs),
    }[how]
    headers = {}
    if callable(signature):
        headers["X-Twilio-Signature"] = signature()
    elif signature is not None:
        headers["X-Twilio-Signature"] = signature
    if how == "auth-token-with-header":
        headers[SIGNATURE_SETTINGS_HEADER] = SETTINGS_HEADER + HMAC_SHA256
    elif how == "unknown-algorithm":
        headers[SIGNATURE_SETTINGS_HEADER] = SETTINGS_HEADER + "HMAC_MD5"
    return headers


def post(harness: Harness, target: Target, body: bytes | None, headers: dict[str, str]) -> Reply:
    reply: Reply = harness.run(harness.send(target.method, target.raw_path, body, headers))
    check_reply(reply)
    harness.assert_quiet()
    return reply


# Each route on its own (so each gets its share of examples), and paths beside them.
ROUTE_CASES = [*ROUTES, "beside"]


def route_targets(route: str) -> st.SearchStrategy[Target]:
    return targets(UNKNOWN if route == "beside" else [route], methods=("POST",) * 7 + ("GET",))


@pytest.mark.parametrize("route", ROUTE_CASES)
@given(
    data=st.data(),
    pairs=forms(),
    how=st.sampled_from(SIGNED),
    content_type=content_types,
    request_id=request_ids,
)
@examples(150, cases=len(ROUTE_CASES))
def test_signed_hostile_forms_are_answered_never_broken(
    harness: Harness,
    route: str,
    data: st.DataObject,
    pairs: list[tuple[str, str]],
    how: str,
    content_type: str,
    request_id: str | None,
) -> None:
    target = data.draw(route_targets(route), label="target")
    harness.stats.examples += 1
    body = encode_form(pairs) if target.method == "POST" else None
    # A form holding a lone surrogate cannot be signed (it is not text);
    # the body check refuses it before any signature is read.
    signable = [] if body is None or has_surrogate(pairs) else pairs
    headers = {"Content-Type": content_type, **signed_headers(harness, target, signable, how)}
    if request_id is not None:
        headers["X-Request-Id"] = request_id
    reply = post(harness, target, body, headers)
    event(f"{target.method} {target.path} -> {reply.status}")
    refusal = body_refusal(body, pairs, parsed=True) if body is not None else None
    if refusal is not None:
        assert reply.status in refused_as(refusal), reply
    elif not target.known:
        assert reply.status == 404, reply
    elif target.method == "GET":
        assert reply.status == 405, reply
    else:
        assert reply.status in {200, 400}, reply  # signed: never 403


@pytest.mark.parametrize("how", FORGED)
@given(
    target=targets(methods=("POST",) * 7 + ("GET",)),
    pairs=forms(),
    garbage=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=60),
)
@examples(100, cases=len(FORGED))
def test_unsigned_or_wrongly_signed_forms_are_refused_before_anything_runs(
    harness: Harness, how: str, target: Target, pairs: list[tuple[str, str]], garbage: str
) -> None:
    if how == "tampered-form":
        pairs = [*pairs, ("Tampered", "1")]
        assume(pairs.count(("Tampered", "1")) == 1)
    harness.stats.examples += 1
    body = encode_form(pairs) if target.method == "POST" else None
    signable = [] if body is None or has_surrogate(pairs) else pairs
    headers = {"Content-Type": FORM_CONTENT_TYPE}
    headers |= forged_headers(harness, target, signable, how, garbage)
    before = harness.changes()
    reply = post(harness, target, body, headers)
    event(f"{target.method} {target.path} -> {reply.status}")
    refusal = None
    if body is not None:
        # Without a signature, or naming an algorithm it does not know, the
        # check refuses before it parses the form.
        parsed = bool(headers.get("X-Twilio-Signature")) and how != "unknown-algorithm"
        refusal = body_refusal(body, pairs, parsed=parsed)
    assert reply.status in refused_as(refusal or 403), reply
    if harness.changes() != before:
        STATS.refused_reaching_sdx += 1
    assert harness.changes() == before


@pytest.mark.parametrize(
    "route", ["/twilio/voice", "/twilio/voice/status", "/twilio/sms", "/twilio/sms/status"]
)
@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
async def test_body_over_the_cap_is_413(
    start_gateway: GatewayFactory, sandbox: SandboxState, route: str, signed: bool
) -> None:
    client, gateway_settings = await start_gateway()
    form = [("CallSid", "CA" + "b" * 32), ("MessageSid", "SM" + "b" * 32), ("Body", "x" * 300_000)]
    if signed:
        response = await signed_post(client, route, form, settings=gateway_settings)
    else:
        response = await client.post(
            route, data=urlencode(form).encode(), headers={"Content-Type": FORM_CONTENT_TYPE}
        )
    # Read and released here: a response left open keeps its connection, and
    # the server's shutdown at teardown waits up to a minute for it.
    async with response:
        await response.read()
    # The body check reads the body first, so even unsigned it is the cap that answers.
    assert response.status == 413
    assert [r for r in sandbox.requests if r.method != "GET"] == []


@pytest.mark.parametrize("route", ["/twilio/voice", "/twilio/sms"])
def test_a_100_kb_body_under_the_cap_is_answered(harness: Harness, route: str) -> None:
    form = [
        ("CallSid", "CA" + "c" * 32),
        ("MessageSid", "SM" + "c" * 32),
        ("From", DEMO_RESPONDENT),
        ("To", SMS_NUMBER if route == "/twilio/sms" else INBOUND),
        ("Body", "8" * 100_000),
        ("Digits", "9" * 1000),
    ]
    headers = {"Content-Type": FORM_CONTENT_TYPE, "X-Twilio-Signature": harness.sign(route, form)}
    reply = post(harness, Target("POST", route), encode_form(form), headers)
    assert reply.status == 200
