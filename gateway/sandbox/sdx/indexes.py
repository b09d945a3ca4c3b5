"""What lets the store answer at the cost of the answer, not of its size.

The scale bench seeds a million interactions; a listing page or a create
that looked at every one of them would make the sandbox, not the gateway,
the thing measured. ``InteractionIndexes`` holds two indexes, both kept by
the store as interactions change (``SdxStore.changed``):

- ``Selections``: for a survey and the filters a poller uses (survey_type,
  started, completed, survey_ended), the matching ids in id order. Ids only
  grow, so a new interaction is appended; one that changes state is put in
  or taken out by bisection. A page is then a slice.
- ``NumberIndex``: a survey's interactions by phone number, for the
  duplicate check of ``POST /interactions``. An entry is only a candidate,
  checked against the record when read: a test may rewrite a record's
  number in place (as an SDX import leaves it), which the index never sees.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from gateway.sandbox.sdx.models import Interaction

# Selections kept at once: a few per survey in practice (the dispatcher's,
# the inbound index's); the bound only stops odd filter values piling up.
MAX_SELECTIONS = 64


@dataclass(frozen=True)
class Selection:
    """A survey's live interactions passing the state filters (None: either)."""

    survey_id: int
    survey_type: str | None = None
    started: bool | None = None
    completed: bool | None = None
    survey_ended: bool | None = None

    def admits(self, interaction: Interaction) -> bool:
        return (
            interaction.deleted_at is None
            and interaction.survey_id == self.survey_id
            and self.survey_type in (None, interaction.survey_type)
            and self.started in (None, interaction.started)
            and self.completed in (None, interaction.completed)
            and self.survey_ended in (None, interaction.survey_ended)
        )


@dataclass
class _Kept:
    ids: list[int]
    # The same ids in SDX's default (status) order, built when first asked
    # for and dropped at any change to a member: only clients that do not
    # page ask for it.
    by_status: list[int] | None = field(default=None)


class Selections:
    """Id lists per ``Selection``, built on first use and then kept current."""

    def __init__(
        self, interactions: Mapping[int, Interaction], by_survey: Mapping[int, list[int]]
    ) -> None:
        self._interactions = interactions
        self._by_survey = by_survey
        self._kept: OrderedDict[Selection, _Kept] = OrderedDict()

    def in_id_order(self, selection: Selection) -> Sequence[int]:
        return self._get(selection).ids

    def in_status_order(self, selection: Selection) -> Sequence[int]:
        """By status rank, then id: one pass over the ids, which are in id order."""
        kept = self._get(selection)
        if kept.by_status is None:
            ranks: tuple[list[int], list[int], list[int]] = ([], [], [])
            for interaction_id in kept.ids:
                ranks[self._interactions[interaction_id].status_rank].append(interaction_id)
            kept.by_status = ranks[0] + ranks[1] + ranks[2]
        return kept.by_status

    def _get(self, selection: Selection) -> _Kept:
        kept = self._kept.get(selection)
        if kept is None:
            every = self._by_survey.get(selection.survey_id, [])
            admitted = [i for i in every if selection.admits(self._interactions[i])]
            kept = self._kept[selection] = _Kept(admitted)
            if len(self._kept) > MAX_SELECTIONS:
                self._kept.popitem(last=False)
        self._kept.move_to_end(selection)
        return kept

    def changed(self, interaction: Interaction) -> None:
        """Put the interaction in or out of each kept list of its survey."""
        for selection, kept in self._kept.items():
            if selection.survey_id != interaction.survey_id:
                continue
            ids = kept.ids
            at = bisect_left(ids, interaction.id)
            present = at < len(ids) and ids[at] == interaction.id
            wanted = selection.admits(interaction)
            if wanted and not present:
                ids.insert(at, interaction.id)
            elif present and not wanted:
                del ids[at]
            if present or wanted:
                kept.by_status = None

    def added(self, survey_id: int, new_ids: Sequence[int], sample: Interaction) -> None:
        """Interactions made at once, all like ``sample`` and newer than any kept."""
        for selection, kept in self._kept.items():
            if selection.survey_id == survey_id and selection.admits(sample):
                kept.ids.extend(new_ids)
                kept.by_status = None


class NumberIndex:
    """Per survey, phone number -> interaction ids (candidates, see above).

    One int per number in the common case; the rare second interaction for a
    number (``_force_new``) goes to a side table, so a million numbers cost
    a dict entry each and not a list each.
    """

    def __init__(self) -> None:
        self._first: dict[int, dict[str, int]] = {}
        self._more: dict[tuple[int, str], list[int]] = {}

    def add(self, survey_id: int, phone: str, interaction_id: int) -> None:
        numbers = self._first.setdefault(survey_id, {})
        first = numbers.setdefault(phone, interaction_id)
        if first == interaction_id:
            return
        more = self._more.setdefault((survey_id, phone), [])
        if interaction_id not in more:
            more.append(interaction_id)

    def add_many(self, survey_id: int, pairs: Iterable[tuple[str, int]]) -> None:
        numbers = self._first.setdefault(survey_id, {})
        for phone, interaction_id in pairs:
            if numbers.setdefault(phone, interaction_id) != interaction_id:
                self.add(survey_id, phone, interaction_id)

    def candidates(self, survey_id: int, phone: str) -> list[int]:
        first = self._first.get(survey_id, {}).get(phone)
        if first is None:
            return []
        return [first, *self._more.get((survey_id, phone), ())]


class InteractionIndexes:
    """The store's indexes of its interactions, kept together."""

    def __init__(self, interactions: Mapping[int, Interaction]) -> None:
        self._interactions = interactions
        # Every interaction of a survey, deleted ones too, in id order (ids
        # only grow, so a new one is appended).
        self._by_survey: dict[int, list[int]] = {}
        self._numbers = NumberIndex()
        self.selections = Selections(interactions, self._by_survey)

    def added(self, interaction: Interaction) -> None:
        """A new interaction, with an id above any indexed."""
        self._by_survey.setdefault(interaction.survey_id, []).append(interaction.id)
        self.changed(interaction)

    def added_many(self, survey_id: int, ids: Sequence[int], made: Sequence[Interaction]) -> None:
        """New interactions of one survey, all alike but for their numbers (a backlog)."""
        self._by_survey.setdefault(survey_id, []).extend(ids)
        self._numbers.add_many(survey_id, ((i.phone_number, i.id) for i in made))
        if made:
            self.selections.added(survey_id, ids, made[0])

    def changed(self, interaction: Interaction) -> None:
        if interaction.phone_number:
            self._numbers.add(interaction.survey_id, interaction.phone_number, interaction.id)
        self.selections.changed(interaction)

    def pending(self, survey_id: int, phone: str) -> Interaction | None:
        """A live, not completed interaction of the survey with this number, if any."""
        for interaction_id in self._numbers.candidates(survey_id, phone):
            found = self._interactions.get(interaction_id)
            if (
                found is not None
                and found.survey_id == survey_id
                and found.phone_number == phone
                and found.pending
            ):
                return found
        return None
