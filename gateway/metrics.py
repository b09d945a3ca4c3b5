"""Prometheus metrics (prometheus-client); ``gateway.web.ops`` serves them at GET /metrics.

One process-wide registry: the web server and, in ``gateway demo``, the
dispatcher share it. Labels are kept low-cardinality: SDX paths are
templated (``/interactions/{id}/submit_response``), never raw.

Gauges that count across replicas (active sessions) are per-process
increments and decrements: only their sum over replicas means anything.
"""

from __future__ import annotations

import functools
import re

from prometheus_client import (
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)

# The *_created series (a timestamp per label set) only add noise here.
disable_created_metrics()  # type: ignore[no-untyped-call]

WEBHOOKS = Counter("gateway_webhooks_total", "Twilio webhooks handled", ["route", "outcome"])
TURN_SECONDS = Histogram(
    "gateway_turn_seconds",
    "Time to answer a Twilio webhook",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SDX_SECONDS = Histogram(
    "gateway_sdx_request_seconds",
    "SDX API request latency (each attempt)",
    ["method", "endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SDX_ERRORS = Counter(
    "gateway_sdx_errors_total", "Failed SDX requests (each attempt)", ["endpoint", "error"]
)
SDX_ROWS_SKIPPED = Counter(
    "gateway_sdx_rows_skipped_total",
    "Rows of an SDX listing the gateway could not read and left out",
    ["endpoint", "model"],
)
SURVEYS = Counter(
    "gateway_surveys_total",
    "Surveys started, completed, abandoned, or ended by an answering machine",
    ["channel", "event"],
)
DIALS = Counter("gateway_dials_total", "Dispatcher jobs by outcome", ["channel", "outcome"])
# Work the dispatcher could not read as a job, set aside in the dead-letter
# stream: "stream" for a work-stream entry, "retry" for an SMS retry.
DEAD_LETTERS = Counter(
    "gateway_dispatch_dead_letters_total",
    "Dispatch entries moved to the dead-letter stream",
    ["source"],
)
# What texts cost: Twilio bills each segment. "kind" is "reply" (TwiML
# answering a respondent) or "first" (the dispatcher's first text); per
# survey, see the "sms_segments" log line (survey ids are unbounded).
SMS_SEGMENTS = Counter("gateway_sms_segments_total", "SMS segments sent", ["kind", "encoding"])
SMS_MESSAGES = Counter(
    "gateway_sms_messages_total",
    "SMS messages sent (each of one or more segments)",
    ["kind", "encoding"],
)
# Texts Twilio reported failed or undelivered, by what the gateway did:
# retry, unreachable, invalid_number, not_sms_capable, opted_out, filtered,
# resend (a later prompt: asked again at the next reply) or moved_on (the
# conversation had moved on: nothing).
SMS_DELIVERY_FAILURES = Counter(
    "gateway_sms_delivery_failures_total",
    "Texts that were not delivered, by the gateway's outcome",
    ["outcome"],
)
# Respondents' languages as chosen when a survey starts: a GATEWAY_LANGUAGES
# key (bounded by the operator), "default", or "unknown" (a code with no
# entry, spoken to in the default: the sign an entry is missing).
LANGUAGES = Counter(
    "gateway_languages_total", "Surveys started, by the language chosen", ["channel", "language"]
)
ACTIVE_SESSIONS = Gauge(
    "gateway_active_sessions", "Surveys in progress (sum over replicas)", ["channel"]
)

_ID = re.compile(r"/\d+(?=/|$)")
_USER = re.compile(r"^/users/[^/]+")
_PHONE = re.compile(r"^/phone_numbers/[^/]+")


def sdx_endpoint(path: str) -> str:
    """An SDX path as a label: ids, emails and numbers replaced by placeholders."""
    path = _USER.sub("/users/{email}", path)
    path = _PHONE.sub("/phone_numbers/{number}", path)
    return _ID.sub("/{id}", path)


# The labelled series of the per-request metrics, looked up once: labels()
# validates, locks and hashes every call (about 2 µs each, three a turn).
# Their label values are templates and names, so the caches stay small.
@functools.lru_cache(maxsize=1024)
def webhook_series(route: str, status: int) -> tuple[Counter, Histogram]:
    """A webhook's count (by route and status) and its time (by route)."""
    return WEBHOOKS.labels(route, str(status)), TURN_SECONDS.labels(route)


@functools.lru_cache(maxsize=1024)
def sdx_seconds(method: str, endpoint: str) -> Histogram:
    """One SDX request's time, by method and templated path (``sdx_endpoint``)."""
    return SDX_SECONDS.labels(method, endpoint)


def survey_event(channel: str, event: str) -> None:
    SURVEYS.labels(channel, event).inc()
    if event == "started":
        ACTIVE_SESSIONS.labels(channel).inc()
    elif event in ("completed", "abandoned", "machine"):
        ACTIVE_SESSIONS.labels(channel).dec()


def sms_segments_sent(kind: str, encoding: str, segments: int) -> None:
    SMS_SEGMENTS.labels(kind, encoding).inc(segments)
    SMS_MESSAGES.labels(kind, encoding).inc()


def sms_delivery_failure(outcome: str) -> None:
    SMS_DELIVERY_FAILURES.labels(outcome).inc()


def language_chosen(channel: str, language: str) -> None:
    LANGUAGES.labels(channel, language).inc()
