"""The filters of the list endpoints, applied to the store's records.

Unknown parameters are ignored, as SDX does (there is no ``phone_number``
filter, for instance: asking for one returns the unfiltered list).

A survey's interactions are listed from the store's kept selections
(``gateway.sandbox.sdx.indexes``), so a page costs about its length however
many interactions the survey has; every other list is a scan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TypeVar

from gateway.sandbox.sdx.errors import BadRequest
from gateway.sandbox.sdx.indexes import Selection
from gateway.sandbox.sdx.listing import Page
from gateway.sandbox.sdx.models import Interaction, InteractionDatum, Question, Response, User
from gateway.sandbox.sdx.params import Params, optional_bool, optional_int
from gateway.sandbox.sdx.store import SdxStore
from gateway.sandbox.sdx.timefmt import parse_time

T = TypeVar("T")
Check = Callable[[T], bool]

# Checked row by row; survey_type and the states choose a kept Selection instead.
_INTERACTION_TEXT_FIELDS = ("email", "external_ref", "call_type", "agent_id")
_STATES: tuple[tuple[str, Check[Interaction]], ...] = (
    ("started", lambda i: i.started),
    ("completed", lambda i: i.completed),
    ("survey_ended", lambda i: i.survey_ended),
)
_USER_TEXT_FIELDS = ("name", "agent_id", "phone")


def status_rank(interaction: Interaction) -> tuple[int, int]:
    """SDX's default order: not started, then in progress, then ended; ties by id."""
    return interaction.status_rank, interaction.id


def _equals(name: str, wanted: object) -> Callable[[object], bool]:
    return lambda item: getattr(item, name) == wanted


def _state_is(state: Check[Interaction], wanted: bool) -> Check[Interaction]:
    return lambda interaction: state(interaction) == wanted


def _keep(items: Iterable[T], checks: list[Check[T]]) -> list[T]:
    return [item for item in items if all(check(item) for check in checks)]


def _scheduled(params: Params) -> datetime | None:
    value = params.get("scheduled_at")
    if value is None:
        return None
    try:
        return parse_time(value)
    except ValueError:
        raise BadRequest("scheduled_at must be 'YYYY-MM-DD HH:MM:SS'") from None


def _row_checks(params: Params) -> list[Check[Interaction]]:
    """Checks for the interaction filters that no Selection covers."""
    checks: list[Check[Interaction]] = []
    for name in _INTERACTION_TEXT_FIELDS:
        wanted = params.get(name)
        if wanted is not None:
            checks.append(_equals(name, wanted))
    scheduled = _scheduled(params)
    if scheduled is not None:
        checks.append(lambda i: i.scheduled_at == scheduled)
    return checks


def _selection(params: Params, survey_id: int) -> Selection:
    started, completed, ended = (optional_bool(params, name) for name, _ in _STATES)
    return Selection(survey_id, params.get("survey_type"), started, completed, ended)


def interaction_checks(params: Params) -> list[Check[Interaction]]:
    """Checks for the documented interaction filters other than survey_id."""
    checks = _row_checks(params)
    survey_type = params.get("survey_type")
    if survey_type is not None:
        checks.append(_equals("survey_type", survey_type))
    for name, state in _STATES:
        wanted_state = optional_bool(params, name)
        if wanted_state is not None:
            checks.append(_state_is(state, wanted_state))
    return checks


def survey_page(
    store: SdxStore, params: Params, page: Page, *, survey_id: int
) -> list[Interaction]:
    """One page of a survey's live interactions matching the filters.

    survey_type and the states pick a kept list of ids, so with only those
    the page is a slice of it; any other filter is checked row by row, from
    where the page's order starts and only until the page is full.
    """
    selection = _selection(params, survey_id)
    checks = _row_checks(params)
    kept = store.indexes.selections
    ids = kept.in_id_order(selection) if page.order else kept.in_status_order(selection)
    records = store.interactions
    if checks:
        chosen = page.scan(ids, lambda i: all(check(records[i]) for check in checks))
    else:
        chosen = page.window(ids)
    return [records[i] for i in chosen]


def agent_interactions(store: SdxStore, params: Params, *, agent_id: str) -> list[Interaction]:
    """Live interactions of an agent matching the filters: a scan of them all."""
    checks = interaction_checks(params)
    checks.append(lambda i: i.agent_id == agent_id)
    return _keep(store.live_interactions(), checks)


def find_questions(store: SdxStore, params: Params, *, survey_id: int | None) -> list[Question]:
    checks: list[Check[Question]] = []
    if survey_id is not None:
        checks.append(lambda q: q.survey_id == survey_id)
    for name in ("question_type", "question_label"):
        wanted = params.get(name)
        if wanted is not None:
            checks.append(_equals(name, wanted))
    return _keep(store.questions.values(), checks)


def _scope(params: Params, names: tuple[str, ...], fixed: dict[str, int]) -> dict[str, int]:
    """The id filters in force: those fixed by the path, else from the query.

    SDX refuses to list these resources without at least one of them.
    """
    scope = {name: optional_int(params, name) for name in names}
    scope.update(fixed)
    given = {name: value for name, value in scope.items() if value is not None}
    if not given:
        raise BadRequest(f"one of {', '.join(names)} is required")
    return given


def find_responses(store: SdxStore, params: Params, **fixed: int) -> list[Response]:
    scope = _scope(params, ("survey_id", "question_id", "interaction_id"), fixed)
    checks: list[Check[Response]] = []
    if "survey_id" in scope:
        checks.append(lambda r: store.survey_of_interaction(r.interaction_id) == scope["survey_id"])
    if "question_id" in scope:
        checks.append(lambda r: r.question_id == scope["question_id"])
    if "interaction_id" in scope:
        checks.append(lambda r: r.interaction_id == scope["interaction_id"])
    exact = params.get("response")
    if exact is not None:
        checks.append(lambda r: r.response == exact)
    part = params.get("response_contains")
    if part is not None:
        checks.append(lambda r: part.lower() in r.response.lower())
    return _keep(store.responses.values(), checks)


def find_data(store: SdxStore, params: Params, **fixed: int) -> list[InteractionDatum]:
    scope = _scope(params, ("survey_id", "interaction_id"), fixed)
    # The data of a deleted interaction goes with it.
    checks: list[Check[InteractionDatum]] = [lambda d: store.is_live(d.interaction_id)]
    if "survey_id" in scope:
        checks.append(lambda d: store.survey_of_interaction(d.interaction_id) == scope["survey_id"])
    if "interaction_id" in scope:
        checks.append(lambda d: d.interaction_id == scope["interaction_id"])
    key = params.get("custom_key")
    if key is not None:
        checks.append(lambda d: d.custom_key == key)
    return _keep(store.interaction_data.values(), checks)


def find_users(store: SdxStore, params: Params) -> list[User]:
    checks: list[Check[User]] = []
    for name in _USER_TEXT_FIELDS:
        wanted = params.get(name)
        if wanted is not None:
            checks.append(_equals(name, wanted))
    email = params.get("email")
    if email is not None:
        # Without case, like the /users/{email} lookup.
        checks.append(lambda u: u.email.lower() == email.lower())
    part = params.get("name_contains")
    if part is not None:
        checks.append(lambda u: part.lower() in u.name.lower())
    return _keep(store.users.values(), checks)
