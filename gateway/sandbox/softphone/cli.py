"""``gateway phone call | sms | answer``: the softphone's commands.

``add_phone_commands`` hangs them under ``gateway``; ``main`` runs them on
their own (``python -m gateway.sandbox.softphone``). Exit status: 0 when the call or
chat ends normally, 1 when the sandbox cannot be reached or refuses (one
line on stderr) or the call failed, 130 after Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TextIO

import aiohttp

from gateway.sandbox.softphone.answer import answer_calls
from gateway.sandbox.softphone.call import call_number
from gateway.sandbox.softphone.chat import chat
from gateway.sandbox.softphone.console import Console
from gateway.sandbox.softphone.errors import SandboxError, SandboxRefused
from gateway.sandbox.softphone.sandbox import DEFAULT_SANDBOX, SandboxPhone
from gateway.sandbox.softphone.terminal import Terminal

Work = Callable[[SandboxPhone, Console, argparse.Namespace], Awaitable[int]]

_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
INTERRUPTED = 130  # what shells report for a command stopped by Ctrl-C


def _number(value: str) -> str:
    if not _E164.fullmatch(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not an E.164 number like +61409999999")
    return value


def _exit_status(status: str | None) -> int:
    return 1 if status == "failed" else 0


async def _call(phone: SandboxPhone, console: Console, args: argparse.Namespace) -> int:
    return _exit_status(await call_number(phone, console, args.caller, args.callee))


async def _sms(phone: SandboxPhone, console: Console, args: argparse.Namespace) -> int:
    await chat(phone, console, args.caller, args.callee)
    return 0


async def _answer(phone: SandboxPhone, console: Console, args: argparse.Namespace) -> int:
    return _exit_status(await answer_calls(phone, console, args.number, once=args.once))


def explain(error: SandboxError) -> str:
    """The one line the user sees; a number without webhooks means no gateway behind it."""
    if not isinstance(error, SandboxRefused):
        return str(error)
    text = f"the sandbox refused: {error}"
    if "has no VoiceUrl" in text or "has no SmsUrl" in text:
        text += " (is the gateway running? 'make demo' points the demo numbers at it)"
    return text


async def run_phone(
    args: argparse.Namespace, console: Console, errors: TextIO | None = None
) -> int:
    """Run the parsed command on ``console``, with one HTTP session for all of it."""
    async with aiohttp.ClientSession() as http:
        try:
            work: Work = args.work
            return await work(SandboxPhone(http, args.sandbox), console, args)
        except SandboxError as exc:
            print(f"gateway phone: {explain(exc)}", file=errors or sys.stderr)
            return 1


def run_in_terminal(args: argparse.Namespace) -> int:
    """The command on stdin/stdout; Ctrl-C ends it quietly (the call is hung up first)."""
    terminal = Terminal()
    # A process started in the background by a shell (or a CI runner) inherits
    # SIGINT ignored, and then asyncio.run leaves it so: Ctrl-C (or a script's
    # kill -INT) must still hang the call up.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return asyncio.run(run_phone(args, terminal))
    except KeyboardInterrupt:
        terminal.interrupted()
        return INTERRUPTED


def _common(parser: argparse.ArgumentParser, work: Work) -> None:
    parser.add_argument(
        "--sandbox",
        default=DEFAULT_SANDBOX,
        metavar="URL",
        help="the Twilio emulator of 'gateway demo' or 'gateway sandbox' "
        f"(default {DEFAULT_SANDBOX})",
    )
    parser.set_defaults(run=run_in_terminal, work=work)


def _parties(parser: argparse.ArgumentParser, to_help: str) -> None:
    parser.add_argument(
        "--from",
        dest="caller",
        required=True,
        type=_number,
        metavar="NUMBER",
        help="your number as the respondent (the demo respondent is +61409999999)",
    )
    parser.add_argument(
        "--to", dest="callee", required=True, type=_number, metavar="NUMBER", help=to_help
    )


def _add_subcommands(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="phone_command", required=True, metavar="COMMAND")
    call = commands.add_parser(
        "call",
        help="call one of our numbers and take the survey from the terminal",
        description="Place a call to one of our numbers through the sandbox's Twilio "
        "emulator and play it out here: you see what is said ([audio: url] for sound "
        "files), and answer with digits for keys, words for speech, Enter for silence; "
        "Ctrl-D hangs up.",
    )
    _parties(call, "the number to call (the demo's inbound survey is on +61200000000)")
    _common(call, _call)

    sms = commands.add_parser(
        "sms",
        help="text one of our numbers: an SMS survey as a chat",
        description="Chat by SMS with one of our numbers through the sandbox: messages "
        "already sent to you are shown first, each line you type is sent, replies and "
        "later messages appear as they arrive. An empty line sends nothing; Ctrl-D ends.",
    )
    _parties(sms, "the number to text (the demo's SMS survey is on +61200000002)")
    _common(sms, _sms)

    answer = commands.add_parser(
        "answer",
        help="wait for calls to a number (e.g. from the dispatcher) and answer them",
        description="Wait for outbound calls placed to NUMBER through the sandbox, "
        "announce each, and take it as 'phone call' does. Ctrl-C stops waiting.",
    )
    answer.add_argument(
        "--number",
        required=True,
        type=_number,
        help="the number that is called (the demo respondent is +61409999999)",
    )
    answer.add_argument("--once", action="store_true", help="stop after one call")
    _common(answer, _answer)


def add_phone_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Add ``phone call | sms | answer`` to the ``gateway`` command's sub-commands."""
    phone = commands.add_parser(
        "phone",
        help="a terminal softphone for the sandbox: call, text or answer our numbers",
        description="Try the gateway as a respondent would, against the sandbox's Twilio "
        "emulator ('make demo' runs it): no Twilio account, no phone.",
    )
    _add_subcommands(phone)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gateway phone",
        description="A terminal softphone for the sandbox's Twilio emulator.",
    )
    _add_subcommands(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m gateway.sandbox.softphone call ...``: the same as ``gateway phone call ...``."""
    args = build_parser().parse_args(argv)
    status: int = args.run(args)
    return status
