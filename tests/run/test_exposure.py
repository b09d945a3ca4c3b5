"""serve and dispatch refuse to run where anyone could act as Twilio."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from gateway.config import DEMO_TWILIO_AUTH_TOKEN
from gateway.run.exposure import exposure_problem, is_loopback
from gateway.sandbox.credentials import DEMO_AUTH_TOKEN, DEMO_BEARER_TOKEN
from tests.helpers.settings import make_settings
from tests.test_cli import clean_env, run

REAL = {"sdx_auth_token": "real-sdx", "twilio_auth_token": "real-twilio"}


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8080", True),
        ("http://127.9.9.9", True),
        ("http://[::1]:8080/", True),
        ("http://localhost:8080", True),
        ("http://LOCALHOST.", True),
        ("https://gw.example.com", False),
        ("http://10.0.0.5", False),
        ("http://127.0.0.1.example.com", False),
        ("http://[::2]", False),
    ],
)
def test_loopback_is_the_machine_itself(url: str, loopback: bool) -> None:
    assert is_loopback(url) is loopback


def test_real_secrets_and_signatures_may_run_anywhere() -> None:
    assert exposure_problem(make_settings(**REAL)) is None


def test_unsigned_webhooks_only_on_loopback() -> None:
    off = make_settings(**REAL, gateway_validate_signatures=False)
    problem = exposure_problem(off)
    assert problem is not None
    assert problem.startswith("configuration error: GATEWAY_VALIDATE_SIGNATURES=false ")
    local = make_settings(
        **REAL, gateway_validate_signatures=False, gateway_public_url="http://127.0.0.1:8080"
    )
    assert exposure_problem(local) is None


@pytest.mark.parametrize(
    ("field", "name", "value"),
    [
        ("twilio_auth_token", "TWILIO_AUTH_TOKEN", DEMO_TWILIO_AUTH_TOKEN),
        ("sdx_auth_token", "SDX_AUTH_TOKEN", DEMO_AUTH_TOKEN),
        ("sdx_bearer_token", "SDX_BEARER_TOKEN", DEMO_BEARER_TOKEN),
    ],
)
def test_demo_secrets_only_on_loopback(field: str, name: str, value: str) -> None:
    settings = make_settings(**{**REAL, field: SecretStr(value)})
    problem = exposure_problem(settings)
    assert problem is not None
    assert problem.startswith(f"configuration error: {name} is the published demo value")
    local = settings.model_copy(update={"gateway_public_url": "http://localhost:8080"})
    assert exposure_problem(local) is None


def _env(**extra: str) -> dict[str, str]:
    return clean_env() | {
        "SDX_CUSTOMER_UUID": "u",
        "SDX_AUTH_TOKEN": "real-sdx",
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "real-twilio",
        "GATEWAY_PUBLIC_URL": "https://gw.example.com",
        "REDIS_URL": "redis://127.0.0.1:9/0",
        **extra,
    }


@pytest.mark.parametrize("command", ["serve", "dispatch"])
@pytest.mark.parametrize(
    ("extra", "variable"),
    [
        ({"GATEWAY_VALIDATE_SIGNATURES": "false"}, "GATEWAY_VALIDATE_SIGNATURES"),
        ({"TWILIO_AUTH_TOKEN": DEMO_TWILIO_AUTH_TOKEN}, "TWILIO_AUTH_TOKEN"),
    ],
)
def test_the_commands_refuse_to_start_in_one_line(
    command: str, extra: dict[str, str], variable: str
) -> None:
    result = run(command, env=_env(**extra))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"gateway: configuration error: {variable}")
