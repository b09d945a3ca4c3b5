"""The survey turn logic behind start_survey, submit_response and abandon_survey.

A *turn* is what SDX answers to those calls: prompts to say, a sound file for
each prompt (``""`` where there is none, so both lists always have the same
length), whether the survey is over and, while it is not, the question now
expected. Questions are asked in their ``order``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.config.languages import language_key
from gateway.languages.choice import primary
from gateway.sandbox.sdx.answers import normalise_answer
from gateway.sandbox.sdx.errors import Conflict
from gateway.sandbox.sdx.models import Interaction, Question, Survey
from gateway.sandbox.sdx.store import SdxStore

INVALID_PROMPT = "Sorry, that is not a valid response."
# SDX's own sentence in the languages its demo surveys carry.
INVALID_PROMPTS = {"es": "Lo sentimos, esa respuesta no es válida."}


@dataclass(frozen=True)
class Prompt:
    text: str
    sound_file: str = ""


@dataclass(frozen=True)
class Turn:
    prompts: tuple[Prompt, ...]
    question: Question | None = None

    @property
    def completed(self) -> bool:
        return self.question is None

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "prompts": [p.text for p in self.prompts],
            "sound_files": [p.sound_file for p in self.prompts],
            "survey_completed": 1 if self.completed else 0,
        }
        if self.question is not None:
            body["current_question"] = self.question.as_json()
        return body


def _in(language: str | None, record: Survey | Question, name: str) -> str:
    """A text of ``record`` in the respondent's language where the record has it
    (exactly, else by primary subtag: es-MX finds es), else as written."""
    for candidate in (language_key(language or ""), primary(language or "")):
        text = record.translations.get(candidate, {}).get(name)
        if text:
            return text
    return str(getattr(record, name))


def _prompts(*pairs: tuple[str, str]) -> tuple[Prompt, ...]:
    # A part with neither text nor sound is left out rather than sent empty.
    return tuple(Prompt(text, sound) for text, sound in pairs if text or sound)


def _ask(question: Question, language: str | None) -> Prompt:
    return Prompt(_in(language, question, "question_text"), question.question_sound_file)


def _closing(survey: Survey, language: str | None) -> tuple[Prompt, ...]:
    return _prompts((_in(language, survey, "closing_text"), survey.closing_sound_file))


class SurveyEngine:
    """Runs one interaction's survey against the store."""

    def __init__(self, store: SdxStore) -> None:
        self.store = store

    def start(self, interaction: Interaction) -> Turn:
        """Start the survey, or repeat the current question if it has started."""
        survey = self.store.survey(interaction.survey_id)
        if interaction.completed:
            return Turn(_closing(survey, interaction.respondent_language))
        if interaction.started:
            question = self._current_question(interaction)
            return Turn((_ask(question, interaction.respondent_language),), question)
        return self._begin(interaction, survey)

    def _begin(self, interaction: Interaction, survey: Survey) -> Turn:
        now = self.store.clock()
        interaction.started_at = interaction.updated_at = now
        interaction.respondent_language = interaction.respondent_language or "en"
        self.store.changed(interaction)
        language = interaction.respondent_language
        opening = _prompts(
            (_in(language, survey, "greeting_text"), survey.greeting_sound_file),
            (_in(language, survey, "instructions_text"), survey.instructions_sound_file),
        )
        questions = self.store.questions_for(survey.id)
        if not questions:
            self._finish(interaction, answered=True)
            return Turn(opening + _closing(survey, language))
        interaction.current_question_id = questions[0].id
        return Turn((*opening, _ask(questions[0], language)), questions[0])

    def submit(self, interaction: Interaction, answer: str) -> Turn:
        """Record an answer to the current question and move on.

        Before the survey has started this is start_survey (the answer is not
        recorded); after it has ended it is a 409. An answer the question
        cannot take re-asks the same question and records nothing.
        """
        if interaction.completed:
            raise Conflict("the survey of this interaction has ended")
        if not interaction.started:
            return self.start(interaction)
        question = self._current_question(interaction)
        value = normalise_answer(question, answer)
        if value is None:
            language = interaction.respondent_language
            invalid = INVALID_PROMPTS.get(primary(language or ""), INVALID_PROMPT)
            return Turn((Prompt(invalid), _ask(question, language)), question)
        self.store.add_response(interaction, question, value)
        following = self._question_after(question)
        if following is None:
            self._finish(interaction, answered=True)
            survey = self.store.survey(interaction.survey_id)
            return Turn(_closing(survey, interaction.respondent_language))
        interaction.current_question_id = following.id
        interaction.updated_at = self.store.clock()
        return Turn((_ask(following, interaction.respondent_language),), following)

    def abandon(self, interaction: Interaction) -> Turn:
        """End the survey unanswered; on an ended survey, only say goodbye again."""
        if not interaction.completed:
            self._finish(interaction, answered=False)
        survey = self.store.survey(interaction.survey_id)
        return Turn(_closing(survey, interaction.respondent_language))

    def _finish(self, interaction: Interaction, *, answered: bool) -> None:
        interaction.completed_at = interaction.updated_at = self.store.clock()
        interaction.survey_ended = answered
        interaction.current_question_id = None
        self.store.changed(interaction)

    def _current_question(self, interaction: Interaction) -> Question:
        if interaction.current_question_id is not None:
            return self.store.question(interaction.current_question_id)
        # A seeded "in progress" interaction may not say where it is.
        return self.store.questions_for(interaction.survey_id)[0]

    def _question_after(self, question: Question) -> Question | None:
        questions = self.store.questions_for(question.survey_id)
        position = [q.id for q in questions].index(question.id)
        return questions[position + 1] if position + 1 < len(questions) else None
