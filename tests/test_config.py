from __future__ import annotations

import re
import shutil
from datetime import time
from pathlib import Path

import pytest

from gateway.config import CallWindow, ConfigError, Settings, load_settings
from gateway.config.messaging import is_messaging_service, split_services
from gateway.numbers import parse_routes

REQUIRED = {
    "SDX_CUSTOMER_UUID": "00000000-0000-4000-8000-000000000052",
    "SDX_AUTH_TOKEN": "secret-sdx-token",
    "TWILIO_ACCOUNT_SID": "AC" + "ab" * 16,
    "TWILIO_AUTH_TOKEN": "secret-twilio-token",
    "GATEWAY_PUBLIC_URL": "https://gw.example.com/",
}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name, value in REQUIRED.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_defaults_follow_the_operator_contract(env: pytest.MonkeyPatch) -> None:
    s = load_settings()
    assert s.sdx_api_url == "https://surveydynamix.com/api"
    assert s.gateway_public_url == "https://gw.example.com"  # trailing slash dropped
    assert s.redis_url is None
    assert s.gateway_validate_signatures is True
    assert s.port == 8080
    assert (s.gateway_gather_timeout, s.gateway_max_reprompts) == (5, 2)
    assert s.gateway_inbound_create is False
    assert (s.gateway_dispatch_interval, s.gateway_calls_per_second) == (30, 1)
    assert str(s.gateway_call_window) == "09:00-20:00"
    assert (s.gateway_max_attempts, s.gateway_retry_delay) == (3, 3600)
    assert s.gateway_machine_detection is True
    assert s.gateway_sms_session_ttl == 86400
    assert s.gateway_sms_max_segments == 10  # Twilio's advice
    assert s.gateway_sdx_timeout < 15  # Twilio's webhook limit
    assert s.gateway_default_region is None  # derived from the routed numbers
    assert s.routing_region == "US"


def test_every_contract_variable_is_read_from_the_environment(env: pytest.MonkeyPatch) -> None:
    values = {
        "SDX_API_URL": "https://au1.surveydynamix.com/api",
        "TWILIO_API_URL": "http://127.0.0.1:9999",
        "REDIS_URL": "redis://127.0.0.1:6380/2",
        "GATEWAY_NUMBERS": "+61200000000=52, +61 2 0000 0001=53,+61200000000=54",
        "GATEWAY_VALIDATE_SIGNATURES": "false",
        "PORT": "9090",
        "LOG_FORMAT": "CONSOLE",
        "LOG_LEVEL": "debug",
        "GATEWAY_SAY_VOICE": "Polly.Nicole",
        "GATEWAY_SAY_LANGUAGE": "en-AU",
        "GATEWAY_GATHER_TIMEOUT": "7",
        "GATEWAY_MAX_REPROMPTS": "3",
        "GATEWAY_INBOUND_CREATE": "true",
        "GATEWAY_DISPATCH_INTERVAL": "10",
        "GATEWAY_CALLS_PER_SECOND": "2.5",
        "GATEWAY_CALL_WINDOW": "08:30-21:00",
        "GATEWAY_DEFAULT_TIMEZONE": "Australia/Sydney",
        "GATEWAY_MAX_ATTEMPTS": "5",
        "GATEWAY_RETRY_DELAY": "600",
        "GATEWAY_MACHINE_DETECTION": "false",
        "GATEWAY_SMS_SESSION_TTL": "3600",
        "GATEWAY_SMS_MAX_SEGMENTS": "3",
        "GATEWAY_DEFAULT_REGION": "au",
    }
    for name, value in values.items():
        env.setenv(name, value)
    s = load_settings()
    assert s.sdx_api_url == "https://au1.surveydynamix.com/api"
    assert s.twilio_api_url == "http://127.0.0.1:9999"
    assert s.redis_url == "redis://127.0.0.1:6380/2"
    assert s.gateway_numbers == {"+61200000000": (52, 54), "+61200000001": (53,)}
    assert s.gateway_validate_signatures is False
    assert s.port == 9090
    assert (s.log_format, s.log_level) == ("console", "DEBUG")
    assert (s.gateway_say_voice, s.gateway_say_language) == ("Polly.Nicole", "en-AU")
    assert (s.gateway_gather_timeout, s.gateway_max_reprompts) == (7, 3)
    assert s.gateway_inbound_create is True
    assert (s.gateway_dispatch_interval, s.gateway_calls_per_second) == (10, 2.5)
    assert s.gateway_call_window.start == time(8, 30)
    assert s.timezone.key == "Australia/Sydney"
    assert (s.gateway_max_attempts, s.gateway_retry_delay) == (5, 600)
    assert s.gateway_machine_detection is False
    assert s.gateway_sms_session_ttl == 3600
    assert s.gateway_sms_max_segments == 3
    assert s.gateway_default_region == "AU"


