"""Settings: the operator contract's environment variables, validated once at start-up.

Nothing else in the gateway reads ``os.environ``. Field names are the
environment names in lower case, so an error can name the variable exactly.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from gateway.config.languages import LanguageSetting, normalise_languages
from gateway.config.messaging import MessagingSettings, split_services
from gateway.config.window import CallWindow as CallWindow  # re-exported: part of Settings
from gateway.numbers import FALLBACK_REGION, check_region, parse_routes

_TWILIO_SID = re.compile(r"AC[0-9a-fA-F]{32}")

# Plain-language descriptions used in start-up errors, so an operator sees
# what the variable is for and not only that it is wrong.
_HELP: dict[str, str] = {
    "sdx_customer_uuid": "the SDX customer UUID (Basic auth user)",
    "sdx_auth_token": "the SDX auth token (or set SDX_BEARER_TOKEN)",
    "twilio_account_sid": "the Twilio Account SID, AC followed by 32 hex digits",
    "twilio_auth_token": "the Twilio auth token, used to check webhook signatures",
    "gateway_public_url": "the https base URL Twilio calls, e.g. https://gw.example.com",
}


# Published in this repository for the demo (``gateway.sandbox.credentials``
# names them): a gateway behind a public URL must refuse them.
DEMO_SDX_AUTH_TOKEN = "demo-sdx-auth-token"  # noqa: S105
DEMO_SDX_BEARER_TOKEN = "demo-sdx-bearer-token"  # noqa: S105
DEMO_TWILIO_AUTH_TOKEN = "demo-twilio-auth-token"  # noqa: S105
DEMO_SECRETS = frozenset({DEMO_SDX_AUTH_TOKEN, DEMO_SDX_BEARER_TOKEN, DEMO_TWILIO_AUTH_TOKEN})


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line for the operator."""


def _http_url(value: str, name: str) -> str:
    value = value.strip().rstrip("/")
    if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value):
        raise ValueError(f"{name} must be an http(s) URL without query or fragment")
    return value


