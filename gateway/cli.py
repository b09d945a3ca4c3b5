"""The ``gateway`` command: serve | dispatch | sandbox | demo | phone | twilio | doctor.

Argument parsing only: each command is a function of its own package
(``gateway.run`` for the gateway's, ``gateway.sandbox`` for the sandbox's),
imported when it runs so that ``--help`` stays quick.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from gateway.config import ConfigError
from gateway.sandbox.softphone import add_phone_commands

# The sandbox's flavours (gateway.sandbox.sdx.state.FLAVOURS), written out so
# that --help does not import the sandbox; a test keeps the two the same.
SANDBOX_FLAVOURS = ("plain", "php")


def _serve(args: argparse.Namespace) -> int:
    from gateway.run.serve import serve

    return serve(args.host)


def _dispatch(args: argparse.Namespace) -> int:
    from gateway.run.dispatch import dispatch

    return dispatch()


def _twilio_configure(args: argparse.Namespace) -> int:
    from gateway.run.twilio_configure import twilio_configure

    return twilio_configure(dry_run=args.dry_run)


def _doctor(args: argparse.Namespace) -> int:
    from gateway.run.doctor import doctor

    return doctor()


def _sandbox(args: argparse.Namespace) -> int:
    from gateway.sandbox.app import run_sandbox

    return run_sandbox(args.host, args.port, args.flavour)


def _demo(args: argparse.Namespace) -> int:
    from gateway.sandbox.demo import demo

    return demo(args.host, args.port, args.sandbox_port, args.flavour)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gateway", description="Voice/SMS survey gateway between Twilio and Survey Dynamix."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve", help="run the webhook server", description="Run the Twilio webhook server."
    )
    serve.add_argument("--host", default="0.0.0.0", help="address to bind (default 0.0.0.0)")  # noqa: S104
    serve.set_defaults(run=_serve)

    dispatch = commands.add_parser(
        "dispatch",
        help="place due outbound calls and first SMS (the Procfile's worker)",
        description="Run the outbound dispatcher: dial due outbound interactions and send "
        "the first message of due sms interactions, across any number of replicas.",
    )
    dispatch.set_defaults(run=_dispatch)

    twilio = commands.add_parser(
        "twilio",
        help="set up the Twilio account for this gateway",
        description="Twilio account set-up.",
    )
    twilio_commands = twilio.add_subparsers(dest="twilio_command", required=True, metavar="COMMAND")
    configure = twilio_commands.add_parser(
        "configure",
        help="point every routed number's webhooks at GATEWAY_PUBLIC_URL",
        description="For each routed number, set Voice URL /twilio/voice (POST), status "
        "callback /twilio/voice/status and Messaging URL /twilio/sms under "
        "GATEWAY_PUBLIC_URL, showing the current and new values.",
    )
    configure.add_argument("--dry-run", action="store_true", help="show, change nothing")
    configure.set_defaults(run=_twilio_configure)

    doctor = commands.add_parser(
        "doctor",
        help="check settings, SDX, Twilio, Redis and the numbers",
        description="Check every setting and dependency, one line each, with a fix for "
        "each failure. Exit status 1 if any check fails.",
    )
    doctor.set_defaults(run=_doctor)

    sandbox = commands.add_parser(
        "sandbox",
        help="run a local SDX API (demo surveys) and Twilio REST emulator",
        description="Run the sandbox: an in-memory Survey Dynamix API under /api and a "
        "Twilio REST emulator under /twilio that places calls by signed webhooks.",
    )
    sandbox.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    sandbox.add_argument("--port", type=int, default=8081, help="port (default 8081)")
    sandbox.add_argument(
        "--flavour",
        choices=SANDBOX_FLAVOURS,
        default="plain",
        help="how the SDX API answers: plain (as documented) or php (strings for ids and "
        "flags, Laravel validation, capped pages, ...; see gateway/sandbox/sdx/php.py)",
    )
    sandbox.set_defaults(run=_sandbox)

    demo = commands.add_parser(
        "demo",
        help="sandbox SDX + gateway in one process, no accounts needed",
        description="Run the embedded demo: SDX sandbox and gateway, in-memory sessions.",
    )
    demo.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    demo.add_argument("--port", type=int, default=8080, help="gateway port (default 8080)")
    demo.add_argument("--sandbox-port", type=int, default=8081, help="SDX sandbox port (8081)")
    demo.add_argument(
        "--flavour",
        choices=SANDBOX_FLAVOURS,
        default="plain",
        help="how the SDX sandbox answers (see gateway sandbox --help)",
    )
    demo.set_defaults(run=_demo)

    add_phone_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except ConfigError as exc:
        print(f"gateway: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    return code
