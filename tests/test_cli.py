"""The gateway command as an operator runs it: real processes, real ports."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from gateway.cli import SANDBOX_FLAVOURS
from gateway.sandbox.credentials import DEMO_AUTH_TOKEN, DEMO_CUSTOMER_UUID
from gateway.sandbox.sdx import FLAVOURS
from tests.helpers.servers import free_port

GATEWAY = [sys.executable, "-m", "gateway"]
SDX_AUTH = (DEMO_CUSTOMER_UUID, DEMO_AUTH_TOKEN)


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*GATEWAY, *args], capture_output=True, text=True, timeout=60, env=env, check=False
    )


def clean_env() -> dict[str, str]:
    # The autouse fixture removed the contract variables from os.environ.
    return dict(os.environ)


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["serve"],
        ["dispatch"],
        ["sandbox"],
        ["demo"],
        ["doctor"],
        ["twilio", "configure"],
        ["phone", "call"],
        ["phone", "sms"],
        ["phone", "answer"],
    ],
)
def test_help(command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.returncode == 0
    assert "usage: gateway" in result.stdout


def test_doctor_without_configuration_says_what_to_set() -> None:
    result = run("doctor", env=clean_env())
    assert result.returncode == 1
    assert result.stdout.startswith("FAIL  settings: configuration error: ")
    assert "fix: set it in the environment or .env" in result.stdout


def test_dispatch_needs_redis() -> None:
    env = clean_env() | {
        "SDX_CUSTOMER_UUID": "u",
        "SDX_AUTH_TOKEN": "t",
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "t",
        "GATEWAY_PUBLIC_URL": "https://gw.example.com",
    }
    result = run("dispatch", env=env)
    assert result.returncode == 2
    assert "REDIS_URL is required for gateway dispatch" in result.stderr


def test_serve_without_configuration_fails_with_one_line() -> None:
    result = run("serve", env=clean_env())
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("gateway: configuration error: ")
    assert "is required" in lines[0]


def test_serve_names_a_malformed_variable(tmp_path: Path) -> None:
    env = clean_env() | {
        "SDX_CUSTOMER_UUID": "u",
        "SDX_AUTH_TOKEN": "t",
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "t",
        "GATEWAY_PUBLIC_URL": "https://gw.example.com",
        "PORT": "http",
    }
    result = run("serve", env=env)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "gateway: configuration error: PORT is invalid: "
        "Input should be a valid integer, unable to parse string as an integer"
    )


@pytest.fixture(params=FLAVOURS)
def demo(request: pytest.FixtureRequest) -> Iterator[tuple[int, int]]:
    port, sandbox_port = free_port(), free_port()
    ports = ["--port", str(port), "--sandbox-port", str(sandbox_port)]
    process = subprocess.Popen(
        [*GATEWAY, "demo", *ports, "--flavour", request.param],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=clean_env(),
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except requests.ConnectionError:
                assert process.poll() is None, process.communicate()[0]
                assert time.monotonic() < deadline, "demo did not start in 30 s"
                time.sleep(0.1)
        yield port, sandbox_port
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=15)
        assert process.returncode == 0, output


def test_demo_serves_gateway_and_sandbox(
    demo: tuple[int, int], request: pytest.FixtureRequest
) -> None:
    port, sandbox_port = demo
    health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    ready = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"redis": "in-memory", "sdx": "ok"}
    listed = requests.get(
        f"http://127.0.0.1:{sandbox_port}/api/surveys",
        auth=SDX_AUTH,
        timeout=5,
    )
    assert listed.status_code == 200
    assert {int(s["id"]) for s in listed.json()} >= {52, 53, 54}  # "52" on php
    flavour = requests.get(f"http://127.0.0.1:{sandbox_port}/_sandbox/flavour", timeout=5)
    assert flavour.json() == {"flavour": request.node.callspec.params["demo"]}


def test_the_demo_banner_says_where_readyz_and_metrics_are() -> None:
    from gateway.sandbox.demo import _banner, demo_settings

    plain = demo_settings("127.0.0.1", 8080, 8081)
    assert "http://127.0.0.1:8080        (/healthz, /readyz, /metrics)" in _banner(
        plain, "127.0.0.1", 8080, 8081
    )
    split = plain.model_copy(update={"gateway_ops_port": 9090})
    assert "(/healthz; /readyz, /metrics on http://127.0.0.1:9090)" in _banner(
        split, "127.0.0.1", 8080, 8081
    )


def test_sandbox_flavours_match_the_sandbox() -> None:
    """The CLI writes the flavours out (for a quick --help); they must stay the sandbox's."""
    assert SANDBOX_FLAVOURS == FLAVOURS


def test_sandbox_answers_in_the_flavour_asked_for() -> None:
    port = free_port()
    process = subprocess.Popen(
        [*GATEWAY, "sandbox", "--port", str(port), "--flavour", "php"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=clean_env(),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                flavour = requests.get(f"{base}/_sandbox/flavour", timeout=1)
                break
            except requests.ConnectionError:
                assert process.poll() is None, process.communicate()[0]
                assert time.monotonic() < deadline, "sandbox did not start in 30 s"
                time.sleep(0.1)
        assert flavour.json() == {"flavour": "php"}
        survey = requests.get(f"{base}/api/surveys/52", auth=SDX_AUTH, timeout=5)
        assert survey.json()["id"] == "52"
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=15)
    assert "php flavour" in output


def test_the_demo_speaks_spanish_to_its_spanish_respondent(demo: tuple[int, int]) -> None:
    """SDX says es-MX; the demo's GATEWAY_LANGUAGES has es: the softphone shows
    the call in es-US with Polly.Lupe, the survey's Spanish texts and the
    gateway's own Spanish sentence, and a spoken "sí" answers yes."""
    from gateway.sandbox.demo import INBOUND, SPANISH_RESPONDENT

    _, sandbox_port = demo
    typed = "9#\n\n4\nsí\nTodo bien.\n"
    phone = [*GATEWAY, "phone", "call", "--from", SPANISH_RESPONDENT, "--to", INBOUND]
    sandbox = ["--sandbox", f"http://127.0.0.1:{sandbox_port}/twilio"]
    result = subprocess.run(
        [*phone, *sandbox], input=typed, capture_output=True, text=True, timeout=30, check=False
    )
    assert (result.returncode, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert lines[1:4] == [
        "[audio: https://example.com/sdx-sandbox/greeting-52.mp3]",
        "[speaking es-US (Polly.Lupe)]",
        "Responda a cada pregunta con el teclado o diciendo su respuesta. "
        "Después de un número, pulse la tecla almohadilla.",
    ]
    assert "Perdone, no le he entendido." in lines  # the gateway's own, in Spanish
    assert "[speaking en-US (Polly.Joanna)]" not in lines
    assert lines[-2:] == ["Gracias por su opinión. Adiós.", "-- call ended (completed)"]
    answers = requests.get(
        f"http://127.0.0.1:{sandbox_port}/api/interactions/1007/responses",  # the inbound one
        auth=SDX_AUTH,
        timeout=5,
    ).json()
    assert [str(r["response"]) for r in answers] == ["9", "4", "Yes", "Todo bien."]