class Settings(BaseSettings, MessagingSettings):
    """Every knob of the gateway. Durations are seconds.

    ``TWILIO_MESSAGING_SERVICE_SID`` is declared in ``MessagingSettings``.
    """

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        hide_input_in_errors=True,
    )

    # --- Survey Dynamix ---
    sdx_api_url: str = "https://surveydynamix.com/api"
    sdx_customer_uuid: str | None = None
    sdx_auth_token: SecretStr | None = None
    sdx_bearer_token: SecretStr | None = None

    # --- Twilio ---
    twilio_account_sid: str
    twilio_auth_token: SecretStr
    twilio_api_url: str | None = None

    # --- Gateway ---
    gateway_public_url: str
    redis_url: str | None = None
    # Region (ISO 3166-1 alpha-2) of numbers written without a country code
    # (SDX data imported in local format). None: the first routed number's
    # region, else US (see gateway.numbers.default_region). Declared before
    # GATEWAY_NUMBERS, whose numbers are read in it.
    gateway_default_region: str | None = None
    gateway_numbers: Annotated[dict[str, tuple[int, ...]], NoDecode] = Field(default_factory=dict)
    gateway_validate_signatures: bool = True
    port: int = Field(default=8080, ge=1, le=65535)
    # Internal port on which `gateway serve` answers /readyz and /metrics (0:
    # none, they stay on PORT). When set, PORT shows outsiders only the
    # webhooks and /healthz.
    gateway_ops_port: int = Field(default=0, ge=0, le=65535)
    log_format: Literal["json", "console"] = "json"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"

    # --- Behaviour ---
    gateway_say_voice: str = "Polly.Joanna"
    gateway_say_language: str = "en-US"
    # Language code -> how respondents of that language are spoken to and
    # heard (gateway/config/languages.py); others get the two settings above.
    gateway_languages: Annotated[dict[str, LanguageSetting], NoDecode] = Field(default_factory=dict)
    gateway_gather_timeout: int = Field(default=5, ge=1, le=60)
    gateway_max_reprompts: int = Field(default=2, ge=0, le=10)
    gateway_inbound_create: bool = False
    gateway_dispatch_interval: float = Field(default=30, gt=0)
    gateway_calls_per_second: float = Field(default=1, gt=0)
    gateway_call_window: Annotated[CallWindow, NoDecode] = Field(
        default_factory=lambda: CallWindow.parse("09:00-20:00")
    )
    gateway_default_timezone: str = "UTC"
    gateway_max_attempts: int = Field(default=3, ge=1)
    gateway_retry_delay: int = Field(default=3600, ge=0)
    gateway_machine_detection: bool = True
    # "async": the survey starts the moment the call is answered and a machine
    # found meanwhile is told apart on a callback (no silence before the
    # greeting); "sync": Twilio keeps the line silent until it has decided.
    gateway_machine_detection_mode: Literal["async", "sync"] = "async"
    # Left on an answering machine before hanging up ("" = hang up silently).
    gateway_machine_message: str = ""
    # Port on which `gateway dispatch` serves /metrics and /healthz (0: none).
    gateway_worker_port: int = Field(default=0, ge=0, le=65535)
    # Consumer loops per dispatcher replica (calls placed concurrently).
    gateway_dispatch_concurrency: int = Field(default=4, ge=1, le=64)
    # Work read by a dispatcher that died is taken over after this many
    # seconds; its claim on a dial lapses after half of it.
    gateway_dispatch_takeover: float = Field(default=60, ge=2, le=3600)
    gateway_sms_session_ttl: int = Field(default=86400, ge=60)

    # --- Webhooks ---
    # Secret of a Twilio "Webhook Setting" (HMAC-SHA256 signing with a shared
    # key). Only needed when a Webhook Rule applies one to this gateway's URLs.
    gateway_webhook_shared_key: SecretStr | None = None

    # --- What callers hear when there is no survey to take ---
    gateway_no_survey_message: str = (
        "Thank you for calling. There is no survey waiting for this number. Goodbye."
    )
    gateway_apology_message: str = (
        "Sorry, we cannot record your answers right now. Please call back later. Goodbye."
    )
    gateway_no_input_message: str = "Sorry, I didn't catch that."
    # Said when the keys pressed hold no answer (only * or #).
    gateway_invalid_keys_message: str = "Sorry, that is not an answer."
    # --- SMS ---
    # Reply to a message from a number with no pending survey ("" = no reply).
    gateway_sms_no_survey_message: str = "There is no survey waiting for this number."
    gateway_sms_try_later_message: str = (
        "Sorry, we cannot record your answer right now. Please try again later."
    )
    gateway_sms_help_message: str = (
        "Reply to each question to answer our survey. Reply STOP to opt out."
    )
    # Reply to a message with no text (a picture alone).
    gateway_sms_text_only_message: str = "Please answer with a text message."
    # Segments one text message may take (153 GSM-7 characters each, 67 when
    # an emoji or another script makes it UCS-2); a longer text is sent as
    # several messages, split between words. Twilio advises at most 10.
    gateway_sms_max_segments: int = Field(default=10, ge=1, le=10)
    # Twilio waits 15 s for a webhook's answer; past this the caller hears the
    # apology instead (and the survey stays open for a call back).
    gateway_webhook_deadline: float = Field(default=9.0, gt=0, le=14)
    # How long a call's session outlives its last turn.
    gateway_voice_session_ttl: int = Field(default=4 * 3600, ge=300)
    # Each survey's interactions are listed in full this often, by one
    # replica, its pages spread over half the interval, to catch what a look
    # for new ones cannot see (edits made in SDX); see gateway/survey/feed.py.
    gateway_reconcile_interval: float = Field(default=21600, ge=60)
    # A caller not in the index looks for new interactions (one page); the
    # same number does not look again within this many seconds.
    gateway_index_min_age: float = Field(default=5.0, ge=0)
    # Retired: the index is no longer re-listed on a timer (see above).
    # Still read, so a configuration that sets it loads; `gateway doctor` warns.
    gateway_index_ttl: int | None = None
    # How often SDX /surveys is re-read for number routing.
    gateway_routing_refresh: int = Field(default=300, ge=10)

    # --- SDX client tuning ---
    # Kept well under Twilio's 15 s webhook limit: three attempts of a safe call
    # plus back-off still answer Twilio in time.
    gateway_sdx_timeout: float = Field(default=3.0, gt=0, le=14)
    gateway_sdx_retries: int = Field(default=2, ge=0, le=5)
    gateway_redis_prefix: str = Field(default="gw:", min_length=1)

    @field_validator("sdx_api_url")
    @classmethod
    def _check_sdx_url(cls, value: str) -> str:
        return _http_url(value, "SDX_API_URL")

    @field_validator("gateway_public_url")
    @classmethod
    def _check_public_url(cls, value: str) -> str:
        return _http_url(value, "GATEWAY_PUBLIC_URL")

    @field_validator("twilio_api_url")
    @classmethod
    def _check_twilio_url(cls, value: str | None) -> str | None:
        return _http_url(value, "TWILIO_API_URL") if value else None

    @field_validator(
        "sdx_auth_token", "sdx_bearer_token", "twilio_auth_token", "gateway_webhook_shared_key"
    )
    @classmethod
    def _not_blank(cls, value: SecretStr | None) -> SecretStr | None:
        # An empty secret would let anyone forge a signature or reach SDX as us.
        if value is not None and not value.get_secret_value().strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("gateway_ops_port")
    @classmethod
    def _ops_port_is_not_port(cls, value: int, info: ValidationInfo) -> int:
        if value and value == info.data.get("port"):
            raise ValueError("must differ from PORT (or be 0 to serve everything on PORT)")
        return value

    @field_validator("twilio_account_sid")
    @classmethod
    def _check_sid(cls, value: str) -> str:
        if not _TWILIO_SID.fullmatch(value.strip()):
            raise ValueError("must be AC followed by 32 hex digits")
        return value.strip()

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not re.match(r"(rediss?|unix)://", value):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("gateway_default_region", mode="before")
    @classmethod
    def _check_region(cls, value: Any) -> Any:
        if isinstance(value, str):
            return check_region(value) if value.strip() else None  # "": derive it
        return value

    @field_validator("gateway_numbers", mode="before")
    @classmethod
    def _parse_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        # A malformed region is reported on its own: read these as US meanwhile.
        region = info.data.get("gateway_default_region") or FALLBACK_REGION
        if not isinstance(value, str):
            return value
        numbers, _ = split_services(value)  # checks the MG...=ID entries too
        return parse_routes(numbers, region)

    @field_validator("gateway_languages", mode="before")
    @classmethod
    def _normalise_languages(cls, value: Any) -> Any:
        return normalise_languages(value)

    @field_validator("gateway_call_window", mode="before")
    @classmethod
    def _parse_window(cls, value: Any) -> Any:
        return CallWindow.parse(value) if isinstance(value, str) else value

    @field_validator("gateway_default_timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{value}' (use an IANA name)") from None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_format(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _check_sdx_auth(self) -> Settings:
        if self.sdx_bearer_token is not None:
            return self
        if not self.sdx_customer_uuid:
            raise ValueError("SDX_CUSTOMER_UUID is required (or set SDX_BEARER_TOKEN)")
        if self.sdx_auth_token is None:
            raise ValueError("SDX_AUTH_TOKEN is required (or set SDX_BEARER_TOKEN)")
        return self

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.gateway_default_timezone)

    @property
    def routing_region(self) -> str:
        """The region our own numbers (GATEWAY_NUMBERS, survey numbers) are read in.

        Not the derived default region, which is derived from these numbers.
        """
        return self.gateway_default_region or FALLBACK_REGION


def describe_error(error: ValidationError) -> str:
    """One line naming the first offending variable, never echoing its value."""
    first = error.errors()[0]
    loc = [str(part) for part in first["loc"]]
    message = first["msg"].removeprefix("Value error, ")
    if not loc:  # model-level check: the message already names the variable
        return f"configuration error: {message}"
    field = loc[0]
    variable = field.upper()
    if first["type"] == "missing":
        hint = _HELP.get(field)
        return f"configuration error: {variable} is required" + (f" ({hint})" if hint else "")
    if field == "gateway_languages" and len(loc) > 1:
        # Where in the JSON: language codes and field names, never a value.
        message = f"{message} (at {'.'.join(p for p in loc[1:] if p != '[key]')})"
    return f"configuration error: {variable} is invalid: {message}"


def load_settings(**overrides: Any) -> Settings:
    """Read the environment (and ``.env``), or raise ConfigError with one clear line."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(describe_error(exc)) from None
