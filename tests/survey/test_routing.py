"""Twilio number -> survey routing."""

from __future__ import annotations

import pytest

from gateway.sandbox.sdx import Fault, SandboxState
from gateway.sdx import SdxClient
from gateway.sdx.errors import SdxError
from gateway.sdx.models import Survey
from gateway.survey.routing import NumberRouter, table_from_surveys


def test_table_from_survey_numbers() -> None:
    table = table_from_surveys(
        [
            Survey(id=2, inbound_number="+61 2 0000 0000", sms_number="+61200000002"),
            Survey(id=1, inbound_number="+61200000000", outbound_number="+61200000001"),
            Survey(id=3, inbound_number="", outbound_number=None, sms_number="junk"),
        ],
        "US",
    )
    assert table["voice"] == {"+61200000000": (1, 2), "+61200000001": (1,)}
    assert table["sms"] == {"+61200000002": (2,)}


async def test_static_numbers_never_ask_sdx(sdx: SdxClient, sandbox: SandboxState) -> None:
    router = NumberRouter(sdx, {"+61200000000": (52, 99)}, refresh=60, region=None)
    assert await router.surveys_for("+61 2 0000 0000", "voice") == (52, 99)
    assert await router.surveys_for("+61200000000", "sms") == (52, 99)
    assert await router.surveys_for("+61200000001", "voice") == ()
    assert sandbox.requests == []


async def test_discovered_from_sdx_surveys(sdx: SdxClient, sandbox: SandboxState) -> None:
    router = NumberRouter(sdx, None, refresh=60, region=None)
    assert await router.surveys_for("+61200000000", "voice") == (52,)
    assert await router.surveys_for("+61200000001", "voice") == (53,)  # call-backs
    assert await router.surveys_for("+61200000002", "sms") == (54,)
    assert await router.surveys_for("+61200000002", "voice") == ()
    assert await router.surveys_for("not a number", "voice") == ()
    firsts = [r for r in sandbox.requests if r.path == "/surveys" and r.query["_offset"] == "0"]
    assert len(firsts) == 1  # one listing (its empty last page proves the end)


async def test_failed_refresh_keeps_the_last_table(sdx: SdxClient, sandbox: SandboxState) -> None:
    router = NumberRouter(sdx, None, refresh=60, region=None)
    await router.refresh()
    sandbox.faults.add(Fault(method="GET", path="/surveys", status=500))
    with pytest.raises(SdxError):
        await router.refresh()
    assert await router.surveys_for("+61200000000", "voice") == (52,)


async def test_first_load_failure_is_raised(sdx: SdxClient, sandbox: SandboxState) -> None:
    sandbox.faults.add(Fault(method="GET", path="/surveys", status=500))
    router = NumberRouter(sdx, None, refresh=60, region=None)
    with pytest.raises(SdxError):
        await router.surveys_for("+61200000000", "voice")
