"""The php flavour: SDX as a PHP/Laravel service plausibly answers.

The gateway was written from a reference that leaves the wire format open
(SURVEY_DYNAMIX_API.md, "What a PHP/Laravel service plausibly does"). This
flavour answers in those shapes so the gateway is tested against them too.
The store and the survey engine are the same for both flavours. What the
wire shows is decided here, as pure functions a middleware and the views
call:

- what is sent: every number and flag as a string (PDO hands MySQL columns
  to PHP as strings), and a survey turn as PHP arrays encode
  (``php_answer``);
- what is accepted: Laravel's ``boolean`` rule (``check_booleans``) and a
  ``_limit`` capped without a word (``PHP_MAX_LIMIT``).

What the API does differently is in the views, which ask ``is_php``:
interaction data appended and listed newest first, a 409 from start_survey
on an ended survey, a 302 from submit_response before the start.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from gateway.sandbox.sdx.errors import Unprocessable

# Laravel APIs commonly cap page sizes well below what they document; a
# client that stops at the first page shorter than its _limit loses the rest.
PHP_MAX_LIMIT = 100

# Every boolean parameter the API reads (the callers of params.flag and
# params.optional_bool): a new one belongs here too.
BOOLEAN_PARAMS = frozenset(
    {"started", "completed", "survey_ended", "_include_responses", "_include_data", "_force_new"}
)
# Laravel's boolean rule takes true, false, 1, 0, "1" and "0". A form or a
# query string carries only text, so of those only "1" and "0" can arrive.
_LARAVEL_BOOLEANS = frozenset({"1", "0"})

_TURN_PATH = re.compile(r"/interactions/\d+/(?:start_survey|submit_response|abandon_survey)")


def check_booleans(params: Mapping[str, str]) -> None:
    """Refuse a boolean parameter Laravel would refuse ("true", "yes", ...) with a 422.

    Checked on every endpoint, not only those that read the parameter: the
    sandbox has one list of them, where Laravel has rules per request.
    """
    for name in sorted(BOOLEAN_PARAMS & params.keys()):
        if params[name] not in _LARAVEL_BOOLEANS:
            raise Unprocessable(name, f"The {name} field must be true or false.")


def php_answer(path: str, body: Any) -> Any:
    """A JSON answer of the API at ``path`` (without ``/api``), as the php flavour sends it."""
    if _TURN_PATH.fullmatch(path) and isinstance(body, dict):
        body = php_turn(body)
    return as_strings(body)


def as_strings(value: Any) -> Any:
    """Numbers as their digits and flags as "1"/"0", all the way down; null stays null."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return [as_strings(item) for item in value]
    if isinstance(value, dict):
        return {key: as_strings(item) for key, item in value.items()}
    return value


def php_turn(turn: dict[str, Any]) -> dict[str, Any]:
    """A survey turn with PHP's habits: null for an empty prompt, sound files as
    ``php_sound_files`` writes them, ``[]`` for no current question, and the
    question without its ``survey_id`` (a service picking the fields it shows)."""
    question = turn.get("current_question")
    return {
        **turn,
        "prompts": [text or None for text in turn["prompts"]],
        "sound_files": php_sound_files(turn["sound_files"]),
        # json_encode writes an empty PHP array as [], not as null or {}.
        "current_question": (
            [] if question is None else {k: v for k, v in question.items() if k != "survey_id"}
        ),
    }


def php_sound_files(files: list[str]) -> list[str | None] | dict[str, str]:
    """The sound files of a turn in each shape a PHP service writes them.

    The shape follows the content, so that the demo surveys show a client
    every one of them: all present, a list; none, a list of nulls (a column
    that is NULL); some, only those, keyed by position: what json_encode
    writes for an array after ``unset()`` or ``array_filter()``. (PHP itself
    writes a shorter list when only the end is missing; the object is the
    harder of the two to read, so the flavour always sends that.)
    """
    present = {str(index): name for index, name in enumerate(files) if name}
    if len(present) == len(files):
        return list(files)
    if not present:
        return [None] * len(files)
    return present
