"""The commands' arguments, and how they hang under ``gateway``."""

from __future__ import annotations

import argparse
import io

import pytest

from gateway.sandbox.softphone.cli import (
    add_phone_commands,
    build_parser,
    run_in_terminal,
    run_phone,
)
from gateway.sandbox.softphone.sandbox import DEFAULT_SANDBOX
from tests.sandbox.softphone.conftest import RESPONDENT, ScriptedConsole, World


def gateway_parser() -> argparse.ArgumentParser:
    """What ``gateway/cli.py`` builds, with the phone commands added."""
    parser = argparse.ArgumentParser(prog="gateway")
    add_phone_commands(parser.add_subparsers(dest="command", required=True))
    return parser


def test_under_gateway() -> None:
    args = gateway_parser().parse_args(
        ["phone", "call", "--from", RESPONDENT, "--to", "+61200000000"]
    )
    assert (args.caller, args.callee, args.sandbox) == (RESPONDENT, "+61200000000", DEFAULT_SANDBOX)
    assert args.run is run_in_terminal  # what gateway's main calls: args.run(args) -> int

    answer = gateway_parser().parse_args(
        ["phone", "answer", "--number", RESPONDENT, "--once", "--sandbox", "http://h:1/twilio"]
    )
    assert (answer.number, answer.once, answer.sandbox) == (RESPONDENT, True, "http://h:1/twilio")


@pytest.mark.parametrize("command", [[], ["call"], ["sms"], ["answer"]])
def test_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        gateway_parser().parse_args(["phone", *command, "--help"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: gateway phone {' '.join(command)}".strip())


def test_numbers_must_be_e164(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["sms", "--from", "0409999999", "--to", "+61200000002"])
    assert "'0409999999' is not an E.164 number" in capsys.readouterr().err


async def test_a_url_without_the_emulator_is_one_line(world: World) -> None:
    sdx_only = world.sandbox_url.removesuffix("/twilio")  # the sandbox, but not /twilio
    argv = ["call", "--from", RESPONDENT, "--to", "+61200000000", "--sandbox", sdx_only]
    errors = io.StringIO()

    assert await run_phone(build_parser().parse_args(argv), ScriptedConsole(), errors) == 1

    assert errors.getvalue() == (
        f"gateway phone: no Twilio emulator at {sdx_only} (HTTP 404); the sandbox serves "
        f"it under /twilio, e.g. {DEFAULT_SANDBOX}\n"
    )
