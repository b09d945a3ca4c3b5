"""The sandbox's data and the rules that keep it consistent.

One store per sandbox app, in memory. Nothing here knows about HTTP: rule
violations are raised as ``SandboxError`` values carrying their status.
Handlers never await between reading and writing the store, so requests
running concurrently on the event loop cannot interleave inside one change.

Interactions are also indexed (``gateway.sandbox.sdx.indexes``) so that the
scale bench's million of them list and create cheaply; whatever changes an
interaction's state calls ``changed`` to keep the indexes current.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from gateway.sandbox.sdx.backlog import make_backlog
from gateway.sandbox.sdx.errors import BadRequest, Conflict, Gone, NotFound
from gateway.sandbox.sdx.indexes import InteractionIndexes
from gateway.sandbox.sdx.models import (
    PHONE_TYPES,
    Interaction,
    InteractionDatum,
    Question,
    Response,
    Seed,
    Survey,
    SurveyType,
    User,
)
from gateway.sandbox.sdx.timefmt import utc_now

DATA_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
E164 = re.compile(r"\+[1-9]\d{6,14}")

# Where new ids start when the seed has none of that kind.
_FIRST_IDS = {"interaction": 1001, "response": 7001, "datum": 9001}


class SdxStore:
    """Surveys, questions and users (read-only) and what the API changes."""

    def __init__(self, seed: Mapping[str, Any], *, clock: Callable[[], datetime] = utc_now):
        self.clock = clock
        self._seed = Seed.model_validate(seed)
        self.reset()

    def reset(self) -> None:
        """Go back to the seed, in place (references to the store stay valid)."""
        seed = self._seed.model_copy(deep=True)
        self.surveys: dict[int, Survey] = {s.id: s for s in seed.surveys}
        self.questions: dict[int, Question] = {q.id: q for q in seed.questions}
        # Keyed by lower-cased email: SDX looks users up by email in the path.
        self.users: dict[str, User] = {u.email.lower(): u for u in seed.users}
        records = sorted((i.to_record() for i in seed.interactions), key=lambda i: i.id)
        self.interactions: dict[int, Interaction] = {i.id: i for i in records}
        self.indexes = InteractionIndexes(self.interactions)
        for interaction in records:
            self.indexes.added(interaction)
        self.responses: dict[int, Response] = {r.id: r for r in seed.responses}
        self.interaction_data: dict[int, InteractionDatum] = {
            d.id: d for d in seed.interaction_data
        }
        self._next_id = {
            "interaction": max(self.interactions, default=_FIRST_IDS["interaction"] - 1) + 1,
            "response": max(self.responses, default=_FIRST_IDS["response"] - 1) + 1,
            "datum": max(self.interaction_data, default=_FIRST_IDS["datum"] - 1) + 1,
        }

    def _new_id(self, kind: str) -> int:
        new_id = self._next_id[kind]
        self._next_id[kind] = new_id + 1
        return new_id

    # -- reads ---------------------------------------------------------------

    def survey(self, survey_id: int) -> Survey:
        try:
            return self.surveys[survey_id]
        except KeyError:
            raise NotFound(f"no survey {survey_id}") from None

    def question(self, question_id: int) -> Question:
        try:
            return self.questions[question_id]
        except KeyError:
            raise NotFound(f"no question {question_id}") from None

    def interaction(self, interaction_id: int) -> Interaction:
        """A live interaction: NotFound if it never existed, Gone if deleted."""
        found = self.interactions.get(interaction_id)
        if found is None:
            raise NotFound(f"no interaction {interaction_id}")
        if found.deleted_at is not None:
            raise Gone(f"interaction {interaction_id} was deleted")
        return found

    def user(self, email: str) -> User:
        try:
            return self.users[email.lower()]
        except KeyError:
            raise NotFound("no such user") from None

    def response(self, response_id: int) -> Response:
        try:
            return self.responses[response_id]
        except KeyError:
            raise NotFound(f"no response {response_id}") from None

    def datum(self, datum_id: int) -> InteractionDatum:
        """A data record; Gone with its interaction, like the interaction itself."""
        try:
            found = self.interaction_data[datum_id]
        except KeyError:
            raise NotFound(f"no interaction data {datum_id}") from None
        self.interaction(found.interaction_id)
        return found

    def live_interactions(self) -> Iterator[Interaction]:
        """Every live interaction: a scan, for tests and rare queries only."""
        return (i for i in self.interactions.values() if i.deleted_at is None)

    def questions_for(self, survey_id: int) -> list[Question]:
        """The survey's questions in the order they are asked."""
        found = [q for q in self.questions.values() if q.survey_id == survey_id]
        return sorted(found, key=lambda q: (q.order, q.id))

    def responses_for(self, interaction_id: int) -> list[Response]:
        return [r for r in self.responses.values() if r.interaction_id == interaction_id]

    def data_for(self, interaction_id: int) -> list[InteractionDatum]:
        return [d for d in self.interaction_data.values() if d.interaction_id == interaction_id]

    def is_live(self, interaction_id: int) -> bool:
        found = self.interactions.get(interaction_id)
        return found is not None and found.deleted_at is None

    def survey_of_interaction(self, interaction_id: int) -> int | None:
        found = self.interactions.get(interaction_id)
        return None if found is None else found.survey_id

    # -- interactions --------------------------------------------------------

    def create_interaction(
        self,
        survey_id: int,
        *,
        survey_type: SurveyType = "web",
        phone_number: str = "",
        email: str = "",
        scheduled_at: datetime | None = None,
        external_ref: str = "",
        call_type: str = "",
        agent_id: str = "",
        data: Mapping[str, str] | None = None,
        force_new: bool = False,
    ) -> Interaction:
        """Add an interaction as ``POST /interactions`` does (also for tests)."""
        self.survey(survey_id)
        _check_contact(survey_type, phone_number, email)
        if phone_number and not force_new:
            self._refuse_duplicate(survey_id, phone_number)
        now = self.clock()
        interaction = Interaction(
            id=self._new_id("interaction"),
            uuid=str(uuid.uuid4()),
            survey_id=survey_id,
            phone_number=phone_number,
            email=email,
            survey_type=survey_type,
            scheduled_at=scheduled_at or now,
            external_ref=external_ref,
            call_type=call_type,
            agent_id=agent_id,
            created_at=now,
            updated_at=now,
        )
        self.interactions[interaction.id] = interaction
        self.indexes.added(interaction)
        for key, value in (data or {}).items():
            self.set_datum(interaction.id, key, value)
        return interaction

    def _refuse_duplicate(self, survey_id: int, phone_number: str) -> None:
        other = self.indexes.pending(survey_id, phone_number)
        if other is not None:
            raise Conflict(f"a pending interaction ({other.id}) exists for this number and survey")

    def create_many(
        self,
        survey_id: int,
        survey_type: SurveyType,
        phone_numbers: Sequence[str],
        scheduled_at: datetime | None = None,
    ) -> list[Interaction]:
        """Not-started interactions, one per number, at once (seeding a backlog).

        Checked as ``create_interaction`` checks one, all before any is made:
        a conflict leaves the store as it was.
        """
        self.survey(survey_id)
        for number in phone_numbers:
            _check_contact(survey_type, number, "")
            self._refuse_duplicate(survey_id, number)
        first = self._next_id["interaction"]
        # The same int objects serve as dict keys, record ids and list entries.
        ids = list(range(first, first + len(phone_numbers)))
        self._next_id["interaction"] = first + len(phone_numbers)
        now = self.clock()
        made = make_backlog(ids, survey_id, survey_type, phone_numbers, scheduled_at or now, now)
        self.interactions.update(zip(ids, made, strict=True))
        self.indexes.added_many(survey_id, ids, made)
        return made

    def changed(self, interaction: Interaction) -> None:
        """Keep the indexes current after the interaction's state, type or number changed."""
        self.indexes.changed(interaction)

    def update_interaction(self, interaction_id: int, changes: Mapping[str, Any]) -> Interaction:
        """Apply already-parsed writable fields, checking the result as a whole."""
        current = self.interaction(interaction_id)
        proposed = replace(current, **changes)
        _check_contact(proposed.survey_type, proposed.phone_number, proposed.email)
        # Changed in place: references to the interaction stay current.
        for name, value in changes.items():
            setattr(current, name, value)
        current.updated_at = self.clock()
        self.changed(current)
        return current

    def delete_interaction(self, interaction_id: int) -> Interaction:
        """Delete an interaction that has not started (SDX bills started ones)."""
        interaction = self.interaction(interaction_id)
        if interaction.started:
            raise Conflict("an interaction cannot be deleted once it has started")
        interaction.deleted_at = self.clock()
        self.changed(interaction)
        return interaction

    # -- answers and data ----------------------------------------------------

    def add_response(self, interaction: Interaction, question: Question, value: str) -> Response:
        response = Response(
            id=self._new_id("response"),
            interaction_id=interaction.id,
            question_id=question.id,
            response=value,
            submitted_at=self.clock(),
            response_type=interaction.response_type,
            question_label=question.question_label,
        )
        self.responses[response.id] = response
        return response

    def set_datum(self, interaction_id: int, key: str, value: str) -> InteractionDatum:
        """Create or overwrite one key of an interaction's data."""
        self._check_datum(interaction_id, key)
        for datum in self.data_for(interaction_id):
            if datum.custom_key == key:
                datum.custom_value = value
                datum.updated_at = self.clock()
                return datum
        return self.add_datum(interaction_id, key, value)

    def add_datum(self, interaction_id: int, key: str, value: str) -> InteractionDatum:
        """A new record for the key, beside any it already has (the php flavour's
        reading of "adds a pair": the table only grows)."""
        self._check_datum(interaction_id, key)
        now = self.clock()
        datum = InteractionDatum(
            id=self._new_id("datum"),
            interaction_id=interaction_id,
            custom_key=key,
            custom_value=value,
            created_at=now,
            updated_at=now,
        )
        self.interaction_data[datum.id] = datum
        return datum

    def _check_datum(self, interaction_id: int, key: str) -> None:
        self.interaction(interaction_id)
        if DATA_KEY.fullmatch(key) is None:
            raise BadRequest("custom_key must be letters, digits and _, starting with a letter")

    def delete_datum(self, datum_id: int) -> InteractionDatum:
        return self.interaction_data.pop(self.datum(datum_id).id)


def _check_contact(survey_type: str, phone_number: str, email: str) -> None:
    """The contact each channel needs: a phone number, or an email address."""
    if survey_type in PHONE_TYPES and not phone_number:
        raise BadRequest(f"phone_number is required for {survey_type} interactions")
    # Stricter than SDX documents ("a 12 character string"): catching a
    # national-format number here is cheaper than a failed call later.
    if phone_number and E164.fullmatch(phone_number) is None:
        raise BadRequest("phone_number must be in international (E.164) format")
    if survey_type == "email" and not email:
        raise BadRequest("email is required for email interactions")