def test_dotenv_file_is_read(env: pytest.MonkeyPatch, tmp_path: object) -> None:
    env.delenv("TWILIO_AUTH_TOKEN")
    with open(".env", "w") as f:  # cwd is the test's tmp_path
        f.write("TWILIO_AUTH_TOKEN=from-dotenv\nPORT=8181\n")
    s = load_settings()
    assert s.twilio_auth_token.get_secret_value() == "from-dotenv"
    assert s.port == 8181


@pytest.mark.parametrize(
    ("missing", "expected"),
    [
        ("TWILIO_AUTH_TOKEN", "configuration error: TWILIO_AUTH_TOKEN is required"),
        ("TWILIO_ACCOUNT_SID", "configuration error: TWILIO_ACCOUNT_SID is required"),
        ("GATEWAY_PUBLIC_URL", "configuration error: GATEWAY_PUBLIC_URL is required"),
        ("SDX_AUTH_TOKEN", "configuration error: SDX_AUTH_TOKEN is required"),
        ("SDX_CUSTOMER_UUID", "configuration error: SDX_CUSTOMER_UUID is required"),
    ],
)
def test_missing_required_value_names_the_variable(
    env: pytest.MonkeyPatch, missing: str, expected: str
) -> None:
    env.delenv(missing)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith(expected)
    assert "\n" not in message


def test_bearer_token_replaces_basic_credentials(env: pytest.MonkeyPatch) -> None:
    env.delenv("SDX_CUSTOMER_UUID")
    env.delenv("SDX_AUTH_TOKEN")
    env.setenv("SDX_BEARER_TOKEN", "pat-123")
    s = load_settings()
    assert s.sdx_bearer_token is not None
    assert s.sdx_bearer_token.get_secret_value() == "pat-123"


SERVICE, OTHER_SERVICE = "MG" + "ab" * 16, "MG" + "cd" * 16


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("PORT", "eighty", "PORT is invalid"),
        ("PORT", "70000", "PORT is invalid"),
        ("TWILIO_ACCOUNT_SID", "AC123", "TWILIO_ACCOUNT_SID is invalid"),
        ("GATEWAY_PUBLIC_URL", "gw.example.com", "GATEWAY_PUBLIC_URL is invalid"),
        ("SDX_API_URL", "ftp://sdx", "SDX_API_URL is invalid"),
        ("REDIS_URL", "localhost:6379", "REDIS_URL is invalid"),
        ("GATEWAY_NUMBERS", "+61200000000:52", "GATEWAY_NUMBERS is invalid"),
        ("GATEWAY_NUMBERS", "12=52", "GATEWAY_NUMBERS is invalid"),
        ("GATEWAY_NUMBERS", "MG123=52", "GATEWAY_NUMBERS is invalid: 'MG123' is not a Messaging"),
        ("GATEWAY_NUMBERS", f"{SERVICE}=52,{OTHER_SERVICE}=52", "survey 52 is given two Messaging"),
        (
            "TWILIO_MESSAGING_SERVICE_SID",
            "PN" + "0" * 32,
            "TWILIO_MESSAGING_SERVICE_SID is invalid",
        ),
        (
            "TWILIO_MESSAGING_SERVICE_SID",
            "MG" + "g" * 32,
            "TWILIO_MESSAGING_SERVICE_SID is invalid",
        ),
        ("GATEWAY_CALL_WINDOW", "9am-5pm", "GATEWAY_CALL_WINDOW is invalid"),
        ("GATEWAY_CALL_WINDOW", "25:00-26:00", "GATEWAY_CALL_WINDOW is invalid"),
        ("GATEWAY_DEFAULT_TIMEZONE", "Mars/Olympus", "GATEWAY_DEFAULT_TIMEZONE is invalid"),
        ("GATEWAY_DEFAULT_REGION", "XX", "GATEWAY_DEFAULT_REGION is invalid: 'XX' is not"),
        ("GATEWAY_DEFAULT_REGION", "UK", "GATEWAY_DEFAULT_REGION is invalid"),  # GB is
        ("GATEWAY_DEFAULT_REGION", "AUS", "GATEWAY_DEFAULT_REGION is invalid"),
        ("GATEWAY_DEFAULT_REGION", "001", "GATEWAY_DEFAULT_REGION is invalid"),
        ("GATEWAY_VALIDATE_SIGNATURES", "maybe", "GATEWAY_VALIDATE_SIGNATURES is invalid"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT is invalid"),
        ("GATEWAY_CALLS_PER_SECOND", "0", "GATEWAY_CALLS_PER_SECOND is invalid"),
        ("GATEWAY_SDX_TIMEOUT", "30", "GATEWAY_SDX_TIMEOUT is invalid"),
        ("GATEWAY_SMS_MAX_SEGMENTS", "0", "GATEWAY_SMS_MAX_SEGMENTS is invalid"),
        ("GATEWAY_SMS_MAX_SEGMENTS", "11", "GATEWAY_SMS_MAX_SEGMENTS is invalid"),
        ("TWILIO_AUTH_TOKEN", " ", "TWILIO_AUTH_TOKEN is invalid: must not be empty"),
        ("GATEWAY_WEBHOOK_SHARED_KEY", "", "GATEWAY_WEBHOOK_SHARED_KEY is invalid"),
    ],
)
def test_malformed_value_is_one_line_naming_the_variable(
    env: pytest.MonkeyPatch, name: str, value: str, fragment: str
) -> None:
    env.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message


