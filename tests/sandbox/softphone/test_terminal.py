"""``Terminal``: lines from a pipe or a terminal, prompts and messages on the way."""

from __future__ import annotations

import asyncio
import io
import os
import pty

from gateway.sandbox.softphone.terminal import Terminal


async def test_a_pipe_reads_as_a_transcript() -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, "9\n\nwörds\r\nlast".encode())
    os.close(write_end)
    out = io.StringIO()
    terminal = Terminal(read_end, out)
    try:
        lines = [await terminal.read("> ") for _ in range(5)]
        terminal.show("< hi")
    finally:
        os.close(read_end)

    assert lines == ["9", "", "wörds", "last", None]
    # Nobody sees the typing on a pipe, so each prompt comes with its line.
    assert out.getvalue() == "> 9\n> \n> wörds\n> last\n< hi\n"


async def test_a_terminal_keeps_the_prompt_below_what_arrives() -> None:
    master, slave = pty.openpty()
    out = io.StringIO()
    terminal = Terminal(slave, out)
    try:
        os.write(master, b"yes\n")
        assert await terminal.read("> ") == "yes"
        reading = asyncio.ensure_future(terminal.read("> "))
        await asyncio.sleep(0)  # the prompt is up, the user is typing
        terminal.show("< hi")
        os.write(master, b"\x04")  # Ctrl-D on an empty line: the end of input
        line = await asyncio.wait_for(reading, 5)
    finally:
        os.close(master)
        os.close(slave)

    assert line is None
    # The terminal echoes the typing itself; a message clears the prompt line,
    # shows itself and puts the prompt back; Ctrl-D gets its newline.
    assert out.getvalue() == "> > \r\x1b[K< hi\n> \n"
