"""SDX resources as tolerant pydantic models.

Real tenants return more fields than the reference documents, so every model
keeps unknown fields (``extra="allow"``) instead of failing on them; a
model sent back to SDX (PUT) then carries them along unchanged.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
)

SDX_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def parse_sdx_time(value: Any) -> datetime | None:
    """Read an SDX timestamp (UTC, ``YYYY-MM-DD HH:MM:SS``).

    SDX writes ``-0001-11-30 00:00:00`` (MySQL's zero date seen through PHP)
    for "never"; that, zero dates and empty values read as None.
    """
    if value is None or isinstance(value, datetime):
        return value.astimezone(UTC) if isinstance(value, datetime) and value.tzinfo else value
    text = str(value).strip()
    if not text or text.startswith(("-", "0000-00-00")):
        return None
    try:
        parsed = datetime.strptime(text, SDX_TIME_FORMAT)
    except ValueError:
        # Tolerate ISO 8601, which some SDX deployments and proxies emit.
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_sdx_time(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime(SDX_TIME_FORMAT)


SdxTime = Annotated[
    datetime | None,
    BeforeValidator(parse_sdx_time),
    PlainSerializer(format_sdx_time, return_type=str | None),
]


def _php_list(value: Any) -> Any:
    """A list as PHP's json_encode may write it: null for none, an object keyed
    "0", "2"... when the array lost entries (array_filter keeps the keys).
    Positions are kept, gaps filled with None, so prompts and sound files
    still pair by index."""
    if value is None or value is False or value == "":
        return []
    if isinstance(value, dict):
        if not value:
            return []
        if all(isinstance(k, str) and k.isdigit() for k in value):
            slots: list[Any] = [None] * (max(int(k) for k in value) + 1)
            for key, item in value.items():
                slots[int(key)] = item
            return slots
    return value


def _texts(value: Any) -> Any:
    """Prompts: a PHP list whose missing or null entries read as empty text."""
    value = _php_list(value)
    if isinstance(value, list):
        return ["" if item is None else str(item) for item in value]
    return value


def _sounds(value: Any) -> Any:
    value = _php_list(value)
    if isinstance(value, list):
        return [None if item in (None, "", False) else str(item) for item in value]
    return value


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _flag(value: Any) -> Any:
    """SDX answers 0/1, sometimes as strings, and PHP may write true/false either way."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
    if value is None:
        return False
    return value


def _absent_object(value: Any) -> Any:
    """An object PHP writes as ``[]`` (an empty array), ``{}``, ``""``, ``false``
    or ``0`` when there is none: None."""
    if value in ([], {}, "", False, 0, "0") or value is None:
        return None
    return value


def _seconds(value: Any) -> int | None:
    """A whole number of seconds as PHP may write it (``10``, ``"10"``, ``"10.0"``);
    anything else (``""``, ``null``, ``0``, ``"soon"``) is none given."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        seconds = int(float(str(value).strip()))
    except ValueError:
        return None
    return seconds if seconds > 0 else None


# A language code as SDX might hold one: "es", "es-MX", "pt_BR", "zh-Hans-CN".
_LANGUAGE_CODE = re.compile(r"[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*")


def _language(value: Any) -> str | None:
    """A respondent's language code, or None for none or for one that is not a code."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    # 35 characters hold any real tag ("zh-Hant-TW", "sr-Latn-RS"...); it is
    # kept in every index entry, so an absurd one is none.
    return text if len(text) <= 35 and _LANGUAGE_CODE.fullmatch(text) else None


class SdxModel(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Question(SdxModel):
    id: int
    survey_id: int | None = None
    order: int | None = None
    question_text: str = ""
    max_response: int | None = None
    question_type: str | None = None
    question_label: str | None = None
    question_sound_file: str | None = None
    # Seconds to wait for an answer (undocumented; real tenants carry it).
    timeout: Annotated[int | None, BeforeValidator(_seconds)] = None


class ResponseRecord(SdxModel):
    """An answer stored in SDX (named to avoid clashing with HTTP responses)."""

    id: int
    interaction_id: int | None = None
    question_id: int | None = None
    response: str | None = None
    submitted_at: SdxTime = None
    recording_url: str | None = None
    response_type: str | None = None
    question_label: str | None = None


class InteractionData(SdxModel):
    id: int
    interaction_id: int | None = None
    custom_key: str
    custom_value: str | None = None
    created_at: SdxTime = None
    updated_at: SdxTime = None


class Interaction(SdxModel):
    id: int
    uuid: str | None = None
    survey_id: int
    phone_number: str | None = None
    email: str | None = None
    survey_type: str | None = None
    scheduled_at: SdxTime = None
    external_ref: str | None = None
    created_at: SdxTime = None
    updated_at: SdxTime = None
    completed_at: SdxTime = None
    call_type: str | None = None
    agent_id: str | None = None
    # Display text only ("Sent 1 hour ago"): never parse it for logic.
    status: str | None = None
    # The reference spells it web_link, its own PUT example weblink.
    web_link: str | None = Field(default=None, validation_alias=AliasChoices("web_link", "weblink"))
    responses: list[ResponseRecord] | None = None
    interaction_data: list[InteractionData] | None = None
    # Undocumented, like the data key "language" that stands in for it; kept
    # as sent (a PUT returns it unchanged), read only through ``language()``.
    respondent_language: Any = None

    def language(self) -> str:
        """The respondent's language code as SDX gives it (``respondent_language``,
        else the interaction data key ``language``); "" for none or one that is
        not a language code."""
        for raw in (self.respondent_language, self._data_language()):
            code = _language(raw)
            if code is not None:
                return code
        return ""

    def _data_language(self) -> str | None:
        for data in self.interaction_data or []:
            if data.custom_key.strip().lower() == "language":
                return data.custom_value
        return None

    def to_update_json(self, **changes: Any) -> dict[str, Any]:
        """The whole interaction as SDX's PUT expects it, with ``changes`` applied.

        Embedded responses / data are not part of the resource and are left out.
        """
        updated = self.model_copy(update=changes)
        return updated.model_dump(
            mode="json", exclude={"responses", "interaction_data"}, exclude_none=False
        )


class SurveyTurn(SdxModel):
    """What start_survey, submit_response and abandon_survey return."""

    prompts: Annotated[list[str], BeforeValidator(_texts)] = Field(default_factory=list)
    sound_files: Annotated[list[str | None], BeforeValidator(_sounds)] = Field(default_factory=list)
    survey_completed: Annotated[bool, BeforeValidator(_flag)] = False
    current_question: Annotated[Question | None, BeforeValidator(_absent_object)] = None

    @property
    def completed(self) -> bool:
        # Some answers omit the flag but also carry no question: nothing is
        # left to ask, so the survey is over for the gateway's purposes.
        return self.survey_completed or self.current_question is None


class Survey(SdxModel):
    id: int
    name: str | None = None
    description: str | None = None
    greeting_text: str | None = None
    instructions_text: str | None = None
    closing_text: str | None = None
    greeting_sound_file: str | None = None
    instructions_sound_file: str | None = None
    closing_sound_file: str | None = None
    email_subject: str | None = None
    email_from_address: str | None = None
    email_from_name: str | None = None
    inbound_number: str | None = None
    outbound_number: str | None = None
    sms_number: str | None = None


class User(SdxModel):
    name: str | None = None
    email: str
    agent_id: str | None = None
    phone: str | None = None
    timezone: str | None = None


class PhoneNumberInfo(SdxModel):
    phone_number: str
    country_code: str | None = None
    national_format: str | None = None
    phone_type: str | None = None
