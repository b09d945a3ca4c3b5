"""``gateway phone``: a terminal softphone for the sandbox's Twilio emulator.

A new user takes a survey from a second terminal, no accounts needed:
``phone call`` rings one of our numbers and plays the call out line by line,
``phone sms`` is a text chat with one of our numbers, and ``phone answer``
picks up the calls the dispatcher places to a number.

Modules, one idea each: ``events`` (what the emulator reports), ``sandbox``
(its HTTP API, the only place that knows URLs), ``keypad`` (what a Gather is
shown as and what a typed line means, pure), ``console`` and ``terminal``
(input and output, scripted in tests, stdin/stdout for real), ``call``,
``chat`` and ``answer`` (the three conversations), ``cli`` (the commands).
"""

from gateway.sandbox.softphone.cli import add_phone_commands, main

__all__ = ["add_phone_commands", "main"]
