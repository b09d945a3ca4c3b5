"""structlog set-up: JSON or console output, request-scoped context, no secrets.

Two processors run on every event before it is rendered: one drops values
that must never be logged (message bodies, tokens, auth headers), one masks
anything shaped like a phone number, wherever it appears.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from gateway.numbers import mask

# Keys whose values are never written, whatever their content (compared
# case-insensitively). "response" is a respondent's answer text.
REDACTED_KEYS = frozenset(
    {
        "body",
        "sms_body",
        "response",
        "authorization",
        "auth_token",
        "token",
        "password",
        "secret",
        "x-twilio-signature",
        "signature",
    }
)
REDACTED = "[redacted]"

# What a caller controls (a path, a To, an AnsweredBy) is logged clipped to
# this: enough to recognise, not enough to fill the logs. Anything else is
# clipped at the larger bound, so no value is ever logged unbounded.
CALLER_TEXT_LIMIT = 64
TEXT_LIMIT = 2048


def clip(text: str, limit: int = CALLER_TEXT_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, marked with how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}...[+{len(text) - limit}]"


# Values that cannot hold a number's digits as text or anything nested:
# passed through without the slower checks below (every line has some).
_PLAIN = frozenset({int, float, bool, type(None)})


def _scrub(value: Any) -> Any:
    kind = type(value)
    if kind is str:
        return mask(clip(value, TEXT_LIMIT))
    if kind in _PLAIN:
        return value
    if isinstance(value, str):  # a str subclass
        return mask(clip(value, TEXT_LIMIT))
    if isinstance(value, Mapping):
        return {
            key: REDACTED if str(key).lower() in REDACTED_KEYS else _scrub(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_scrub(item) for item in value]
    return value


def scrub_processor(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Redact secret keys and mask phone numbers in every value, recursively."""
    for key in list(event_dict):
        if key.lower() in REDACTED_KEYS:
            event_dict[key] = REDACTED
        elif key != "exc_info":
            event_dict[key] = _scrub(event_dict[key])
    return event_dict


def _mask_rendered_exception(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    # Tracebacks are rendered to text by format_exc_info; mask that text too,
    # since an exception message may quote a number.
    exception = event_dict.get("exception")
    if isinstance(exception, str):
        event_dict["exception"] = mask(exception)
    return event_dict


def shared_processors() -> list[Processor]:
    # The level and the timestamp are added after the scrub: the gateway
    # writes them itself, so they need no masking (and the scrub was half of
    # a line's instructions, counted with callgrind).
    return [
        structlog.contextvars.merge_contextvars,
        scrub_processor,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def configure_logging(
    log_format: str = "json",
    level: str = "INFO",
    stream: TextIO | None = None,
    *,
    final: bool = False,
) -> None:
    """Configure structlog (and route stdlib logging through the same output).

    ``final``: this process configures logging once (``gateway serve`` and
    ``gateway dispatch``), so each module's logger is built on its first line
    and reused, instead of being rebuilt for every line. Tests and tools that
    configure again (another stream, another level) leave it off.
    """
    renderer: Processor
    tail: list[Processor]
    if log_format == "console":
        renderer = structlog.dev.ConsoleRenderer(colors=False)
        # Render tracebacks to text first, so they can be masked like the rest.
        tail = [structlog.processors.format_exc_info, _mask_rendered_exception]
    else:
        renderer = structlog.processors.JSONRenderer()
        tail = [structlog.processors.format_exc_info, _mask_rendered_exception]
    numeric = logging.getLevelNamesMapping()[level.upper()]
    structlog.configure(
        processors=[*shared_processors(), *tail, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        # One write per line: PrintLogger prints the line and its newline
        # apart, two system calls when stdout is unbuffered (as in the image).
        logger_factory=structlog.WriteLoggerFactory(stream or sys.stdout),
        cache_logger_on_first_use=final,
    )
    # aiohttp and redis log through the standard library: keep their lines in
    # the same format and subject to the same scrubbing.
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared_processors(),
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *tail,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    # The access log would print full URLs with query strings; the gateway
    # writes its own request line instead.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # twilio's HTTP client logs every request's parameters (recipients,
    # message bodies) at INFO.
    logging.getLogger("twilio").setLevel(logging.WARNING)


def bind_context(**values: Any) -> None:
    """Bind values (request id, CallSid, MessageSid) to every log line of this task."""
    structlog.contextvars.bind_contextvars(**values)


def clear_context() -> None:
    structlog.contextvars.clear_contextvars()


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)
