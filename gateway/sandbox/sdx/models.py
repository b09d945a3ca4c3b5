"""The sandbox's records, as SDX serves them.

Seed data is validated through these models, so a typo in ``demo.json`` fails
loudly at load time. Surveys and questions keep unknown seed fields and serve
them (real tenants carry more fields than the reference documents, and
clients must tolerate that); the other records are strict. Interactions,
of which the sandbox may hold a million, are checked as ``SeededInteraction``
and kept as the slotted ``Interaction`` record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
)

from gateway.sandbox.sdx.timefmt import NEVER, format_time, parse_time

# Nothing is ever fetched from these: example.com is reserved for examples.
WEB_LINK_BASE = "https://example.com/sdx-sandbox/web_survey/"
SHORT_LINK_BASE = "https://example.com/sdx-sandbox/s/"

SurveyType = Literal["inbound", "outbound", "sms", "web", "email"]
QuestionType = Literal["nps", "number", "yesno", "text"]
ResponseType = Literal["voice", "sms", "web"]

SURVEY_TYPES: tuple[SurveyType, ...] = ("inbound", "outbound", "sms", "web", "email")
# Channels that reach the respondent by phone, so need a phone number.
PHONE_TYPES = frozenset({"inbound", "outbound", "sms"})


def _read_time(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return parse_time(value)
        except ValueError:
            return value  # pydantic then reports it with the field name
    return value


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Timestamp = Annotated[
    datetime,
    BeforeValidator(_read_time),
    AfterValidator(_as_utc),
    PlainSerializer(format_time, return_type=str),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Survey(_Open):
    id: int
    name: str
    description: str = ""
    greeting_text: str = ""
    instructions_text: str = ""
    closing_text: str = ""
    greeting_sound_file: str = ""
    instructions_sound_file: str = ""
    closing_sound_file: str = ""
    email_subject: str = ""
    email_from_address: str = ""
    email_from_name: str = ""
    inbound_number: str = ""
    outbound_number: str = ""
    sms_number: str = ""
    # Per-language prompt texts, as real tenants carry them: language code ->
    # field (greeting_text, instructions_text, closing_text) -> text.
    translations: dict[str, dict[str, str]] = Field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(
            mode="json", exclude=set() if self.translations else {"translations"}
        )


class Question(_Open):
    id: int
    survey_id: int
    order: int
    question_text: str
    max_response: int = 0
    question_type: QuestionType
    question_label: str = ""
    question_sound_file: str = ""
    # Per-language texts: language code -> {"question_text": ...}.
    translations: dict[str, dict[str, str]] = Field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(
            mode="json", exclude=set() if self.translations else {"translations"}
        )


class User(_Strict):
    name: str
    email: str
    agent_id: str = ""
    phone: str = ""
    timezone: str = "UTC"

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class Response(_Strict):
    id: int
    interaction_id: int
    question_id: int
    response: str
    submitted_at: Timestamp
    recording_url: str | None = None
    response_type: ResponseType
    question_label: str = ""

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class InteractionDatum(_Strict):
    id: int
    interaction_id: int
    custom_key: str
    custom_value: str
    created_at: Timestamp
    updated_at: Timestamp

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class SeededInteraction(_Strict):
    """An interaction as a seed gives it: checked here, then kept as an ``Interaction``."""

    id: int
    uuid: str
    survey_id: int
    phone_number: str = ""
    email: str = ""
    survey_type: SurveyType = "web"
    scheduled_at: Timestamp
    external_ref: str = ""
    call_type: str = ""
    agent_id: str = ""
    created_at: Timestamp
    updated_at: Timestamp
    web_link: str = ""
    respondent_language: str | None = None
    started_at: Timestamp | None = None
    completed_at: Timestamp | None = None
    survey_ended: bool = False
    current_question_id: int | None = None
    deleted_at: Timestamp | None = None

    @property
    def pending(self) -> bool:
        return self.to_record().pending

    def to_record(self) -> Interaction:
        # Not model_dump(): its serializers would turn the times into text.
        return Interaction(**{name: getattr(self, name) for name in type(self).model_fields})


@dataclass(slots=True)
class Interaction:
    """An interaction and its survey progress, as the store keeps it.

    A plain slotted record rather than a pydantic model: the sandbox holds a
    million of these for the scale bench, and a model instance costs about
    four times the memory. Its JSON is built only when it is served.

    ``started_at``, ``completed_at``, ``survey_ended`` and
    ``current_question_id`` are the state the survey engine works from;
    ``status`` is only display text derived from them, as on real SDX.
    Whatever changes them or ``survey_type`` must tell the store
    (``SdxStore.changed``): its listings are kept by them.
    """

    id: int
    uuid: str
    survey_id: int
    scheduled_at: datetime
    created_at: datetime
    updated_at: datetime
    phone_number: str = ""
    email: str = ""
    survey_type: SurveyType = "web"
    external_ref: str = ""
    call_type: str = ""
    agent_id: str = ""
    # "" is the default link, built from the uuid when served (not stored a
    # million times).
    web_link: str = ""
    respondent_language: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    survey_ended: bool = False
    current_question_id: int | None = None
    deleted_at: datetime | None = None

    @property
    def started(self) -> bool:
        return self.started_at is not None

    @property
    def completed(self) -> bool:
        """Ended, either answered to the end or abandoned."""
        return self.completed_at is not None

    @property
    def pending(self) -> bool:
        return not self.completed and self.deleted_at is None

    @property
    def status(self) -> str:
        if self.survey_ended:
            return "Completed"
        if self.completed:
            return "Abandoned"
        return "In Progress" if self.started else "Not Started"

    @property
    def status_rank(self) -> int:
        """SDX's default list order: not started, then in progress, then ended."""
        return 2 if self.completed else 1 if self.started else 0

    @property
    def response_type(self) -> ResponseType:
        if self.survey_type in ("inbound", "outbound"):
            return "voice"
        return "sms" if self.survey_type == "sms" else "web"

    def as_json(self) -> dict[str, Any]:
        completed = self.completed_at
        return {
            "id": self.id,
            "uuid": self.uuid,
            "survey_id": self.survey_id,
            "phone_number": self.phone_number,
            "email": self.email,
            "survey_type": self.survey_type,
            "scheduled_at": format_time(self.scheduled_at),
            "external_ref": self.external_ref,
            "created_at": format_time(self.created_at),
            "updated_at": format_time(self.updated_at),
            "call_type": self.call_type,
            "agent_id": self.agent_id,
            "status": self.status,
            "web_link": self.web_link or WEB_LINK_BASE + self.uuid,
            # Real SDX prints MySQL's zero date for "not yet", not null.
            "completed_at": NEVER if completed is None else format_time(completed),
            "respondent_language": self.respondent_language,
            "weblink_short": SHORT_LINK_BASE + self.uuid[:8],
        }


class Seed(_Strict):
    """The shape of ``demo.json`` (and of ``create_sdx_sandbox(data=...)``)."""

    surveys: list[Survey] = Field(default_factory=list)
    questions: list[Question] = Field(default_factory=list)
    users: list[User] = Field(default_factory=list)
    interactions: list[SeededInteraction] = Field(default_factory=list)
    responses: list[Response] = Field(default_factory=list)
    interaction_data: list[InteractionDatum] = Field(default_factory=list)
