from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from gateway.logging import REDACTED, bind_context, clear_context, configure_logging, get_logger


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    configure_logging("json", "DEBUG", stream=buffer)
    yield buffer
    clear_context()
    structlog.reset_defaults()
    logging.getLogger().handlers.clear()


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_json_lines_with_request_context(stream: io.StringIO) -> None:
    bind_context(request_id="r-1", call_sid="CA" + "0" * 32)
    get_logger("t").info("turn", route="/twilio/voice")
    (line,) = lines(stream)
    assert line["event"] == "turn"
    assert line["request_id"] == "r-1"
    assert line["call_sid"] == "CA" + "0" * 32
    assert line["level"] == "info"
    assert "timestamp" in line


class _Writes(io.StringIO):
    """A stream that keeps each write apart (as unbuffered stdout makes each a system call)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


@pytest.mark.parametrize("log_format", ["json", "console"])
def test_each_line_is_one_write(log_format: str) -> None:
    writes = _Writes()
    configure_logging(log_format, "INFO", stream=writes)
    try:
        get_logger("t").info("webhook", route="/twilio/voice", status=200)
        logging.getLogger("aiohttp.server").warning("from the standard library")
    finally:
        structlog.reset_defaults()
        logging.getLogger().handlers.clear()
    assert len(writes.writes) == 2
    assert all(w.endswith("\n") and w.count("\n") == 1 for w in writes.writes)
    assert "webhook" in writes.writes[0]
    assert "from the standard library" in writes.writes[1]


def test_phone_numbers_are_masked_wherever_they_appear(stream: io.StringIO) -> None:
    get_logger("t").info(
        "call from +61409999999",
        caller="+61409999999",
        nested={"to": ["+14155550100"]},
        url="/twilio/voice?From=%2B61409999999",
    )
    raw = stream.getvalue()
    assert "61409999999" not in raw
    assert "4155550100" not in raw
    (line,) = lines(stream)
    assert line["event"] == "call from +6140****999"
    assert line["caller"] == "+6140****999"
    assert line["nested"] == {"to": ["+1415****100"]}


def test_bodies_and_tokens_are_never_written(stream: io.StringIO) -> None:
    get_logger("t").info(
        "sms",
        Body="my secret answer",
        auth_token="tok-123",
        form={"Body": "hi there", "Authorization": "Basic abc", "CallSid": "CA1"},
    )
    raw = stream.getvalue()
    for secret in ("my secret answer", "tok-123", "hi there", "Basic abc"):
        assert secret not in raw
    (line,) = lines(stream)
    assert line["Body"] == REDACTED
    assert line["form"] == {"Body": REDACTED, "Authorization": REDACTED, "CallSid": "CA1"}


def test_exception_text_is_masked(stream: io.StringIO) -> None:
    try:
        raise ValueError("bad number +61409999999")
    except ValueError:
        get_logger("t").exception("failed")
    raw = stream.getvalue()
    assert "61409999999" not in raw
    assert "+6140****999" in raw


def test_stdlib_loggers_share_format_and_masking(stream: io.StringIO) -> None:
    logging.getLogger("aiohttp.server").error("peer +61409999999 went away")
    (line,) = lines(stream)
    assert line["event"] == "peer +6140****999 went away"
    assert line["level"] == "error"


def test_console_format_is_masked_too() -> None:
    buffer = io.StringIO()
    configure_logging("console", "INFO", stream=buffer)
    try:
        get_logger("t").info("hello", caller="+61409999999")
        get_logger("t").debug("hidden")
        try:
            raise ValueError("bad number +61409999998")
        except ValueError:
            get_logger("t").exception("failed")
    finally:
        structlog.reset_defaults()
        logging.getLogger().handlers.clear()
    out = buffer.getvalue()
    assert "hello" in out
    assert "+6140****999" in out
    assert "61409999999" not in out
    assert "61409999998" not in out
    assert "ValueError: bad number +6140****998" in out
    assert "hidden" not in out


def test_every_kind_of_value_is_scrubbed_as_before(stream: io.StringIO) -> None:
    # Plain values take a shortcut; a str subclass, a tuple, a set and a
    # mapping inside a list still go the whole way.
    class Label(str):
        pass

    get_logger("t").info(
        "kinds",
        label=Label("+61409999999"),
        pair=("+61409999999", 7),
        numbers={"+14155550100"},
        rows=[{"password": "x", "n": 3, "ok": True, "none": None, "ratio": 0.5}],
    )
    (line,) = lines(stream)
    assert line["label"] == "+6140****999"
    assert line["pair"] == ["+6140****999", 7]
    assert line["numbers"] == ["+1415****100"]
    assert line["rows"] == [{"password": REDACTED, "n": 3, "ok": True, "none": None, "ratio": 0.5}]


def test_a_final_configuration_keeps_each_logger_once_built() -> None:
    # gateway serve / dispatch configure once: a module's logger is built on
    # its first line and then reused, so each line skips rebuilding it.
    buffer = io.StringIO()
    try:
        configure_logging("json", "INFO", stream=buffer, final=True)
        assert structlog.get_config()["cache_logger_on_first_use"] is True
        log = get_logger("t")
        log.info("one")
        log.info("two")
        assert [line["event"] for line in lines(buffer)] == ["one", "two"]
        configure_logging("json", "INFO", stream=buffer)
        assert structlog.get_config()["cache_logger_on_first_use"] is False
    finally:
        clear_context()
        structlog.reset_defaults()
        logging.getLogger().handlers.clear()
