"""SDX numbers without a country code, read in the default region (GATEWAY_DEFAULT_REGION).

An interaction imported into SDX from a CSV may hold ``0412 345 678``; the
respondent calls from ``+61412345678``. They are one number only when the
local one is read as Australian: with GATEWAY_DEFAULT_REGION=AU, or by
default when the gateway's routed numbers are Australian. Read as US (the
only reading before the setting, and still the fallback) it is
``+10412345678``, and the caller is not found.
"""

from __future__ import annotations

from typing import Any

import pytest

from gateway.sandbox.sdx import Fault, SandboxState
from gateway.sdx import SdxClient
from gateway.sdx.errors import SdxError
from gateway.survey.routing import NumberRouter
from tests.helpers.call import Call
from tests.helpers.feed import fed
from tests.helpers.phone import Phone
from tests.helpers.settings import GatewayFactory

LOCAL = "0412 345 678"
CALLER = "+61412345678"
INBOUND, SMS = "+61200000000", "+61200000002"  # the sandbox's surveys 52 and 54
FIRST_QUESTION = "How likely are you to recommend us to a friend, from 0 to 10?"
# Routed, but in no region: nothing to derive a default from.
NON_GEOGRAPHIC = "+80012345678"


def imported(sandbox: SandboxState, survey_id: int, survey_type: Any) -> int:
    """An interaction whose number SDX holds as a CSV import left it, in local format."""
    # The sandbox's API insists on E.164; SDX itself keeps what an import gave it.
    made = sandbox.store.create_interaction(survey_id, survey_type=survey_type, phone_number=CALLER)
    made.phone_number = LOCAL
    return made.id


@pytest.mark.parametrize(
    ("settings", "called", "found"),
    [
        ({"gateway_default_region": "au"}, INBOUND, True),
        ({}, INBOUND, True),  # derived from the routed +61200000000
        ({"gateway_default_region": "US"}, INBOUND, False),
        ({"gateway_numbers": f"{NON_GEOGRAPHIC}=52"}, NON_GEOGRAPHIC, False),  # US
    ],
    ids=["configured-au", "derived-au", "configured-us", "fallback-us"],
)
async def test_an_inbound_call_finds_the_interaction_imported_in_local_format(
    start_gateway: GatewayFactory,
    sandbox: SandboxState,
    settings: dict[str, Any],
    called: str,
    found: bool,
) -> None:
    interaction_id = imported(sandbox, 52, "inbound")
    client, gateway = await start_gateway(**settings)
    call = Call(client, gateway, caller=CALLER, called=called)
    await call.start()
    assert sandbox.store.interaction(interaction_id).started is found
    if found:
        assert call.spoken()[-1] == FIRST_QUESTION
    else:
        assert call.spoken() == [gateway.gateway_no_survey_message]
        assert call.hung_up_by_gateway


@pytest.mark.parametrize(
    ("settings", "found"), [({}, True), ({"gateway_default_region": "US"}, False)]
)
async def test_a_text_finds_the_interaction_imported_in_local_format(
    start_gateway: GatewayFactory,
    sandbox: SandboxState,
    settings: dict[str, Any],
    found: bool,
) -> None:
    interaction_id = imported(sandbox, 54, "sms")
    client, gateway = await start_gateway(**settings)
    replies = await Phone(client, gateway, respondent=CALLER, number=SMS).send("Hi")
    assert sandbox.store.interaction(interaction_id).started is found
    if found:
        assert replies[-1].endswith(FIRST_QUESTION)
    else:
        assert replies == [gateway.gateway_sms_no_survey_message]


# --- where the default comes from -------------------------------------------------


async def test_configured_region_wins_and_never_asks_sdx(
    sdx: SdxClient, sandbox: SandboxState
) -> None:
    router = NumberRouter(sdx, None, refresh=60, region="NZ")
    region = await router.region()
    assert (region.code, region.source) == ("NZ", "GATEWAY_DEFAULT_REGION")
    assert sandbox.requests == []


async def test_derived_from_the_first_survey_number(sdx: SdxClient, sandbox: SandboxState) -> None:
    sandbox.store.surveys[52].inbound_number = "+64 9 123 4567"  # NZ, on the lowest id
    router = NumberRouter(sdx, None, refresh=60, region=None)
    region = await router.region()
    assert (region.code, region.source) == ("NZ", "routed number +6491234567")
    asked = len(sandbox.requests)
    assert await router.region_code() == "NZ"
    assert len(sandbox.requests) == asked  # kept with the table, not listed again


async def test_follows_the_routing_when_it_is_read_again(
    sdx: SdxClient, sandbox: SandboxState
) -> None:
    router = NumberRouter(sdx, None, refresh=60, region=None)
    assert await router.region_code() == "AU"
    sandbox.store.surveys[52].inbound_number = "+442071234567"
    assert await router.region_code() == "AU"  # the table in memory
    await router.refresh()
    assert await router.region_code() == "GB"


async def test_derived_from_the_first_static_number(sdx: SdxClient, sandbox: SandboxState) -> None:
    static = {NON_GEOGRAPHIC: (52,), "+442071234567": (53,), "+61200000002": (54,)}
    router = NumberRouter(sdx, static, refresh=60, region=None)
    region = await router.region()
    assert (region.code, region.source) == ("GB", "routed number +442071234567")
    assert sandbox.requests == []


async def test_us_when_no_routed_number_names_a_region(
    sdx: SdxClient, sandbox: SandboxState
) -> None:
    router = NumberRouter(sdx, {NON_GEOGRAPHIC: (52,)}, refresh=60, region=None)
    region = await router.region()
    assert (region.code, region.source) == ("US", "no routed number names a region")
    for survey in sandbox.store.surveys.values():
        survey.inbound_number = survey.outbound_number = survey.sms_number = ""
    assert await NumberRouter(sdx, None, refresh=60, region=None).region_code() == "US"


async def test_forgetting_a_number_never_fails_for_want_of_a_region(
    sdx: SdxClient, sandbox: SandboxState
) -> None:
    """A call that ends on a replica that could never read the routing still ends cleanly."""
    sandbox.faults.add(Fault(method="GET", path="/surveys", status=500))
    router = NumberRouter(sdx, None, refresh=60, region=None)
    index = fed(sdx, region=router.region_code).index
    await index.forget(52, CALLER)  # no SdxError
    with pytest.raises(SdxError):
        await index.find([52], CALLER, ("inbound",))  # finding needs SDX anyway
