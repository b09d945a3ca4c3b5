"""The Survey Dynamix API, one async method per endpoint.

The only place that knows SDX URLs; callers get typed models and the typed
errors of ``gateway.sdx.errors``. See docs/sdx-api.md for the endpoint table.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any, Literal, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, ValidationError

from gateway.sdx.errors import SdxProtocolError
from gateway.sdx.listing import Pages, readable, rows_of
from gateway.sdx.models import (
    Interaction,
    InteractionData,
    PhoneNumberInfo,
    Question,
    ResponseRecord,
    Survey,
    SurveyTurn,
    User,
)
from gateway.sdx.transport import Params, ParamValue, SdxTransport

M = TypeVar("M", bound=BaseModel)
Order = Literal["ASC", "DESC"]

MAX_PAGE = 1000  # SDX's upper bound for _limit


def _page(limit: int | None, offset: int | None, order: Order | None) -> dict[str, ParamValue]:
    return {"_limit": limit, "_offset": offset, "_order": order}


class SdxClient:
    """Typed access to every documented SDX endpoint."""

    def __init__(self, transport: SdxTransport) -> None:
        self._t = transport
        self._pages = Pages()

    @property
    def base_url(self) -> str:
        return self._t.base_url

    @property
    def timeout(self) -> float:
        return self._t.timeout

    # --- plumbing -------------------------------------------------------

    async def _get(self, path: str, params: Params | None = None) -> Any:
        return await self._t.request("GET", path, params=params, safe=True)

    @staticmethod
    def _one(model: type[M], payload: Any, path: str) -> M:
        try:
            return model.model_validate(payload)
        except ValidationError as exc:
            raise SdxProtocolError("", path, f"unexpected {model.__name__}: {exc}") from None

    async def _list(self, model: type[M], path: str, params: Mapping[str, ParamValue]) -> list[M]:
        return readable(model, rows_of(await self._get(path, params), path), path)

    async def _page_of(
        self, model: type[M], path: str, params: Mapping[str, ParamValue]
    ) -> tuple[list[M], int]:
        """A page's readable rows and how many rows SDX sent (for the offset)."""
        rows = rows_of(await self._get(path, params), path)
        return readable(model, rows, path), len(rows)

    # --- interactions ---------------------------------------------------

    async def list_interactions(
        self,
        survey_id: int,
        *,
        limit: int | None = None,
        offset: int | None = None,
        order: Order | None = "ASC",
        include_responses: bool | None = None,
        include_data: bool | None = None,
        **filters: ParamValue,
    ) -> list[Interaction]:
        """One page of a survey's interactions.

        ``filters``: survey_type, email, scheduled_at, external_ref, call_type,
        agent_id, started, completed, survey_ended. SDX has no phone filter.
        ``order`` defaults to ASC because SDX's own default (by status) makes
        offsets unstable while statuses change.
        """
        params = {
            "survey_id": survey_id,
            **_page(limit, offset, order),
            "_include_responses": include_responses,
            "_include_data": include_data,
            **filters,
        }
        return await self._list(Interaction, "/interactions", params)

    async def iter_interactions(
        self,
        survey_id: int,
        *,
        page_size: int = MAX_PAGE,
        include_responses: bool | None = None,
        include_data: bool | None = None,
        **filters: ParamValue,
    ) -> AsyncIterator[Interaction]:
        """Every matching interaction, page by page (ordered by id, so offsets are stable)."""
        params = {
            "survey_id": survey_id,
            "_order": "ASC",
            "_include_responses": include_responses,
            "_include_data": include_data,
            **filters,
        }

        async def fetch(limit: int, offset: int) -> tuple[list[Interaction], int]:
            page = {**params, "_limit": limit, "_offset": offset}
            return await self._page_of(Interaction, "/interactions", page)

        async for item in self._pages.each(fetch, page_size):
            yield item

    async def interactions_page(
        self, survey_id: int, *, limit: int, offset: int, order: Order, **filters: ParamValue
    ) -> tuple[list[Interaction], int]:
        """One page's readable rows, and how many rows SDX sent (page on by that)."""
        params = {"survey_id": survey_id, **_page(limit, offset, order), **filters}
        return await self._page_of(Interaction, "/interactions", params)

    async def create_interaction(
        self,
        survey_id: int,
        *,
        survey_type: str = "web",
        phone_number: str | None = None,
        email: str | None = None,
        scheduled_at: str | None = None,
        external_ref: str | None = None,
        call_type: str | None = None,
        agent_id: str | None = None,
        force_new: bool | None = None,
        data: Mapping[str, str] | None = None,
    ) -> Interaction:
        """Create an interaction. Not retried once sent: a resend could duplicate it.

        ``data`` entries become interaction data (SDX's custom metadata);
        ``scheduled_at`` takes a UTC timestamp or ``Now + X Minutes``.
        Raises SdxConflict when a pending one exists for the number (409).
        """
        form: dict[str, ParamValue] = {
            **(data or {}),
            "survey_id": survey_id,
            "survey_type": survey_type,
            "phone_number": phone_number,
            "email": email,
            "scheduled_at": scheduled_at,
            "external_ref": external_ref,
            "call_type": call_type,
            "agent_id": agent_id,
            "_force_new": force_new,
        }
        payload = await self._t.request("POST", "/interactions", data=form, safe=False)
        return self._one(Interaction, payload, "/interactions")

    async def get_interaction(
        self,
        interaction_id: int,
        *,
        include_responses: bool | None = None,
        include_data: bool | None = None,
    ) -> Interaction:
        path = f"/interactions/{interaction_id}"
        params = {"_include_responses": include_responses, "_include_data": include_data}
        return self._one(Interaction, await self._get(path, params), path)

    async def update_interaction(self, interaction: Interaction, **changes: Any) -> Interaction:
        """PUT the whole interaction with ``changes`` applied (SDX's only update form).

        A PUT of a whole resource is idempotent, so it is retried like a GET.
        """
        path = f"/interactions/{interaction.id}"
        body = json.dumps(interaction.to_update_json(**changes))
        payload = await self._t.request("PUT", path, data={"interaction": body}, safe=True)
        if payload is None:  # tolerate an empty success: our copy is the new state
            return interaction.model_copy(update=changes)
        return self._one(Interaction, payload, path)

    async def delete_interaction(self, interaction_id: int) -> None:
        """Delete before start only (SdxConflict after; SdxGone once deleted)."""
        await self._t.request("DELETE", f"/interactions/{interaction_id}", safe=True)

    async def interaction_responses(
        self, interaction_id: int, *, limit: int | None = None, offset: int | None = None
    ) -> list[ResponseRecord]:
        path = f"/interactions/{interaction_id}/responses"
        return await self._list(ResponseRecord, path, _page(limit, offset, None))

    async def interaction_data_for(
        self, interaction_id: int, *, limit: int | None = None, offset: int | None = None
    ) -> list[InteractionData]:
        path = f"/interactions/{interaction_id}/interaction_data"
        return await self._list(InteractionData, path, _page(limit, offset, None))

    async def all_interaction_data(self, interaction_id: int) -> list[InteractionData]:
        """Every data row of an interaction, oldest first, however SDX pages."""
        path = f"/interactions/{interaction_id}/interaction_data"

        async def fetch(limit: int, offset: int) -> tuple[list[InteractionData], int]:
            return await self._page_of(InteractionData, path, _page(limit, offset, "ASC"))

        return [row async for row in self._pages.each(fetch, MAX_PAGE)]

    # --- the survey itself ----------------------------------------------

    async def _turn(
        self, interaction_id: int, action: str, data: Params | None, safe: bool
    ) -> SurveyTurn:
        path = f"/interactions/{interaction_id}/{action}"
        payload = await self._t.request("POST", path, data=data or {}, safe=safe)
        return self._one(SurveyTurn, payload, path)

    async def start_survey(self, interaction_id: int) -> SurveyTurn:
        """Start, or resume: an already started survey returns its current prompts.

        That makes it idempotent, so it is retried like a GET.
        """
        return await self._turn(interaction_id, "start_survey", None, safe=True)

    async def submit_response(self, interaction_id: int, response: str) -> SurveyTurn:
        """Answer the current question. Never sent twice (a resend would answer the
        next one): callers go through ``gateway.sdx.ambiguous.submit_answer``."""
        return await self._turn(interaction_id, "submit_response", {"response": response}, False)

    async def abandon_survey(self, interaction_id: int) -> SurveyTurn:
        """End the survey unfinished. Not retried once it may have reached SDX."""
        return await self._turn(interaction_id, "abandon_survey", None, safe=False)

    # --- surveys ----------------------------------------------------------

    async def list_surveys(
        self, *, limit: int | None = None, offset: int | None = None, order: Order | None = None
    ) -> list[Survey]:
        return await self._list(Survey, "/surveys", _page(limit, offset, order))

    async def iter_surveys(self, *, page_size: int = MAX_PAGE) -> AsyncIterator[Survey]:
        async def fetch(limit: int, offset: int) -> tuple[list[Survey], int]:
            params = _page(limit, offset, "ASC")
            return await self._page_of(Survey, "/surveys", params)

        async for survey in self._pages.each(fetch, page_size):
            yield survey

    async def get_survey(self, survey_id: int) -> Survey:
        path = f"/surveys/{survey_id}"
        return self._one(Survey, await self._get(path), path)

    async def survey_questions(self, survey_id: int, **params: ParamValue) -> list[Question]:
        return await self._list(Question, f"/surveys/{survey_id}/questions", params)

    async def survey_interactions(self, survey_id: int, **params: ParamValue) -> list[Interaction]:
        return await self._list(Interaction, f"/surveys/{survey_id}/interactions", params)

    async def survey_responses(self, survey_id: int, **params: ParamValue) -> list[ResponseRecord]:
        return await self._list(ResponseRecord, f"/surveys/{survey_id}/responses", params)

    async def survey_interaction_data(
        self, survey_id: int, **params: ParamValue
    ) -> list[InteractionData]:
        return await self._list(InteractionData, f"/surveys/{survey_id}/interaction_data", params)

    # --- questions and responses -------------------------------------------

    async def list_questions(self, **params: ParamValue) -> list[Question]:
        """Filters: survey_id, question_type, question_label, plus _limit/_offset/_order."""
        return await self._list(Question, "/questions", params)

    async def get_question(self, question_id: int) -> Question:
        path = f"/questions/{question_id}"
        return self._one(Question, await self._get(path), path)

    async def question_responses(
        self, question_id: int, **params: ParamValue
    ) -> list[ResponseRecord]:
        return await self._list(ResponseRecord, f"/questions/{question_id}/responses", params)

    async def list_responses(self, **params: ParamValue) -> list[ResponseRecord]:
        """Needs survey_id, question_id or interaction_id; filters response, response_contains."""
        return await self._list(ResponseRecord, "/responses", params)

    async def get_response(self, response_id: int) -> ResponseRecord:
        path = f"/responses/{response_id}"
        return self._one(ResponseRecord, await self._get(path), path)

    # --- interaction data -------------------------------------------------

    async def list_interaction_data(self, **params: ParamValue) -> list[InteractionData]:
        """Needs survey_id or interaction_id; filter custom_key."""
        return await self._list(InteractionData, "/interaction_data", params)

    async def get_interaction_data(self, data_id: int) -> InteractionData:
        path = f"/interaction_data/{data_id}"
        return self._one(InteractionData, await self._get(path), path)

    async def set_interaction_data(
        self, interaction_id: int, key: str, value: str
    ) -> InteractionData:
        """Write one key. Not retried once sent: SDX may append rather than
        overwrite (see ``gateway.sdx.ambiguous.write_data``)."""
        form: dict[str, ParamValue] = {
            "interaction_id": interaction_id,
            "custom_key": key,
            "custom_value": value,
        }
        payload = await self._t.request("POST", "/interaction_data", data=form, safe=False)
        return self._one(InteractionData, payload, "/interaction_data")

    async def delete_interaction_data(self, data_id: int) -> None:
        await self._t.request("DELETE", f"/interaction_data/{data_id}", safe=True)

    # --- users and phone numbers -------------------------------------------

    async def list_users(self, **params: ParamValue) -> list[User]:
        """Filters: name, name_contains, agent_id, phone, email."""
        return await self._list(User, "/users", params)

    async def get_user(self, email: str) -> User:
        path = f"/users/{quote(email, safe='@')}"
        return self._one(User, await self._get(path), path)

    async def user_interactions(self, email: str, **params: ParamValue) -> list[Interaction]:
        return await self._list(
            Interaction, f"/users/{quote(email, safe='@')}/interactions", params
        )

    async def lookup_phone_number(self, number: str, country_code: str = "US") -> PhoneNumberInfo:
        """Carrier lookup; SdxNotFound for an invalid number."""
        path = f"/phone_numbers/{quote(number, safe='')}"
        payload = await self._get(path, {"country_code": country_code})
        return self._one(PhoneNumberInfo, payload, path)
