"""What the SDX sandbox recorded: the answers, the interaction data, the requests."""

from __future__ import annotations

import re

from gateway.sandbox.sdx import SandboxState

# The paths of the SDX requests tests count.
START = r"/interactions/\d+/start_survey"
SUBMIT = r"/interactions/\d+/submit_response"
ABANDON = r"/interactions/\d+/abandon_survey"


def answers(sandbox: SandboxState, interaction_id: int) -> list[str]:
    """The answers SDX holds for an interaction, in the order they were recorded."""
    return [r.response for r in sandbox.store.responses_for(interaction_id)]


def data(sandbox: SandboxState, interaction_id: int) -> dict[str, str]:
    """An interaction's data, key -> value."""
    return {d.custom_key: d.custom_value or "" for d in sandbox.store.data_for(interaction_id)}


def count(sandbox: SandboxState, pattern: str, method: str | None = None) -> int:
    """Requests SDX received whose path matches ``pattern`` (and ``method``, if given)."""
    return sum(
        1
        for r in sandbox.requests
        if (method is None or r.method == method) and re.fullmatch(pattern, r.path)
    )
