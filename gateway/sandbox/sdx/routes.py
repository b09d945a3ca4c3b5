"""The route table: the SDX API under ``/api``, control under ``/_sandbox``.

Routes are registered per method, so a known path with another method is a
405 (as on SDX) and an unknown path a 404. Ids only match digits.
"""

from __future__ import annotations

from aiohttp import web

from gateway.sandbox.sdx import control
from gateway.sandbox.sdx.views import catalog, interactions, people, records, turns

_ID = "{id:\\d+}"


def _api_routes() -> list[web.RouteDef]:
    one = f"/interactions/{_ID}"
    return [
        web.get("/interactions", interactions.list_interactions),
        web.post("/interactions", interactions.create_interaction),
        web.get(one, interactions.get_interaction),
        web.put(one, interactions.update_interaction),
        web.delete(one, interactions.delete_interaction),
        web.get(f"{one}/responses", interactions.interaction_responses),
        web.get(f"{one}/interaction_data", interactions.interaction_data),
        web.post(f"{one}/start_survey", turns.start_survey),
        web.post(f"{one}/submit_response", turns.submit_response),
        web.post(f"{one}/abandon_survey", turns.abandon_survey),
        web.get("/surveys", catalog.list_surveys),
        web.get(f"/surveys/{_ID}", catalog.get_survey),
        web.get(f"/surveys/{_ID}/questions", catalog.survey_questions),
        web.get(f"/surveys/{_ID}/interactions", catalog.survey_interactions),
        web.get(f"/surveys/{_ID}/interaction_data", catalog.survey_data),
        web.get(f"/surveys/{_ID}/responses", catalog.survey_responses),
        web.get("/questions", catalog.list_questions),
        web.get(f"/questions/{_ID}", catalog.get_question),
        web.get(f"/questions/{_ID}/responses", catalog.question_responses),
        web.get("/responses", records.list_responses),
        web.get(f"/responses/{_ID}", records.get_response),
        web.get("/interaction_data", records.list_data),
        web.post("/interaction_data", records.set_datum),
        web.get(f"/interaction_data/{_ID}", records.get_datum),
        web.delete(f"/interaction_data/{_ID}", records.delete_datum),
        web.get("/users", people.list_users),
        web.get("/users/{email}", people.get_user),
        web.get("/users/{email}/interactions", people.user_interactions),
        web.get("/phone_numbers/{number}", people.phone_number),
    ]


def _control_routes() -> list[web.RouteDef]:
    return [
        web.get("/requests", control.list_requests),
        web.get("/requests/counts", control.request_counts),
        web.delete("/requests", control.clear_requests),
        web.get("/faults", control.list_faults),
        web.post("/faults", control.add_fault),
        web.delete("/faults", control.clear_faults),
        web.post("/reset", control.reset),
        web.get("/flavour", control.get_flavour),
        web.put("/flavour", control.set_flavour),
        web.get(f"/interactions/{_ID}/responses", control.recorded_responses),
        web.post("/interactions/bulk", control.add_backlog),
        web.get("/latency", control.get_latency),
        web.put("/latency", control.set_latency),
    ]


def _prefixed(prefix: str, routes: list[web.RouteDef]) -> list[web.RouteDef]:
    return [web.route(r.method, prefix + r.path, r.handler) for r in routes]


def setup_routes(app: web.Application) -> None:
    app.router.add_routes(_prefixed("/api", _api_routes()))
    app.router.add_routes(_prefixed("/_sandbox", _control_routes()))
