"""What a Gather action or no-input redirect URL says about its turn.

Twilio signs the URL, so the query is trusted once the signature checks: it
carries the turn number (a duplicate request is told from a new one by it),
and the interaction, question and survey ids, so that a call whose session
was lost can ask SDX where it stands without a word of Redis.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gateway.state.sessions import CallSession


class MalformedQuery(ValueError):
    """A query parameter is missing or not a plain number."""


@dataclass(frozen=True)
class TurnRef:
    call_sid: str
    turn: int
    interaction_id: int
    question_id: int
    survey_id: int | None

    @classmethod
    def parse(cls, call_sid: str, query: Mapping[str, str]) -> TurnRef:
        return cls(
            call_sid=call_sid,
            turn=required_int(query, "turn"),
            interaction_id=required_int(query, "i"),
            question_id=required_int(query, "q"),
            survey_id=optional_int(query, "s") or None,
        )


def turn_query(session: CallSession) -> str:
    """The query of the URLs Twilio calls after the turn just rendered."""
    question = session.question.id if session.question else 0
    survey = session.survey_id or 0
    return f"turn={session.turn}&i={session.interaction_id}&q={question}&s={survey}"


def optional_int(query: Mapping[str, str], name: str) -> int | None:
    raw = query.get(name, "")
    if raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise MalformedQuery(f"query parameter {name} malformed")
    return int(raw)


def required_int(query: Mapping[str, str], name: str) -> int:
    value = optional_int(query, name)
    if value is None:
        raise MalformedQuery(f"query parameter {name} missing")
    return value
