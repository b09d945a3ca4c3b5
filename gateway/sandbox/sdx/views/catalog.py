"""The read-only survey definitions: ``/surveys`` and ``/questions``."""

from __future__ import annotations

from aiohttp import web

from gateway.sandbox.sdx.models import Question
from gateway.sandbox.sdx.params import optional_int
from gateway.sandbox.sdx.queries import (
    find_data,
    find_questions,
    find_responses,
    survey_page,
)
from gateway.sandbox.sdx.views.common import (
    data_page,
    id_page,
    interactions_answer,
    json_answer,
    json_list,
    match_id,
    page_of,
    store_of,
)


def _asked_order(question: Question) -> tuple[int, int, int]:
    return question.survey_id, question.order, question.id


def _question_page(request: web.Request, found: list[Question]) -> web.Response:
    # Without _order, questions come in the order they are asked.
    page = page_of(request).apply(found, key=lambda q: q.id, default_key=_asked_order)
    return json_list(q.as_json() for q in page)


async def list_surveys(request: web.Request) -> web.Response:
    surveys = store_of(request).surveys.values()
    return json_list(s.as_json() for s in id_page(request, surveys))


async def get_survey(request: web.Request) -> web.Response:
    return json_answer(store_of(request).survey(match_id(request)).as_json())


async def survey_questions(request: web.Request) -> web.Response:
    store = store_of(request)
    survey = store.survey(match_id(request))
    return _question_page(request, find_questions(store, request.query, survey_id=survey.id))


async def survey_interactions(request: web.Request) -> web.Response:
    store = store_of(request)
    survey = store.survey(match_id(request))
    page = survey_page(store, request.query, page_of(request), survey_id=survey.id)
    return interactions_answer(request, page)


async def survey_data(request: web.Request) -> web.Response:
    store = store_of(request)
    survey = store.survey(match_id(request))
    found = find_data(store, request.query, survey_id=survey.id)
    return json_list(d.as_json() for d in data_page(request, found))


async def survey_responses(request: web.Request) -> web.Response:
    store = store_of(request)
    survey = store.survey(match_id(request))
    found = find_responses(store, request.query, survey_id=survey.id)
    return json_list(r.as_json() for r in id_page(request, found))


async def list_questions(request: web.Request) -> web.Response:
    survey_id = optional_int(request.query, "survey_id")
    return _question_page(
        request, find_questions(store_of(request), request.query, survey_id=survey_id)
    )


async def get_question(request: web.Request) -> web.Response:
    return json_answer(store_of(request).question(match_id(request)).as_json())


async def question_responses(request: web.Request) -> web.Response:
    store = store_of(request)
    question = store.question(match_id(request))
    found = find_responses(store, request.query, question_id=question.id)
    return json_list(r.as_json() for r in id_page(request, found))
