"""The SDX client against the sandbox over real HTTP: one test per endpoint.

Where the seed reference (shared/seed/interactions-api.md) has a curl example,
the test named ``test_curl_*`` does the same through the client.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.sdx import SandboxState
from gateway.sdx import SdxClient
from gateway.sdx.errors import SdxBadRequest, SdxConflict, SdxGone, SdxNotFound


async def pending(sdx: SdxClient, survey_id: int, survey_type: str) -> int:
    items = [
        i
        async for i in sdx.iter_interactions(survey_id, survey_type=survey_type, started=False)
        if i.phone_number == DEMO_RESPONDENT
    ]
    assert items, f"demo data has a pending {survey_type} interaction on survey {survey_id}"
    return items[0].id


# --- surveys -----------------------------------------------------------------


async def test_surveys_carry_the_numbers_that_route_them(sdx: SdxClient) -> None:
    surveys = {s.id: s for s in await sdx.list_surveys(limit=100, order="ASC")}
    assert surveys[52].inbound_number == "+61200000000"
    assert surveys[53].outbound_number == "+61200000001"
    assert surveys[54].sms_number == "+61200000002"
    assert [s.id async for s in sdx.iter_surveys(page_size=2)] == sorted(surveys)
    one = await sdx.get_survey(52)
    assert one.greeting_sound_file
    assert one.greeting_sound_file.startswith("https://")


async def test_survey_sub_lists(sdx: SdxClient) -> None:
    questions = await sdx.survey_questions(52, _limit=100)
    assert {q.question_type for q in questions} == {"nps", "number", "yesno", "text"}
    assert all(q.survey_id == 52 for q in questions)
    interactions = await sdx.survey_interactions(52, _limit=1000)
    assert interactions
    assert all(i.survey_id == 52 for i in interactions)
    responses = await sdx.survey_responses(52, _limit=1000)
    data = await sdx.survey_interaction_data(52, _limit=1000)
    ids = {i.id for i in interactions}
    assert all(r.interaction_id in ids for r in responses)
    assert all(d.interaction_id in ids for d in data)


async def test_unknown_survey_is_not_found(sdx: SdxClient) -> None:
    with pytest.raises(SdxNotFound):
        await sdx.get_survey(999999)


# --- interactions: the seed's curl examples ---------------------------------------


async def test_curl_list_five_outbound_interactions(sdx: SdxClient, sandbox: SandboxState) -> None:
    items = await sdx.list_interactions(52, limit=5, survey_type="outbound")
    assert len(items) <= 5
    assert all(i.survey_type == "outbound" and i.survey_id == 52 for i in items)
    (request,) = sandbox.requests
    assert request.query["survey_id"] == "52"
    assert request.query["_limit"] == "5"
    assert request.query["survey_type"] == "outbound"


async def test_curl_create_email_interaction_in_five_minutes(sdx: SdxClient) -> None:
    before = datetime.now(UTC)
    created = await sdx.create_interaction(
        52, survey_type="email", email="respondent@example.com", scheduled_at="Now + 5 minutes"
    )
    assert created.survey_type == "email"
    assert created.email == "respondent@example.com"
    assert created.scheduled_at is not None
    delta = created.scheduled_at - before
    assert timedelta(minutes=4) < delta < timedelta(minutes=6)


async def test_curl_get_update_and_delete(sdx: SdxClient) -> None:
    created = await sdx.create_interaction(52, survey_type="email", email="a@example.com")
    fetched = await sdx.get_interaction(created.id)
    assert fetched.id == created.id
    assert fetched.uuid == created.uuid

    later = datetime(2030, 5, 4, 2, 53, 49, tzinfo=UTC)
    updated = await sdx.update_interaction(fetched, scheduled_at=later, external_ref="crm-1")
    assert updated.scheduled_at == later
    assert updated.external_ref == "crm-1"
    again = await sdx.get_interaction(created.id)
    assert (again.scheduled_at, again.external_ref) == (later, "crm-1")

    await sdx.delete_interaction(created.id)
    with pytest.raises(SdxGone):
        await sdx.get_interaction(created.id)


async def test_curl_responses_and_interaction_data_of_an_interaction(sdx: SdxClient) -> None:
    created = await sdx.create_interaction(
        53, survey_type="sms", phone_number="+61400000123", data={"crm_id": "X-9"}
    )
    data = await sdx.interaction_data_for(created.id)
    assert [(d.custom_key, d.custom_value) for d in data] == [("crm_id", "X-9")]
    assert await sdx.interaction_responses(created.id) == []  # 204 -> empty list
    await sdx.start_survey(created.id)
    await sdx.submit_response(created.id, "9")
    (answer,) = await sdx.interaction_responses(created.id)
    assert answer.response == "9"
    assert answer.interaction_id == created.id


async def test_curl_start_submit_yes_and_abandon(sdx: SdxClient, sandbox: SandboxState) -> None:
    interaction_id = await pending(sdx, 52, "inbound")
    turn = await sdx.start_survey(interaction_id)
    assert not turn.completed
    assert turn.current_question is not None
    assert turn.current_question.question_type == "nps"
    assert len(turn.prompts) >= 2  # greeting and the first question

    # The reference answers "Yes"; the first question is 0..10, so SDX re-asks it.
    again = await sdx.submit_response(interaction_id, "Yes")
    assert again.current_question is not None
    assert again.current_question.id == turn.current_question.id

    ended = await sdx.abandon_survey(interaction_id)
    assert ended.survey_completed
    assert ended.current_question is None
    assert sandbox.store.responses_for(interaction_id) == []


# --- interactions: the rest ---------------------------------------------------


async def test_whole_survey_through_the_client(sdx: SdxClient, sandbox: SandboxState) -> None:
    interaction_id = await pending(sdx, 54, "sms")
    turn = await sdx.start_survey(interaction_id)
    answers = {"nps": "9", "number": "4", "yesno": "yes", "text": "Quick and friendly."}
    seen = []
    while not turn.completed:
        assert turn.current_question is not None
        kind = turn.current_question.question_type
        assert kind is not None
        seen.append(kind)
        turn = await sdx.submit_response(interaction_id, answers[kind])
    assert seen == ["nps", "number", "yesno", "text"]
    assert turn.prompts  # closing text
    stored = [r.response for r in await sdx.interaction_responses(interaction_id)]
    assert stored == ["9", "4", "Yes", "Quick and friendly."]
    assert len(sandbox.store.responses_for(interaction_id)) == 4
    finished = await sdx.list_interactions(54, completed=True, survey_ended=True, limit=1000)
    assert interaction_id in {i.id for i in finished}


async def test_start_survey_resumes(sdx: SdxClient) -> None:
    interaction_id = await pending(sdx, 53, "outbound")
    first = await sdx.start_survey(interaction_id)
    assert first.current_question is not None
    await sdx.submit_response(interaction_id, "10")
    resumed = await sdx.start_survey(interaction_id)
    assert resumed.current_question is not None
    assert resumed.current_question.order != first.current_question.order
    assert resumed.current_question.question_type == "number"


async def test_submit_before_start_behaves_as_start(sdx: SdxClient, sandbox: SandboxState) -> None:
    interaction_id = await pending(sdx, 53, "outbound")
    turn = await sdx.submit_response(interaction_id, "7")
    assert turn.current_question is not None
    assert turn.current_question.question_type == "nps"
    assert sandbox.store.responses_for(interaction_id) == []


async def test_pending_duplicate_conflicts_unless_forced(sdx: SdxClient) -> None:
    with pytest.raises(SdxConflict):
        await sdx.create_interaction(52, survey_type="inbound", phone_number=DEMO_RESPONDENT)
    forced = await sdx.create_interaction(
        52, survey_type="inbound", phone_number=DEMO_RESPONDENT, force_new=True, external_ref="CA1"
    )
    assert forced.phone_number == DEMO_RESPONDENT
    found = await sdx.list_interactions(52, external_ref="CA1")
    assert [i.id for i in found] == [forced.id]


async def test_create_requires_a_phone_for_voice(sdx: SdxClient) -> None:
    with pytest.raises(SdxBadRequest):
        await sdx.create_interaction(52, survey_type="inbound")


async def test_started_interaction_cannot_be_deleted(sdx: SdxClient) -> None:
    interaction_id = await pending(sdx, 52, "inbound")
    await sdx.start_survey(interaction_id)
    with pytest.raises(SdxConflict):
        await sdx.delete_interaction(interaction_id)


async def test_include_responses_and_data(sdx: SdxClient) -> None:
    created = await sdx.create_interaction(
        54, survey_type="sms", phone_number="+61400000456", data={"store": "Bondi"}
    )
    await sdx.start_survey(created.id)
    await sdx.submit_response(created.id, "8")
    full = await sdx.get_interaction(created.id, include_responses=True, include_data=True)
    assert full.responses is not None
    assert [r.response for r in full.responses] == ["8"]
    assert full.interaction_data is not None
    assert [(d.custom_key, d.custom_value) for d in full.interaction_data] == [("store", "Bondi")]
    listed = await sdx.list_interactions(54, external_ref=None, include_data=True, limit=1000)
    assert any(i.interaction_data for i in listed)


async def test_empty_list_is_204_and_reads_as_empty(sdx: SdxClient, sandbox: SandboxState) -> None:
    assert await sdx.list_interactions(52, external_ref="no-such-ref") == []
    assert sandbox.requests[-1].status == 204


async def test_paging_past_1000_items(sdx: SdxClient) -> None:
    semaphore = asyncio.Semaphore(32)

    async def create(n: int) -> int:
        async with semaphore:
            made = await sdx.create_interaction(
                53, survey_type="web", email=f"bulk{n}@example.com", call_type="bulk"
            )
            return made.id

    created = await asyncio.gather(*(create(n) for n in range(1005)))
    seen = [i.id async for i in sdx.iter_interactions(53, call_type="bulk")]
    assert seen == sorted(created)  # every one, once, in id order
    assert len(seen) == 1005


# --- questions, responses, interaction data, users, phone numbers ---------------------


async def test_questions(sdx: SdxClient) -> None:
    nps = await sdx.list_questions(survey_id=52, question_type="nps")
    assert len(nps) == 1
    question = await sdx.get_question(nps[0].id)
    assert question.question_type == "nps"
    assert question.question_text
    with pytest.raises(SdxNotFound):
        await sdx.get_question(999999)


async def test_question_and_top_level_responses(sdx: SdxClient) -> None:
    interaction_id = await pending(sdx, 52, "inbound")
    turn = await sdx.start_survey(interaction_id)
    assert turn.current_question is not None
    question_id = turn.current_question.id
    await sdx.submit_response(interaction_id, "6")
    by_question = await sdx.question_responses(question_id, _limit=1000)
    assert "6" in [r.response for r in by_question]
    (mine,) = await sdx.list_responses(interaction_id=interaction_id)
    assert mine.question_id == question_id
    assert (await sdx.get_response(mine.id)).response == "6"
    exact = await sdx.list_responses(survey_id=52, response="6", _limit=1000)
    assert mine.id in {r.id for r in exact}
    with pytest.raises(SdxBadRequest):
        await sdx.list_responses()


async def test_interaction_data_set_overwrite_get_delete(sdx: SdxClient) -> None:
    interaction_id = await pending(sdx, 53, "outbound")
    first = await sdx.set_interaction_data(interaction_id, "gateway_attempts", "1")
    second = await sdx.set_interaction_data(interaction_id, "gateway_attempts", "2")
    assert second.id == first.id  # overwritten, not added
    assert (await sdx.get_interaction_data(first.id)).custom_value == "2"
    listed = await sdx.list_interaction_data(
        interaction_id=interaction_id, custom_key="gateway_attempts"
    )
    assert [d.custom_value for d in listed] == ["2"]
    await sdx.delete_interaction_data(first.id)
    assert (
        await sdx.list_interaction_data(
            interaction_id=interaction_id, custom_key="gateway_attempts"
        )
        == []
    )
    with pytest.raises(SdxBadRequest):
        await sdx.list_interaction_data()


async def test_users(sdx: SdxClient) -> None:
    users = await sdx.list_users(_limit=100)
    assert users
    someone = users[0]
    assert (await sdx.get_user(someone.email)).email == someone.email
    agents_work = await sdx.user_interactions(someone.email, _limit=1000)
    assert all(i.agent_id == someone.agent_id for i in agents_work)
    with pytest.raises(SdxNotFound):
        await sdx.get_user("nobody@example.com")


async def test_phone_number_lookup(sdx: SdxClient) -> None:
    info = await sdx.lookup_phone_number("+61409999999", country_code="AU")
    assert info.phone_number == "+61409999999"
    assert info.phone_type == "mobile"
    assert info.country_code == "AU"
    with pytest.raises(SdxNotFound):
        await sdx.lookup_phone_number("12", country_code="AU")
