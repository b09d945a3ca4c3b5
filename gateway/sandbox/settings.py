"""What ``gateway sandbox`` reads from the environment: its own settings, not the gateway's."""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from gateway.config import ConfigError, describe_error
from gateway.sandbox.credentials import (
    DEMO_AUTH_TOKEN,
    DEMO_BEARER_TOKEN,
    DEMO_CUSTOMER_UUID,
    DEMO_TWILIO_ACCOUNT_SID,
    DEMO_TWILIO_AUTH_TOKEN,
)


class SandboxSettings(BaseSettings):
    """What ``gateway sandbox`` reads: the SDX credentials it accepts, and logging.

    Defaults are the demo credentials of ``.env.example``, so the sandbox and
    a gateway configured from that file agree without any set-up.
    """

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", hide_input_in_errors=True
    )

    sdx_customer_uuid: str = DEMO_CUSTOMER_UUID
    sdx_auth_token: SecretStr = SecretStr(DEMO_AUTH_TOKEN)
    sdx_bearer_token: SecretStr = SecretStr(DEMO_BEARER_TOKEN)
    twilio_account_sid: str = DEMO_TWILIO_ACCOUNT_SID
    twilio_auth_token: SecretStr = SecretStr(DEMO_TWILIO_AUTH_TOKEN)
    log_format: Literal["json", "console"] = "console"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"


def load_sandbox_settings() -> SandboxSettings:
    try:
        return SandboxSettings()
    except ValidationError as exc:
        raise ConfigError(describe_error(exc)) from None