def test_errors_never_echo_secret_values(env: pytest.MonkeyPatch) -> None:
    env.setenv("TWILIO_ACCOUNT_SID", "ACsupersecretvalue")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "supersecretvalue" not in str(info.value)


def test_secrets_are_not_shown_in_repr(env: pytest.MonkeyPatch) -> None:
    s = load_settings()
    assert "secret-twilio-token" not in repr(s)
    assert "secret-sdx-token" not in repr(s)


def test_call_window_wraps_midnight() -> None:
    window = CallWindow.parse("18:00-02:00")
    assert window.contains(time(23, 0))
    assert window.contains(time(1, 59))
    assert not window.contains(time(2, 0))
    assert not window.contains(time(12, 0))
    always = CallWindow.parse("00:00-24:00")
    assert always.contains(time(23, 59, 59))
    assert always.contains(time(0, 0))
    assert str(always) == "00:00-24:00"
    day = CallWindow.parse("09:00-20:00")
    assert day.contains(time(9, 0))
    assert not day.contains(time(20, 0))


def test_parse_numbers_normalises_to_e164() -> None:
    assert parse_routes("+1 (415) 555-0100=7, ", "US") == {"+14155550100": (7,)}


@pytest.mark.parametrize(("value", "region"), [("au", "AU"), (" Gb ", "GB"), ("", None)])
def test_default_region_is_case_insensitive(
    env: pytest.MonkeyPatch, value: str, region: str | None
) -> None:
    env.setenv("GATEWAY_DEFAULT_REGION", value)
    assert load_settings().gateway_default_region == region


def test_gateway_numbers_without_a_country_code_are_read_in_the_default_region(
    env: pytest.MonkeyPatch,
) -> None:
    env.setenv("GATEWAY_NUMBERS", "(02) 0000 0000=52")
    assert load_settings().gateway_numbers == {"+10200000000": (52,)}  # US, as before
    env.setenv("GATEWAY_DEFAULT_REGION", "AU")
    assert load_settings().gateway_numbers == {"+61200000000": (52,)}


def test_messaging_services_default_and_per_survey(env: pytest.MonkeyPatch) -> None:
    """TWILIO_MESSAGING_SERVICE_SID for every survey; a GATEWAY_NUMBERS entry
    MG...=ID for one, which comes first. The numbers still route."""
    s = load_settings()
    assert (s.messaging_service(52), s.messaging_services) == (None, frozenset())
    env.setenv("TWILIO_MESSAGING_SERVICE_SID", f" {SERVICE} ")
    s = load_settings()
    assert s.twilio_messaging_service_sid == SERVICE
    assert s.messaging_service(52) == s.messaging_service(53) == SERVICE
    env.setenv("GATEWAY_NUMBERS", f"+61200000000=52, {OTHER_SERVICE}=53, +61200000001=53")
    s = load_settings()
    assert s.gateway_numbers == {"+61200000000": (52,), "+61200000001": (53,)}
    assert (s.messaging_service(52), s.messaging_service(53)) == (SERVICE, OTHER_SERVICE)
    assert s.messaging_services == {SERVICE, OTHER_SERVICE}
    env.setenv("TWILIO_MESSAGING_SERVICE_SID", "")  # "": none, as when unset
    s = load_settings()
    assert (s.messaging_service(52), s.messaging_services) == (None, {OTHER_SERVICE})


ENV_EXAMPLE = Path(__file__).resolve().parent.parent / ".env.example"


def test_env_example_lists_every_variable_and_loads() -> None:
    text = ENV_EXAMPLE.read_text()
    for field in Settings.model_fields:
        assert re.search(rf"^#? ?{field.upper()}=", text, re.M), f"{field.upper()} missing"
    shutil.copy(ENV_EXAMPLE, ".env")  # cwd is the test's tmp_path
    settings = load_settings()
    assert settings.sdx_api_url == "http://127.0.0.1:8081/api"
    assert settings.gateway_no_input_message == "Sorry, I didn't catch that."


def test_messaging_service_entries_are_kept_apart_from_the_routes() -> None:
    text = f"+61200000000=52,{SERVICE}=53, +61200000001=53"
    numbers, services = split_services(text)
    assert parse_routes(numbers, "AU") == {"+61200000000": (52,), "+61200000001": (53,)}
    assert services == {53: SERVICE}
    assert is_messaging_service(SERVICE)
    assert not is_messaging_service("+61200000000")
    assert not is_messaging_service("PN" + SERVICE[2:])
    with pytest.raises(ValueError, match="not SERVICE_SID=SURVEY_ID"):
        split_services(f"{SERVICE}=fifty")
