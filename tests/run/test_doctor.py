"""`gateway doctor` against the sandbox and the Twilio emulator."""

from __future__ import annotations

from gateway.config import Settings
from gateway.run.doctor import check_region, run_checks
from gateway.run.twilio_configure import configure
from gateway.sandbox.twilio import TwilioState
from gateway.survey.routing import Table
from tests.helpers.servers import free_port


async def test_doctor_fails_then_passes(setup: tuple[Settings, TwilioState]) -> None:
    settings, _ = setup
    lines: list[str] = []
    failed = await run_checks(settings, lines.append)
    text = "\n".join(lines)
    assert failed == 4  # three numbers not pointing here yet, and the demo secrets
    assert "ok    public URL: https://gw.example.com" in text
    assert (
        "FAIL  exposure: TWILIO_AUTH_TOKEN is the published demo value, allowed only with a "
        "loopback GATEWAY_PUBLIC_URL: set the real secret"
    ) in text
    assert "ok    redis: answers PING" in text
    assert "ok    SDX credentials:" in text
    assert "ok    Twilio credentials:" in text
    assert "FAIL  number +61200000000: does not point at this gateway" in text
    assert "fix: run: gateway twilio configure" in text
    await configure(settings, dry_run=False, say=lambda _: None)
    lines.clear()
    assert await run_checks(settings, lines.append) == 1
    assert [line for line in lines if line.startswith("FAIL")] == [
        lines[[line.startswith("FAIL  exposure") for line in lines].index(True)]
    ]


async def test_doctor_names_each_broken_dependency(setup: tuple[Settings, TwilioState]) -> None:
    settings, _ = setup
    broken = settings.model_copy(
        update={
            "gateway_public_url": "http://gw.example.com",
            "redis_url": f"redis://127.0.0.1:{free_port()}/0",
            "sdx_auth_token": type(settings.sdx_auth_token)("wrong")
            if settings.sdx_auth_token
            else None,
            "twilio_auth_token": type(settings.twilio_auth_token)("wrong"),
            "gateway_validate_signatures": False,
        }
    )
    lines: list[str] = []
    failed = await run_checks(broken, lines.append)
    text = "\n".join(lines)
    assert failed == 6
    assert "FAIL  public URL: http://gw.example.com is not https" in text
    assert "FAIL  webhook signatures" in text
    assert "FAIL  exposure: GATEWAY_VALIDATE_SIGNATURES=false is allowed only" in text
    assert "FAIL  redis:" in text
    assert "FAIL  SDX credentials:" in text
    assert "answered 401" in text
    assert "FAIL  Twilio credentials:" in text
    assert "check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN" in text


async def test_doctor_shows_the_default_region_and_where_it_came_from(
    setup: tuple[Settings, TwilioState],
) -> None:
    settings, _ = setup
    lines: list[str] = []
    await run_checks(settings, lines.append)
    assert "ok    default region: AU (routed number +61200000000)" in lines
    lines.clear()
    await run_checks(settings.model_copy(update={"gateway_default_region": "NZ"}), lines.append)
    assert "ok    default region: NZ (GATEWAY_DEFAULT_REGION)" in lines


def test_doctor_warns_when_the_routed_numbers_span_regions(
    setup: tuple[Settings, TwilioState],
) -> None:
    settings, _ = setup
    table: Table = {"voice": {"+61200000000": (52,), "+6491234567": (53,)}, "sms": {}}
    check = check_region(settings, table)
    assert (check.level, check.detail) == (
        "warn",
        "AU (routed number +61200000000), but the routed numbers are in AU, NZ",
    )
    assert "GATEWAY_DEFAULT_REGION" in check.fix
    configured = settings.model_copy(update={"gateway_default_region": "NZ"})
    assert check_region(configured, table).level == "ok"
    # SDX unreachable: the region is unknown unless configured.
    assert check_region(settings, None).level == "warn"
    assert check_region(configured, None).detail == "NZ (GATEWAY_DEFAULT_REGION)"


async def test_doctor_warns_of_the_retired_index_ttl(setup: tuple[Settings, TwilioState]) -> None:
    settings, _ = setup
    lines: list[str] = []
    await run_checks(settings, lines.append)
    assert not any("GATEWAY_INDEX_TTL" in line for line in lines)
    retired = settings.model_copy(update={"gateway_index_ttl": 300})
    lines.clear()
    await run_checks(retired, lines.append)
    (warning,) = [line for line in lines if "GATEWAY_INDEX_TTL" in line.split(":")[0]]
    assert warning.startswith("warn")
    assert "GATEWAY_RECONCILE_INTERVAL" in warning
