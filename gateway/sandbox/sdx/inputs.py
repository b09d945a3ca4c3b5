"""Parsing what clients send to create and update interactions."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gateway.sandbox.sdx.errors import BadRequest
from gateway.sandbox.sdx.models import SURVEY_TYPES, Interaction, SurveyType
from gateway.sandbox.sdx.params import Params, flag, required_int
from gateway.sandbox.sdx.store import DATA_KEY, SdxStore
from gateway.sandbox.sdx.timefmt import parse_schedule

_TEXT_FIELDS = ("phone_number", "email", "external_ref", "call_type", "agent_id")
# Parameters of POST /interactions that are not interaction data.
_DOCUMENTED = frozenset({"survey_id", "survey_type", "scheduled_at", *_TEXT_FIELDS})


def survey_type_of(value: str) -> SurveyType:
    wanted = value.strip().lower()
    for survey_type in SURVEY_TYPES:
        if survey_type == wanted:
            return survey_type
    raise BadRequest(f"survey_type must be one of {', '.join(SURVEY_TYPES)}")


@dataclass(frozen=True)
class NewInteraction:
    """The parameters of ``POST /interactions``, checked for form."""

    survey_id: int
    survey_type: SurveyType
    scheduled_at: datetime
    phone_number: str = ""
    email: str = ""
    external_ref: str = ""
    call_type: str = ""
    agent_id: str = ""
    data: dict[str, str] = field(default_factory=dict)
    force_new: bool = False

    @classmethod
    def from_params(cls, params: Params, now: datetime) -> NewInteraction:
        """Every undocumented key of letters, digits and _ becomes interaction data."""
        return cls(
            survey_id=required_int(params, "survey_id"),
            survey_type=survey_type_of(params.get("survey_type") or "web"),
            scheduled_at=parse_schedule(params.get("scheduled_at") or "now", now),
            phone_number=params.get("phone_number", "").strip(),
            email=params.get("email", "").strip(),
            external_ref=params.get("external_ref", ""),
            call_type=params.get("call_type", ""),
            agent_id=params.get("agent_id", ""),
            data={
                key: value
                for key, value in params.items()
                if key not in _DOCUMENTED and DATA_KEY.fullmatch(key)
            },
            force_new=flag(params, "_force_new"),
        )

    def create_in(self, store: SdxStore) -> Interaction:
        return store.create_interaction(
            self.survey_id,
            survey_type=self.survey_type,
            phone_number=self.phone_number,
            email=self.email,
            scheduled_at=self.scheduled_at,
            external_ref=self.external_ref,
            call_type=self.call_type,
            agent_id=self.agent_id,
            data=self.data,
            force_new=self.force_new,
        )


def interaction_changes(raw: str | None, interaction_id: int, now: datetime) -> dict[str, Any]:
    """The writable fields of a PUT's ``interaction`` JSON, parsed.

    Read-only fields (uuid, status, timestamps other than scheduled_at,
    survey_id, ...) and unknown ones are ignored: clients send back what
    they got. The link may be spelled ``web_link`` or ``weblink``.
    """
    sent = _interaction_object(raw, interaction_id)
    changes: dict[str, Any] = {}
    for name in _TEXT_FIELDS:
        if name in sent:
            changes[name] = _text(sent[name], name)
    if sent.get("survey_type") is not None:
        changes["survey_type"] = survey_type_of(_text(sent["survey_type"], "survey_type"))
    if sent.get("scheduled_at") is not None:
        changes["scheduled_at"] = parse_schedule(_text(sent["scheduled_at"], "scheduled_at"), now)
    link = sent.get("web_link", sent.get("weblink"))
    if link:
        changes["web_link"] = _text(link, "web_link")
    return changes


def _interaction_object(raw: str | None, interaction_id: int) -> Mapping[str, Any]:
    if not raw:
        raise BadRequest("interaction (the interaction as a JSON string) is required")
    try:
        sent = json.loads(raw)
    except ValueError:
        raise BadRequest("interaction is not valid JSON") from None
    if not isinstance(sent, dict):
        raise BadRequest("interaction must be a JSON object")
    sent_id = sent.get("id")
    if isinstance(sent_id, bool) or str(sent_id) != str(interaction_id):
        raise BadRequest("interaction.id must be the id of the interaction in the URL")
    return sent


def _text(value: Any, name: str) -> str:
    """A string field; null reads as empty, numbers as their digits."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise BadRequest(f"{name} must be a string")
