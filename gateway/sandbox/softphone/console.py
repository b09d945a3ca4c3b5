"""The softphone's input and output, as the conversations see them.

The conversations (``call``, ``chat``, ``answer``) only talk to a
``Console``: the terminal in real use (``terminal.Terminal``), a script with
captured output in tests.
"""

from __future__ import annotations

from typing import Protocol


class Console(Protocol):
    def show(self, text: str) -> None:
        """Show one line to the user."""

    async def read(self, prompt: str) -> str | None:
        """The next line the user types after ``prompt``; None at end of input (Ctrl-D)."""
