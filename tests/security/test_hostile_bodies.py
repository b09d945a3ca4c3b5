"""Raw webhook bodies in odd charsets and content types, with invalid UTF-8, signed or not.

The form tests send what a form encoder writes; these send bytes no encoder
would: forms re-encoded in UTF-16 or Latin-1, a byte-order mark, NULs, raw
and percent-escaped invalid UTF-8 (overlong, surrogate, past U+10FFFF),
stray ``%`` and ``&``, JSON (with and without Twilio's ``bodySHA256``),
multipart without parts, under every content type and charset a proxy or
an attacker might name.

Properties: never a 5xx, TwiML that parses on a 200, no ERROR line. Signed
(over what the gateway's form parser reads): never a 403, except JSON
without ``bodySHA256``, which nothing can sign. Unsigned: 403 or the body
check's 400 / 413 / 415, and SDX sees no change.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from yarl import query_to_pairs

from tests.security.fuzz import (
    FUZZ_WARNINGS,
    STATS,
    Harness,
    Reply,
    check_reply,
    examples,
    refused_as,
)
from tests.security.hostile import CONTENT_TYPES, Target, raw_bodies, targets

pytestmark = FUZZ_WARNINGS


def media_type(content_type: str) -> str:
    return content_type.partition(";")[0].strip().lower()


def signed_request(
    harness: Harness, target: Target, body: bytes, content_type: str, with_hash: bool
) -> tuple[Target, dict[str, str]]:
    """The request signed as Twilio would sign it, had it sent this body."""
    params: list[tuple[str, str]] = []
    if media_type(content_type) == "application/json" and with_hash:
        # Twilio's JSON route: the body's SHA-256 in the signed URL, no parameters.
        digest = hashlib.sha256(body).hexdigest()
        separator = "&" if "?" in target.raw_path else "?"
        target = Target(target.method, f"{target.raw_path}{separator}bodySHA256={digest}")
    elif media_type(content_type) in {"", "application/x-www-form-urlencoded"}:
        # What aiohttp's form parser reads from these bytes (a body it could
        # not decode is refused before any signature is checked).
        params = query_to_pairs(body.rstrip().decode("utf-8", "replace"))
    headers = {
        "Content-Type": content_type,
        "X-Twilio-Signature": harness.sign(target.raw_path, params),
    }
    return target, headers


def post(harness: Harness, target: Target, body: bytes, headers: dict[str, str]) -> Reply:
    reply: Reply = harness.run(harness.send(target.method, target.raw_path, body, headers))
    event(f"{reply.status} {reply.body[:40]!r}")
    check_reply(reply)
    harness.assert_quiet()
    return reply


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
@given(target=targets(), body=raw_bodies(), with_hash=st.booleans())
@examples(80, cases=len(CONTENT_TYPES))
def test_signed_raw_bodies_are_answered_or_refused_never_broken(
    harness: Harness, content_type: str, target: Target, body: bytes, with_hash: bool
) -> None:
    harness.stats.examples += 1
    target, headers = signed_request(harness, target, body, content_type, with_hash)
    reply = post(harness, target, body, headers)
    if reply.status == 403:
        # Nothing signs a JSON body except through bodySHA256.
        assert media_type(content_type) == "application/json", reply
        assert not with_hash, reply


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
@given(
    target=targets(),
    body=raw_bodies(),
    signature=st.sampled_from(["none", "garbage", "wrong-token"]),
)
@examples(60, cases=len(CONTENT_TYPES))
def test_unsigned_raw_bodies_are_refused_before_anything_runs(
    harness: Harness, content_type: str, target: Target, body: bytes, signature: str
) -> None:
    harness.stats.examples += 1
    headers = {"Content-Type": content_type}
    if signature == "garbage":
        headers["X-Twilio-Signature"] = "Zm9yZ2Vk"
    elif signature == "wrong-token":
        params = query_to_pairs(body.rstrip().decode("utf-8", "replace"))
        headers["X-Twilio-Signature"] = harness.sign(target.raw_path, params, token="not-it")
    before = harness.changes()
    reply = post(harness, target, body, headers)
    assert reply.status in {400, 403, 415, *refused_as(413)}, reply
    if harness.changes() != before:
        STATS.refused_reaching_sdx += 1
    assert harness.changes() == before
