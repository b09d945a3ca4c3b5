"""What a Gather action or no-input redirect URL says about its turn.

Twilio signs the URL, so the query is trusted once the signature checks: it
carries the turn number (a duplicate request is told from a new one by it),
the interaction, question and survey ids, so that a call whose session
was lost can ask SDX where it stands without a word of Redis, and the call's
language key when it is not the default's. And the session's parts a turn
sets: the first one's, the question asked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from gateway.sdx.models import SurveyTurn
from gateway.state.index import Candidate
from gateway.state.sessions import CallSession
from gateway.voice.twiml import Prompt, asked_prompt, turn_prompts


class MalformedQuery(ValueError):
    """A query parameter is missing or not a plain number."""


# A GATEWAY_LANGUAGES key as ``language_key`` writes them.
_LANGUAGE_KEY = re.compile(r"[a-z0-9]{1,8}(?:-[a-z0-9]{1,8}){0,7}")


def language_param(query: Mapping[str, str], name: str) -> str:
    """The language key in the query parameter ``name``; "" (the default) when absent."""
    raw = query.get(name, "")
    if raw and not _LANGUAGE_KEY.fullmatch(raw):
        raise MalformedQuery(f"query parameter {name} malformed")
    return raw


@dataclass(frozen=True)
class TurnRef:
    call_sid: str
    turn: int
    interaction_id: int
    question_id: int
    survey_id: int | None
    language: str = ""

    @classmethod
    def parse(cls, call_sid: str, query: Mapping[str, str]) -> TurnRef:
        return cls(
            call_sid=call_sid,
            turn=required_int(query, "turn"),
            interaction_id=required_int(query, "i"),
            question_id=required_int(query, "q"),
            survey_id=optional_int(query, "s") or None,
            language=language_param(query, "l"),
        )


def turn_query(session: CallSession) -> str:
    """The query of the URLs Twilio calls after the turn just rendered."""
    question = session.question.id if session.question else 0
    survey = session.survey_id or 0
    query = f"turn={session.turn}&i={session.interaction_id}&q={question}&s={survey}"
    return f"{query}&l={session.language}" if session.language else query


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


def first_session(call_sid: str, interaction: Candidate, caller: str, language: str) -> CallSession:
    """A call's session as its first webhook makes it: saved only if the call has none."""
    return CallSession(
        call_sid=call_sid,
        interaction_id=interaction.id,
        survey_id=interaction.survey_id,
        respondent=caller,
        language=language,
        first=True,
    )


def remember_asked(session: CallSession, turn: SurveyTurn) -> list[Prompt]:
    """The turn's prompts; the session keeps the one asking its question."""
    prompts = turn_prompts(turn)
    asked = asked_prompt(prompts, session.question)
    session.asked_text = asked.text if asked else ""
    session.asked_sound = asked.sound_url if asked else None
    return prompts
