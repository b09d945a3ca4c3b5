"""The dispatcher dials an SDX number written without a country code in the default region.

``0412 345 678`` (an interaction imported from a CSV) is dialled as
``+61412345678`` when the default region is Australian, set or derived from
the routed numbers; read as US it is ``+10412345678``: a wrong number.
"""

from __future__ import annotations

import pytest

from gateway.sandbox.credentials import DEMO_RESPONDENT
from tests.dispatch.conftest import World
from tests.helpers.ledger import answers

LOCAL = "0412 345 678"
RESPONDENT = "+61412345678"
MISREAD = "+10412345678"  # the same digits read as a US number
OTHER = "+61400000002"  # respondent of the sandbox's interaction 1005


def imported(world: World) -> int:
    """A due outbound interaction on survey 53 whose number SDX holds in local format."""
    # The sandbox's API insists on E.164; SDX itself keeps what an import gave it.
    made = world.sdx.store.create_interaction(53, survey_type="outbound", phone_number=RESPONDENT)
    made.phone_number = LOCAL
    return made.id


def dialled(world: World) -> list[str]:
    return sorted(call.to for call in world.twilio.calls.values())


@pytest.mark.parametrize(
    "world",
    [{"gateway_default_region": "au"}, {}],
    ids=["configured-au", "derived-au"],
    indirect=True,
)
async def test_the_local_number_is_dialled_in_the_default_region(world: World) -> None:
    interaction_id = imported(world)
    for number in (DEMO_RESPONDENT, OTHER):
        world.twilio.outcomes[number] = "busy"
    world.twilio.script(RESPONDENT, ["9", "4", "1", "speech:Quick and friendly"])
    await world.dispatch_all()
    assert dialled(world) == sorted([DEMO_RESPONDENT, OTHER, RESPONDENT])
    assert answers(world.sdx, interaction_id) == ["9", "4", "Yes", "Quick and friendly"]


@pytest.mark.parametrize(
    "world",
    [{"gateway_default_region": "US"}, {"gateway_numbers": "+80012345678=53"}],
    ids=["configured-us", "fallback-us"],
    indirect=True,
)
async def test_read_as_us_the_local_number_is_a_wrong_number(world: World) -> None:
    interaction_id = imported(world)
    for number in (DEMO_RESPONDENT, OTHER, MISREAD):
        world.twilio.outcomes[number] = "busy"
    await world.dispatch_all()
    assert RESPONDENT not in dialled(world)
    assert MISREAD in dialled(world)
    assert answers(world.sdx, interaction_id) == []
