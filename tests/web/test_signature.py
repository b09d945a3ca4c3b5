"""The X-Twilio-Signature check on /twilio/*: real app, real HTTP, twilio's own signer."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import pytest
from aiohttp import FormData, web
from aiohttp.test_utils import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import MultiDict
from pydantic import SecretStr
from structlog.testing import capture_logs
from twilio.request_validator import (
    HMAC_SHA1,
    HMAC_SHA256,
    RequestValidator,
    add_port,
    remove_port,
)

from gateway.config import Settings
from gateway.run import create_app
from gateway.web import signature as signature_module
from gateway.web.signature import twilio_signature
from tests.helpers.settings import make_settings
from tests.helpers.signing import public_url, signed_get, signed_post
from tests.helpers.signing import twilio_signature as sign

TOKEN = "test-auth-token-0123456789abcdef"
SHARED_KEY = "shared-key-secret-fedcba9876543210"
SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"
SHA256_SETTINGS = "key=webhooks_sharedkey_0123456789,algorithm=HMAC_SHA256"
PHONE = "+61400000000"
SMS = {"From": PHONE, "To": "+61200000000", "Body": "my private answer", "MessageSid": "SM1"}

Logs = list[MutableMapping[str, Any]]


@dataclass
class Gateway:
    client: TestClient[Any, Any]
    settings: Settings
    calls: list[str]  # paths the handlers ran for
    seen: list[Any]  # what each handler received


async def start(aiohttp_client: Any, **overrides: Any) -> Gateway:
    """The real app, with the middleware and three dummy /twilio/* routes and one other."""
    blank_token = overrides.get("twilio_auth_token") == ""
    if blank_token:  # Settings refuses it; build valid ones and blank the token after
        overrides = {**overrides, "twilio_auth_token": TOKEN}
    settings = make_settings(**{"twilio_auth_token": TOKEN, **overrides})
    if blank_token:
        settings.twilio_auth_token = SecretStr("")
    app = create_app(settings)
    assert twilio_signature in app.middlewares
    calls: list[str] = []
    seen: list[Any] = []

    async def echo(request: web.Request) -> web.Response:
        calls.append(request.path)
        form = [(key, str(value)) for key, value in (await request.post()).items()]
        seen.append(form)
        return web.json_response(form)

    async def ping(request: web.Request) -> web.Response:
        calls.append(request.path)
        seen.append(dict(request.query))
        return web.Response(text="pong")

    async def events(request: web.Request) -> web.Response:
        calls.append(request.path)
        seen.append(await request.json())
        return web.Response(text="ok")

    app.router.add_post("/twilio/echo", echo)
    app.router.add_get("/twilio/ping", ping)
    app.router.add_post("/twilio/events", events)
    app.router.add_post("/hooks/other", echo)
    return Gateway(await aiohttp_client(app), settings, calls, seen)


def rejections(logs: Logs) -> Logs:
    return [entry for entry in logs if entry["event"] == "twilio_signature_invalid"]


async def assert_rejected(gateway: Gateway, response: Any, logs: Logs, reason: str) -> None:
    assert response.status == 403
    assert response.content_type == "text/plain"
    assert await response.text() == "Invalid Twilio signature"
    assert gateway.calls == []
    [line] = rejections(logs)
    assert line["log_level"] == "warning"
    assert line["reason"] == reason
    assert line["method"] == response.method
    assert line["path"] == response.url.path


async def post(gateway: Gateway, path: str, body: Any, signature: str | None) -> Any:
    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    return await gateway.client.post(path, data=body, headers=headers)


# --- The signing helper itself ---------------------------------------------


def test_helper_matches_twilios_published_example() -> None:
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert sign(url, params, "12345") == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert sign(url, list(reversed(params.items())), "12345") == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert sign(url, params, "12345", "HMAC_SHA256") != "RSOYDt4T1cUTdK1PDd93/VVr8B8="


# --- Valid requests ----------------------------------------------------------


async def test_valid_signature_reaches_handler_with_the_form(aiohttp_client: Any) -> None:
    gateway = await start(aiohttp_client)
    with capture_logs() as logs:
        response = await signed_post(gateway.client, "/twilio/echo", SMS, settings=gateway.settings)
    assert response.status == 200
    assert await response.json() == [list(pair) for pair in SMS.items()]
    assert gateway.calls == ["/twilio/echo"]
    assert rejections(logs) == []


async def test_signed_get_with_query(aiohttp_client: Any) -> None:
    gateway = await start(aiohttp_client)
    path = "/twilio/ping?CallSid=CA1&Digits=5"
    response = await signed_get(gateway.client, path, settings=gateway.settings)
    assert response.status == 200
    assert await response.text() == "pong"
    assert gateway.seen == [{"CallSid": "CA1", "Digits": "5"}]


async def test_repeated_form_keys_all_count(aiohttp_client: Any) -> None:
    gateway = await start(aiohttp_client)
    pairs = [
        ("MediaUrl", "https://a.example/1"),
        ("Body", "x"),
        ("MediaUrl", "https://a.example/2"),
    ]
    response = await signed_post(gateway.client, "/twilio/echo", pairs, settings=gateway.settings)
    assert response.status == 200
    assert gateway.seen == [pairs]

    # A signature over the first value only does not cover the second.
    url = public_url(gateway.settings, "/twilio/echo")
    partial = sign(url, pairs[:2], TOKEN)
    with capture_logs() as logs:
        response = await post(gateway, "/twilio/echo", pairs, partial)
    gateway.calls.clear()
    assert response.status == 403
    assert rejections(logs)[0]["reason"] == "mismatch"


async def test_unicode_and_blank_params(aiohttp_client: Any) -> None:
    gateway = await start(aiohttp_client)
    # Twilio sends many parameters with empty values; they are signed too.
    params = {"Body": "Très bien 👍 — 5/5", "FromCity": "Zürich", "ForwardedFrom": ""}
    response = await signed_post(gateway.client, "/twilio/echo", params, settings=gateway.settings)
    assert response.status == 200
    assert gateway.seen == [list(params.items())]


async def test_query_is_signed_as_received_percent_encoded(aiohttp_client: Any) -> None:
    gateway = await start(aiohttp_client)
    path = "/twilio/echo?To=%2B61200000000&note=a%20b"
    response = await signed_post(gateway.client, path, SMS, settings=gateway.settings)
    assert response.status == 200

    # The same URL decoded is a different string, so a different signature.
    decoded = gateway.settings.gateway_public_url + "/twilio/echo?To=+61200000000&note=a b"
    with capture_logs() as logs:
        response = await post(gateway, path, SMS, sign(decoded, SMS, TOKEN))
    assert response.status == 403
    assert rejections(logs)[0]["reason"] == "mismatch"


@pytest.mark.parametrize(
    ("configured", "signed_base"),
    [
        ("https://gw.example.com:443", "https://gw.example.com"),
        ("https://gw.example.com", "https://gw.example.com:443"),
        ("http://gw.example.com", "http://gw.example.com:80"),
    ],
)
async def test_default_port_written_or_not(
    aiohttp_client: Any, configured: str, signed_base: str
) -> None:
    gateway = await start(aiohttp_client, gateway_public_url=configured)
    signature = sign(signed_base + "/twilio/echo", SMS, TOKEN)
    response = await post(gateway, "/twilio/echo", SMS, signature)
    assert response.status == 200
    assert gateway.calls == ["/twilio/echo"]


async def test_public_url_with_a_path_prefix(aiohttp_client: Any) -> None:
    # Behind a proxy that serves the gateway under /gateway and strips it.
    gateway = await start(aiohttp_client, gateway_public_url="https://example.com/gateway")
    signature = sign("https://example.com/gateway/twilio/echo", SMS, TOKEN)
    response = await post(gateway, "/twilio/echo", SMS, signature)
    assert response.status == 200


# --- Rejections ----------------------------------------------------------------


async def test_missing_signature(aiohttp_client: Any) -> None:
    gateway = await start(aiohttp_client)
    with capture_logs() as logs:
        response = await post(gateway, "/twilio/echo", SMS, None)
    await assert_rejected(gateway, response, logs, "missing")


async def test_empty_signature(aiohttp_client: Any) -> None:
    gateway = await start(aiohttp_client)
    with capture_logs() as logs:
        response = await post(gateway, "/twilio/echo", SMS, "")
    await assert_rejected(gateway, response, logs, "missing")


async def test_unsigned_get(aiohttp_client: Any) -> None:
    gateway = await start(aiohttp_client)
    with capture_logs() as logs:
        response = await gateway.client.get("/twilio/ping?CallSid=CA1")
    await assert_rejected(gateway, response, logs, "missing")


async def test_wrong_signature(aiohttp_client: Any) -> None:
    gateway = await start(aiohttp_client)
    with capture_logs() as logs:
        response = await signed_post(
            gateway.client,
            "/twilio/echo",
            SMS,
            settings=gateway.settings,
            headers={"X-Twilio-Signature": "RSOYDt4T1cUTdK1PDd93/VVr8B8="},
        )
    await assert_rejected(gateway, response, logs, "mismatch")


async def test_signed_with_another_token(aiohttp_client: Any) -> None:
    gateway = await start(aiohttp_client)
    with capture_logs() as logs:
        response = await signed_post(
            gateway.client, "/twilio/echo", SMS, settings=gateway.settings, token="not-our-token"
        )
    await assert_rejected(gateway, response, logs, "mismatch")


@pytest.mark.parametrize(
    "sent",
    [
        {**SMS, "Body": "a different answer"},  # value changed
        {**SMS, "Extra": "1"},  # parameter added
        {key: value for key, value in SMS.items() if key != "Body"},  # parameter removed
        {**SMS, "Body": ""},  # value emptied
    ],
    ids=["changed", "added", "removed", "emptied"],
)
async def test_params_tampered_after_signing(aiohttp_client: Any, sent: dict[str, str]) -> None:
    gateway = await start(aiohttp_client)
    signature = sign(public_url(gateway.settings, "/twilio/echo"), SMS, TOKEN)
    with capture_logs() as logs:
        response = await post(gateway, "/twilio/echo", sent, signature)
    await assert_rejected(gateway, response, logs, "mismatch")


async def test_query_tampered_after_signing(aiohttp_client: Any) -> None:
    gateway = await start(aiohttp_client)
    signature = sign(public_url(gateway.settings, "/twilio/echo?survey=1"), SMS, TOKEN)
    with capture_logs() as logs:
        response = await post(gateway, "/twilio/echo?survey=2", SMS, signature)
    await assert_rejected(gateway, response, logs, "mismatch")


async def test_signature_over_the_socket_address_is_rejected(aiohttp_client: Any) -> None:
    gateway = await start(aiohttp_client)
    socket_url = str(gateway.client.make_url("/twilio/echo"))
    assert socket_url.startswith("http://127.0.0.1:")
    with capture_logs() as logs:
        response = await post(gateway, "/twilio/echo", SMS, sign(socket_url, SMS, TOKEN))
    await assert_rejected(gateway, response, logs, "mismatch")


async def test_host_header_is_not_trusted(aiohttp_client: Any) -> None:
    # A signature over an attacker's own host, sent with that Host header.
    gateway = await start(aiohttp_client)
    signature = sign("https://evil.example/twilio/echo", SMS, TOKEN)
    with capture_logs() as logs:
        response = await gateway.client.post(
            "/twilio/echo",
            data=SMS,
            headers={"X-Twilio-Signature": signature, "Host": "evil.example"},
        )
    await assert_rejected(gateway, response, logs, "mismatch")


async def test_unknown_twilio_path_is_403_not_404(aiohttp_client: Any) -> None:
    gateway = await start(aiohttp_client)
    with capture_logs() as logs:
        response = await post(gateway, "/twilio/nowhere", SMS, None)
    await assert_rejected(gateway, response, logs, "missing")


async def test_empty_auth_token_rejects_everything(aiohttp_client: Any) -> None:
    # HMAC with an empty key is something anyone can compute. Settings refuse
    # an empty token at start-up; the middleware does not rely on that alone.
    gateway = await start(aiohttp_client, twilio_auth_token="")
    with capture_logs() as logs:
        response = await post(
            gateway,
            "/twilio/echo",
            SMS,
            sign(public_url(gateway.settings, "/twilio/echo"), SMS, ""),
        )
    await assert_rejected(gateway, response, logs, "auth_token_not_configured")
    [error] = [entry for entry in logs if entry["log_level"] == "error"]
    assert "TWILIO_AUTH_TOKEN" in error["detail"]


# --- Twilio "Webhook Settings": a shared key and HMAC-SHA256 --------------------


async def test_shared_key_sha256_signature_passes(aiohttp_client: Any) -> None:
    gateway = await start(aiohttp_client, gateway_webhook_shared_key=SHARED_KEY)
    response = await signed_post(
        gateway.client,
        "/twilio/echo",
        SMS,
        settings=gateway.settings,
        headers={SETTINGS_HEADER: SHA256_SETTINGS},
        token=SHARED_KEY,
    )
    assert response.status == 200
    assert gateway.calls == ["/twilio/echo"]


@pytest.mark.parametrize(
    ("secret", "algorithm"),
    [(TOKEN, "HMAC_SHA256"), (SHARED_KEY, "HMAC_SHA1")],
    ids=["auth-token-instead-of-shared-key", "sha1-instead-of-sha256"],
)
async def test_shared_key_header_with_other_signing(
    aiohttp_client: Any, secret: str, algorithm: str
) -> None:
    gateway = await start(aiohttp_client, gateway_webhook_shared_key=SHARED_KEY)
    signature = sign(public_url(gateway.settings, "/twilio/echo"), SMS, secret, algorithm)
    with capture_logs() as logs:
        response = await gateway.client.post(
            "/twilio/echo",
            data=SMS,
            headers={"X-Twilio-Signature": signature, SETTINGS_HEADER: SHA256_SETTINGS},
        )
    await assert_rejected(gateway, response, logs, "mismatch")


async def test_shared_key_header_without_configured_key(aiohttp_client: Any) -> None:
    gateway = await start(aiohttp_client)
    with capture_logs() as logs:
        response = await signed_post(
            gateway.client,
            "/twilio/echo",
            SMS,
            settings=gateway.settings,
            headers={SETTINGS_HEADER: SHA256_SETTINGS},
            token=SHARED_KEY,
        )
    await assert_rejected(gateway, response, logs, "shared_key_not_configured")
    [error] = [entry for entry in logs if entry["log_level"] == "error"]
    assert "GATEWAY_WEBHOOK_SHARED_KEY" in error["detail"]
    assert SHARED_KEY not in repr(logs)


async def test_unsupported_algorithm(aiohttp_client: Any, caplog: pytest.LogCaptureFixture) -> None:
    gateway = await start(aiohttp_client, gateway_webhook_shared_key=SHARED_KEY)
    with capture_logs() as logs, caplog.at_level(logging.WARNING, logger="twilio"):
        response = await gateway.client.post(
            "/twilio/echo",
            data=SMS,
            headers={
                "X-Twilio-Signature": "c2lnbmF0dXJl",
                SETTINGS_HEADER: "key=webhooks_sharedkey_1,algorithm=HMAC_SHA512",
            },
        )
    await assert_rejected(gateway, response, logs, "unsupported_algorithm")
    # One line only: not twilio's own stdlib warning as well.
    assert [r for r in caplog.records if r.name.startswith("twilio")] == []


# --- Bodies other than a form --------------------------------------------------


def json_request(gateway: Gateway, body: bytes, *, key: str = TOKEN) -> tuple[str, str]:
    path = f"/twilio/events?bodySHA256={hashlib.sha256(body).hexdigest()}"
    return path, sign(public_url(gateway.settings, path), {}, key)


async def test_json_body_with_body_sha256_passes(aiohttp_client: Any) -> None:
    gateway = await start(aiohttp_client)
    body = json.dumps({"event": "call.state", "caller": "Zoë"}).encode()
    path, signature = json_request(gateway, body)
    response = await gateway.client.post(
        path,
        data=body,
        headers={"X-Twilio-Signature": signature, "Content-Type": "application/json"},
    )
    assert response.status == 200
    assert gateway.seen == [{"event": "call.state", "caller": "Zoë"}]


async def test_json_body_changed_after_signing(aiohttp_client: Any) -> None:
    gateway = await start(aiohttp_client)
    path, signature = json_request(gateway, b'{"event": "call.state"}')
    with capture_logs() as logs:
        response = await gateway.client.post(
            path,
            data=b'{"event": "forged"}',
            headers={"X-Twilio-Signature": signature, "Content-Type": "application/json"},
        )
    await assert_rejected(gateway, response, logs, "mismatch")


async def test_json_body_without_body_sha256(aiohttp_client: Any) -> None:
    gateway = await start(aiohttp_client)
    signature = sign(public_url(gateway.settings, "/twilio/events"), {}, TOKEN)
    with capture_logs() as logs:
        response = await gateway.client.post(
            "/twilio/events", json={"event": "forged"}, headers={"X-Twilio-Signature": signature}
        )
    await assert_rejected(gateway, response, logs, "unsupported_body")


@pytest.mark.parametrize("kind", ["multipart", "text"])
async def test_other_bodies_are_refused_before_the_signature(
    aiohttp_client: Any, kind: str
) -> None:
    # Their content is not covered by the signature: an empty-params
    # signature over the URL must not let them through. They are refused
    # by the body check (web/bodies.py, tests/security/) before this one.
    gateway = await start(aiohttp_client)
    signature = sign(public_url(gateway.settings, "/twilio/echo"), {}, TOKEN)
    body: Any
    if kind == "multipart":
        body = FormData()
        body.add_field("Body", "forged", filename="a.txt")
    else:
        body = "Body=forged"
    headers = {"X-Twilio-Signature": signature}
    if kind == "text":
        headers["Content-Type"] = "text/plain"
    with capture_logs() as logs:
        response = await gateway.client.post("/twilio/echo", data=body, headers=headers)
    assert response.status == 415
    assert gateway.calls == []
    assert [entry["reason"] for entry in logs if entry["event"] == "webhook_body_refused"] == [
        "content_type"
    ]


# --- What is not checked -------------------------------------------------------


async def test_switched_off_lets_unsigned_requests_through(aiohttp_client: Any) -> None:
    gateway = await start(aiohttp_client, gateway_validate_signatures=False)
    with capture_logs() as logs:
        response = await post(gateway, "/twilio/echo", SMS, None)
    assert response.status == 200
    assert gateway.calls == ["/twilio/echo"]
    assert rejections(logs) == []


@pytest.mark.parametrize("signature", [None, "bogus"])
async def test_other_routes_are_never_checked(aiohttp_client: Any, signature: str | None) -> None:
    gateway = await start(aiohttp_client)
    with capture_logs() as logs:
        response = await post(gateway, "/hooks/other", SMS, signature)
        health = await gateway.client.get("/healthz")
    assert response.status == 200
    assert health.status == 200
    assert gateway.calls == ["/hooks/other"]
    assert rejections(logs) == []


# --- What the rejection logs ---------------------------------------------------


async def test_rejection_log_holds_no_params_numbers_or_signature(aiohttp_client: Any) -> None:
    gateway = await start(aiohttp_client)
    path = "/twilio/echo?To=%2B61200000000&From=%2B61400000000"
    signature = sign(public_url(gateway.settings, path), SMS, "not-our-token")
    with capture_logs() as logs:
        response = await post(gateway, path, SMS, signature)
    assert response.status == 403
    [line] = rejections(logs)
    assert line == {
        "event": "twilio_signature_invalid",
        "log_level": "warning",
        "method": "POST",
        "path": "/twilio/echo",
        "reason": "mismatch",
    }
    everything = repr(logs)
    for secret in [signature, TOKEN, "61400000000", "61200000000", "my private answer", "SM1"]:
        assert secret not in everything


_URLS = st.sampled_from(
    [
        "https://gw.example.com/twilio/voice",
        "https://gw.example.com:443/twilio/voice?turn=2&l=es",
        "http://gw.example.com/twilio/sms",
        "http://gw.example.com:80/twilio/sms",
        "https://gw.example.com:8443/gateway/twilio/voice/answer?s=52",
    ]
)
_PARAMS = st.lists(
    st.tuples(st.sampled_from(["CallSid", "Digits", "From", "Body"]), st.text(max_size=8)),
    max_size=5,
)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(
    url=_URLS,
    signed_url=_URLS,
    pairs=_PARAMS,
    algorithm=st.sampled_from([HMAC_SHA1, HMAC_SHA256]),
    tamper=st.sampled_from(["", "x", "é", "="]),
)
def test_a_form_is_judged_as_request_validator_judges_it(
    url: str, signed_url: str, pairs: list[tuple[str, str]], algorithm: str, tamper: str
) -> None:
    # The middleware signs the usual URL first and compares in constant time;
    # whatever it accepts or refuses, RequestValidator.validate does the same.
    validator = RequestValidator("token-x")
    params = MultiDict(pairs)
    signature = validator.compute_signature(signed_url, params, algorithm)
    for candidate in (signature, signature + tamper, tamper + signature[1:], tamper):
        assert signature_module._form_signed(
            validator, url, params, candidate, algorithm
        ) == validator.validate(url, params, candidate, algorithm)


_BASES = st.sampled_from(
    [
        "https://gw.example.com",
        "https://gw.example.com:443",
        "HTTPS://GW.example.com:8443/gateway",
        "http://gw.example.com",
        "http://gw.example.com:80/base",
    ]
)


@settings(derandomize=True, max_examples=500, deadline=None)
@given(base=_BASES, path=st.text(alphabet="/ab?;#=&%2é", max_size=24))
def test_the_signed_url_forms_are_the_libraries_own(base: str, path: str) -> None:
    # Kept per URL before its query string, and put back together: the same
    # two strings twilio's remove_port/add_port make of the whole URL.
    url = base + "/" + path  # a request target always starts with a slash
    parsed = urlparse(url)
    assert signature_module._url_forms(url) == (remove_port(parsed), add_port(parsed))
