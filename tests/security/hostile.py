"""What an outsider can put in a webhook, as hypothesis strategies.

Values are hostile in every way a form field can be: markup and injection
text, control and format characters, lone surrogates (percent-escaped as the
invalid UTF-8 they become), huge values, numbers that are not numbers,
phone numbers in other scripts and with separators. Requests come as forms
(keys repeated, fields missing, thousands of fields) or as raw bodies in
other charsets and content types, on every ``/twilio/*`` route and a few
paths beside them, with query strings holding invalid percent-escapes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, quote_plus, urlencode

from hypothesis import strategies as st

from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.twilio import urls

INBOUND, SMS_NUMBER = "+61200000000", "+61200000002"
ROUTES = [
    urls.VOICE,
    urls.VOICE_ANSWER,
    urls.VOICE_SILENCE,
    urls.VOICE_STATUS,
    urls.VOICE_MACHINE,
    urls.SMS,
    urls.SMS_STATUS,
]
# Beside the routes: still under the signature check, never a handler.
UNKNOWN = ["/twilio/", "/twilio/voice/", "/twilio/Voice", "/twilio/sms/status/x", "/twilio/x/y"]
FORM = "application/x-www-form-urlencoded"

HOSTILE = [
    "' OR 1=1 --",
    "'; DROP TABLE interactions; --",
    "<script>alert(1)</script>",
    "]]><Hangup/><![CDATA[",
    "</Say><Redirect>https://evil.example/x</Redirect><Say>",
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    "&amp;&lt;&#0;&#x1F;&#55296;",
    "{{7*7}}${7*7}%s%n%x",
    "\x00\x01\x02\x1b[31m\x7f",
    "\ud7ff\ufffe\uffff\U0010ffff",
    "\ud800",  # a lone high surrogate: %ED%A0%80 on the wire
    "a\udfffb",
    "+61409999999\r\nSet-Cookie: x=1",
    "../../../../etc/passwd",
    "%00%zz%",  # percent signs, escaped again by the form encoding
    "\u202e\u200b\ufeff",  # right-to-left override, zero width space, BOM
    "   ",
    "",
]
PHONES = [
    DEMO_RESPONDENT,
    INBOUND,
    SMS_NUMBER,
    "+61 409 999 999",
    "+61 - 409 - 999 - 999",
    "(04) 0999-9999",
    "+61.409.999.999",
    "0409999999",
    "\uff0b\uff16\uff11\uff14\uff10\uff19\uff19\uff19\uff19\uff19\uff19\uff19",  # fullwidth
    "+\u0666\u0661\u0664\u0660\u0669\u0669\u0669\u0669\u0669\u0669\u0669",  # Arabic-Indic
    "+\u096c\u0967\u096a\u0966\u096f\u096f\u096f\u096f\u096f\u096f\u096f",  # Devanagari
    "+0000",
    "12345",
    "+999999999999999999999",
    "not a number",
    "client:alice",
    "sip:a@b.c",
    "anonymous",
    "",
]
NUMBERS = ["1e309", "-0", "NaN", "Infinity", "0x10", "1_000", "\u0661\u0662", "\u00b2", "\u2163"]
STATUSES = [
    "completed",
    "in-progress",
    "busy",
    "no-answer",
    "failed",
    "canceled",
    "ringing",
    "undelivered",
    "delivered",
    "30007",
    "21610",
]
KEYWORDS = ["STOP", "stop ", "START", "HELP", "UNSUBSCRIBE", "machine_start", "fax", "human"]
FIELDS = [
    "CallSid",
    "MessageSid",
    "AccountSid",
    "From",
    "To",
    "Body",
    "Digits",
    "SpeechResult",
    "Confidence",
    "CallStatus",
    "Direction",
    "AnsweredBy",
    "OptOutType",
    "NumMedia",
    "CallDuration",
    "MessageStatus",
    "ErrorCode",
]

# Characters XML 1.0 cannot carry at all, lone surrogates among them.
XML_FORBIDDEN = st.one_of(
    st.sampled_from([*map(chr, range(0x00, 0x09)), "\x0b", "\x0c", *map(chr, range(0x0E, 0x20))]),
    st.sampled_from(["\ufffe", "\uffff"]),
    st.characters(categories=["Cs"]),
)
controls = st.text(
    st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "So", "Co"]), max_size=30
)
with_surrogates = st.text(st.one_of(st.characters(), XML_FORBIDDEN), min_size=1, max_size=20)


@st.composite
def huge(draw: st.DrawFn) -> str:
    """One character repeated: 1 KB to past the 256 KiB body cap once encoded, cheap to draw."""
    char = draw(st.sampled_from(["9", "a", "\u00e9", "\x00", "%", "\U0001f600", " "]))
    encoded = len(quote_plus(char))
    return char * (draw(st.integers(1_000, 400_000)) // encoded)


texts = st.one_of(
    st.text(max_size=60),
    controls,
    with_surrogates,
    st.sampled_from(HOSTILE),
    st.sampled_from(PHONES),
    st.sampled_from(NUMBERS + STATUSES + KEYWORDS),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.one_of(st.text(alphabet="0123456789#*", min_size=1, max_size=3000), huge()),
)
call_sids = st.one_of(st.from_regex(r"CA[0-9a-fA-F]{32}", fullmatch=True), texts)
message_sids = st.one_of(st.from_regex(r"(SM|MM)[0-9a-f]{32}", fullmatch=True), texts)


@st.composite
def forms(draw: st.DrawFn) -> list[tuple[str, str]]:
    """Mostly plausible Twilio forms with hostile values; keys missing, repeated, extra."""
    plausible = draw(st.sampled_from([True, True, False]))
    base = {
        "CallSid": draw(
            st.from_regex(r"CA[0-9a-f]{32}", fullmatch=True) if plausible else call_sids
        ),
        "MessageSid": draw(
            st.from_regex(r"SM[0-9a-f]{32}", fullmatch=True) if plausible else message_sids
        ),
        "From": draw(
            st.sampled_from(PHONES) if plausible else st.one_of(st.sampled_from(PHONES), texts)
        ),
        "To": draw(st.sampled_from([INBOUND, SMS_NUMBER]) if plausible else texts),
    }
    overridable = [f for f in FIELDS if not plausible or f not in base]
    for name in draw(st.lists(st.sampled_from(overridable), max_size=6)):
        base[name] = draw(texts)
    dropped = draw(st.sets(st.sampled_from(sorted(base)), max_size=0 if plausible else 3))
    pairs = [(k, v) for k, v in base.items() if k not in dropped]
    # The same key again: Twilio signs every value; the handler reads one.
    repeated = draw(st.lists(st.tuples(st.sampled_from(FIELDS), texts), max_size=3))
    extra = draw(st.lists(st.tuples(st.text(min_size=1, max_size=20), texts), max_size=3))
    # aiohttp refuses a form of more than 1,000 fields (413): around that edge.
    flood = draw(st.sampled_from([0] * 30 + [999, 1000, 1500]))
    return pairs + repeated + extra + [("x", "1")] * flood


def encode_form(pairs: list[tuple[str, str]]) -> bytes:
    """The form as it goes on the wire; a lone surrogate becomes invalid UTF-8 (%ED%A0%80)."""
    return urlencode(pairs, errors="surrogatepass").encode("ascii")


def has_surrogate(pairs: list[tuple[str, str]]) -> bool:
    return any("\ud800" <= ch <= "\udfff" for pair in pairs for text in pair for ch in text)


# Query values as sent: text percent-escaped as a client would, or raw escapes
# no decoder agrees on. Always ASCII: HTTP's request line is (a raw byte
# above 0x7F is refused by aiohttp's parser before the gateway sees it).
RAW_ESCAPES = ["%", "%zz", "%2", "%ED%A0%80", "%FF", "%C0%AF", "%00", "+", "%2B", "%E2%80%AE"]
query_values = st.one_of(
    st.integers(min_value=0, max_value=10**25).map(str),
    st.integers(min_value=-5, max_value=2000).map(str),
    st.sampled_from(["1", "1001", "0", "", "-1", "1e3", "0x10", "\u0661", " 1", "1 ", "1.0"]).map(
        lambda text: quote(text, safe="")
    ),
    st.text(max_size=20).map(lambda text: quote(text, safe="")),
    st.sampled_from(RAW_ESCAPES),
)


@dataclass(frozen=True)
class Target:
    """Where a request goes: the method, and the path with its query exactly as sent."""

    method: str
    raw_path: str

    @property
    def path(self) -> str:
        return self.raw_path.partition("?")[0]

    @property
    def known(self) -> bool:
        return self.path in ROUTES


@st.composite
def targets(
    draw: st.DrawFn,
    routes: Sequence[str] = (*ROUTES, *ROUTES, *ROUTES, *UNKNOWN),
    methods: Sequence[str] = ("POST",),
) -> Target:
    """A route (by default one request in four beside the routes) and a hostile query."""
    route = draw(st.sampled_from(routes))
    names = draw(
        st.lists(
            st.sampled_from(["turn", "i", "q", "s", "interaction", "attempt", "question", "x"]),
            max_size=5,
        )
    )
    query = [(name, draw(query_values)) for name in names]
    if route in (urls.VOICE_ANSWER, urls.VOICE_SILENCE) and draw(st.booleans()):
        # A well-formed turn reference (which may name nothing real).
        query = [
            ("turn", str(draw(st.integers(0, 3)))),
            ("i", draw(st.sampled_from(["1001", "1003", "999999"]))),
            ("q", str(draw(st.integers(0, 2000)))),
            *query,
        ]
    raw = route + ("?" + "&".join(f"{name}={value}" for name, value in query) if query else "")
    return Target(draw(st.sampled_from(methods)), raw)


# --- raw bodies ----------------------------------------------------------------

CONTENT_TYPES = [
    FORM,
    f"{FORM}; charset=utf-8",
    f"{FORM}; charset=UTF8",
    f'{FORM}; charset=" utf-8 "',
    f"{FORM}; charset=utf-16",
    f"{FORM}; charset=utf-32-le",
    f"{FORM}; charset=iso-8859-1",
    f"{FORM}; charset=cp1252",
    f"{FORM}; charset=bogus",
    f"{FORM}; charset=",
    f"{FORM}; charset=utf-8; charset=utf-16",
    "Application/X-WWW-Form-Urlencoded; Charset=UTF-8",
    "application/json",
    "application/json; charset=utf-16",
    "multipart/form-data; boundary=xyz",
    "text/plain; charset=utf-8",
    "text/xml",
    "application/octet-stream",
    "*/*",
    "x",
]
ENCODINGS = ["utf-8", "utf-16", "utf-32", "latin-1", "cp1252", "utf-8-sig"]
FRAGMENTS = [
    b"%",
    b"%zz",
    b"%e9",
    b"%ED%A0%80",
    b"%C0%AF",
    b"%F4%90%80%80",
    b"+",
    b"&&&",
    b"==",
    b";",
    b"\xff\xfe",
    b"\xed\xa0\x80",
    b"\x00",
    b"\r\n",
    b"\xef\xbb\xbf",
    b"   ",
    "\u00e9\U0001f600".encode(),
]


@st.composite
def raw_bodies(draw: st.DrawFn) -> bytes:
    """Bytes a form parser, a JSON parser or a charset decoder may choke on."""
    pairs = draw(forms().filter(lambda pairs: len(pairs) < 50))
    kind = draw(st.sampled_from(["form", "tail", "encoded", "json", "junk", "empty"]))
    if kind == "empty":
        return b""
    if kind == "junk":
        return draw(st.binary(max_size=300))
    if kind == "json":
        text = json.dumps(dict(pairs), ensure_ascii=draw(st.booleans()))
        return text.encode("utf-8", "surrogatepass")
    text = urlencode(pairs, errors="surrogatepass")
    if kind == "encoded":
        # The text re-encoded, as a proxy that "fixes" charsets would.
        return text.encode(draw(st.sampled_from(ENCODINGS)))
    body = text.encode("ascii")
    fragments = draw(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=4))
    if kind == "tail":
        # After the fields, so a well-formed webhook may still be read.
        return body + b"&" + b"".join(fragments)
    for fragment in fragments:
        at = draw(st.integers(0, len(body)))
        body = body[:at] + fragment + body[at:]
    return body
