"""Finding, creating and starting a respondent's interaction: the steps both channels share."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.sdx import Fault, SandboxState
from gateway.sdx import SdxClient
from gateway.sdx.errors import SdxError
from gateway.survey.pending import PendingInteractions, StartFailed
from gateway.survey.routing import Channel, NumberRouter
from tests.helpers.feed import fed
from tests.helpers.ledger import START, count

INBOUND, SMS = "+61200000000", "+61200000002"  # surveys 52 and 54
STRANGER = "+61400000555"

Make = Callable[..., PendingInteractions]


@pytest.fixture
def make(sdx: SdxClient) -> Make:
    def make(create: bool = False) -> PendingInteractions:
        # The default region derived from the sandbox's (Australian) numbers.
        router = NumberRouter(sdx, None, refresh=300, region=None)
        index = fed(sdx, min_age=0, region=router.region_code).index
        return PendingInteractions(sdx=sdx, index=index, router=router, create=create)

    return make


async def test_a_call_starts_the_callers_inbound_interaction(
    make: Make, sandbox: SandboxState
) -> None:
    started = await make().start(INBOUND, "+61 409 999 999", "voice", ref="CA1")
    assert started is not None
    assert (started.interaction.id, started.interaction.survey_id) == (1001, 52)
    assert started.turn.current_question is not None
    assert sandbox.store.interaction(1001).started


async def test_a_started_interaction_leaves_the_agenda(sdx: SdxClient) -> None:
    """The dispatcher never texts first a survey the respondent began (an
    inbound one was never on the agenda)."""
    router = NumberRouter(sdx, None, refresh=300, region=None)
    parts = fed(sdx, min_age=0, region=router.region_code)
    pending = PendingInteractions(sdx=sdx, index=parts.index, router=router, create=False)
    await parts.feed.look(54)  # the SMS survey's pass plans its first text
    planned = await parts.agenda.size()
    assert planned > 0
    assert await pending.start(INBOUND, DEMO_RESPONDENT, "voice", ref="CA1") is not None
    assert await parts.agenda.size() == planned
    started = await pending.start(SMS, DEMO_RESPONDENT, "sms", ref="SM1")
    assert started is not None
    assert await parts.agenda.size() == planned - 1
    taken = await parts.agenda.take(float("inf"), 1000, 0)
    assert started.interaction.id not in {plan.id for plan in taken}


async def test_a_text_takes_the_sms_interaction(make: Make) -> None:
    started = await make().start(SMS, DEMO_RESPONDENT, "sms", ref="SM1")
    assert started is not None
    assert started.interaction.id == 1003


async def test_unrouted_numbers_and_unknown_respondents_start_nothing(
    make: Make, sandbox: SandboxState
) -> None:
    pending = make()
    assert await pending.start("+61299999999", DEMO_RESPONDENT, "voice", ref="CA1") is None
    assert await pending.start(INBOUND, STRANGER, "voice", ref="CA1") is None
    assert await pending.start(INBOUND, "anonymous", "voice", ref="CA1") is None
    assert count(sandbox, START) == 0


@pytest.mark.parametrize(
    ("number", "channel", "kind"), [(INBOUND, "voice", "inbound"), (SMS, "sms", "sms")]
)
async def test_created_for_a_stranger_when_allowed(
    make: Make, sandbox: SandboxState, number: str, channel: Channel, kind: str
) -> None:
    started = await make(create=True).start(number, STRANGER, channel, ref="REF-1")
    assert started is not None
    created = sandbox.store.interaction(started.interaction.id)
    assert (created.survey_type, created.phone_number, created.external_ref) == (
        kind,
        STRANGER,
        "REF-1",
    )


async def test_a_conflict_on_create_finds_the_one_sdx_has(
    make: Make, sandbox: SandboxState
) -> None:
    pending = make(create=True)
    assert await pending.find(INBOUND, STRANGER, "voice", ref="CA1") is not None
    # A second create for the same person answers 409: the one made above is
    # found by listing again, not created twice.
    again = await make(create=True).find(INBOUND, STRANGER, "voice", ref="CA2")
    ours = [i for i in sandbox.store.interactions.values() if i.phone_number == STRANGER]
    assert again is not None
    assert [i.id for i in ours] == [again.id]


async def test_a_stale_index_entry_is_dropped_and_the_search_made_again(
    make: Make, sdx: SdxClient, sandbox: SandboxState
) -> None:
    pending = make()
    await pending.find(INBOUND, DEMO_RESPONDENT, "voice", ref="CA1")  # indexed
    # Completed elsewhere (on the web) while the index still lists it.
    await sdx.start_survey(1001)
    await sdx.abandon_survey(1001)
    assert await pending.start(INBOUND, DEMO_RESPONDENT, "voice", ref="CA1") is None
    assert count(sandbox, START) == 2  # the web's start, and ours that found it over


async def test_sdx_failing_to_start_names_the_interaction_found(
    make: Make, sandbox: SandboxState
) -> None:
    sandbox.faults.add(Fault(method="POST", path=START, status=500))
    with pytest.raises(StartFailed) as failed:
        await make().start(INBOUND, DEMO_RESPONDENT, "voice", ref="CA1")
    assert failed.value.interaction.id == 1001
    assert isinstance(failed.value.error, SdxError)


@pytest.mark.parametrize("status", [409, 410, 404])
async def test_an_interaction_sdx_says_is_over_is_dropped_and_the_search_made_again(
    make: Make, sdx: SdxClient, sandbox: SandboxState, status: int
) -> None:
    """A PHP SDX may answer start_survey on an interaction completed or deleted
    elsewhere with a 409 / 410 / 404 rather than a closing turn: the same
    meaning, so the caller is told there is no survey (once, not the apology
    on every call until the index expires)."""
    pending = make()
    await pending.find(INBOUND, DEMO_RESPONDENT, "voice", ref="CA1")  # indexed
    await sdx.start_survey(1001)
    await sdx.abandon_survey(1001)  # over in SDX; the index still lists it
    sandbox.faults.add(Fault(method="POST", path=START, status=status, times=1))
    assert await pending.start(INBOUND, DEMO_RESPONDENT, "voice", ref="CA1") is None
    assert count(sandbox, START) == 2  # the web's start, and ours that got the status
