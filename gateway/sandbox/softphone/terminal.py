"""``Terminal``: the console on stdin and stdout.

Standard input is read by a daemon thread with ``os.read`` on the file
descriptor and handed to the event loop line by line. A thread, because
stdin may be a terminal, a pipe or a file, and the event loop cannot watch
all three; a daemon thread with no Python buffer, so a read still waiting
when the command ends (Ctrl-C, the call hung up) never holds up the exit.

On a terminal the prompt is written before the user types, and a line
that arrives meanwhile (a text message) is put above it. Otherwise (a pipe,
a script) nobody sees the typing, so each prompt is written with the line
read, and the output reads as a transcript.
"""

from __future__ import annotations

import asyncio
import codecs
import os
import sys
import threading
from typing import TextIO

Lines = asyncio.Queue[str | None]


def _put(loop: asyncio.AbstractEventLoop, lines: Lines, line: str | None) -> bool:
    try:
        loop.call_soon_threadsafe(lines.put_nowait, line)
    except RuntimeError:  # the loop is closed: the command is over
        return False
    return True


def _read_lines(fd: int, loop: asyncio.AbstractEventLoop, lines: Lines) -> None:
    """Queue each line read from ``fd`` (without its newline), then None at the end."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pending = ""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            chunk = b""
        pending += decoder.decode(chunk, final=not chunk)
        *complete, pending = pending.split("\n")
        for line in complete:
            if not _put(loop, lines, line.removesuffix("\r")):
                return
        if not chunk:
            if pending:
                _put(loop, lines, pending)
            _put(loop, lines, None)
            return


class Terminal:
    def __init__(self, fd: int = 0, out: TextIO | None = None) -> None:
        self._fd = fd  # 0: standard input, read below Python's sys.stdin
        self._out = out or sys.stdout
        self._interactive = os.isatty(self._fd)
        self._lines: Lines | None = None
        self._prompt: str | None = None  # on screen, waiting for the user's line
        self._line_closed = False  # a read was cancelled and ended its prompt's line

    def show(self, text: str) -> None:
        if self._prompt is not None:
            # Clear the prompt line, show the text, then the prompt again below it.
            self._write(f"\r\x1b[K{text}\n{self._prompt}")
        else:
            self._write(f"{text}\n")

    async def read(self, prompt: str) -> str | None:
        lines = self._start()
        if self._interactive:
            self._write(prompt)
            self._prompt = prompt
        try:
            line = await lines.get()
        except asyncio.CancelledError:
            if self._interactive:
                self._write("\n")  # whatever ends the command starts on a line of its own
                self._line_closed = True
            raise
        finally:
            self._prompt = None
        if self._interactive and line is None:
            self._write("\n")  # Ctrl-D leaves the cursor after the prompt
        elif not self._interactive and line is not None:
            self._write(f"{prompt}{line}\n")
        return line

    def interrupted(self) -> None:
        """After Ctrl-C: end the line the terminal echoed ``^C`` on, unless a read did."""
        if not self._line_closed:
            self._write("\n")

    def _start(self) -> Lines:
        """The queue of lines, reading from the first time it is needed."""
        if self._lines is None:
            self._lines = asyncio.Queue()
            loop = asyncio.get_running_loop()
            reader = threading.Thread(
                target=_read_lines, args=(self._fd, loop, self._lines), daemon=True
            )
            reader.start()
        return self._lines

    def _write(self, text: str) -> None:
        self._out.write(text)
        self._out.flush()
