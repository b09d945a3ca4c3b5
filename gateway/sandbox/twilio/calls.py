"""Call resources, and what the emulator remembers of each call it placed or took."""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from gateway.sandbox.twilio.line import Line
from gateway.sandbox.twilio.sids import API_VERSION, new_sid, rfc2822, utc_now

# Statuses after which a call is over (Twilio's CallStatus values).
FINAL = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
MACHINE = frozenset(
    {"machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other", "fax"}
)
_SUBRESOURCES = ("notifications", "recordings", "payments", "events", "siprec", "streams")


@dataclass
class WebhookRecord:
    """One TwiML request of a call: ``url`` is path + query, ``status`` None if unanswered."""

    method: str
    url: str
    status: int | None


@dataclass
class CallRecord:
    """A call, as the API shows it and as the emulator lived it.

    ``transcript`` holds ``(kind, value)`` in order: ``say``/``play`` (heard),
    ``input`` (what the respondent did), ``error`` (what Twilio says when the
    application fails). ``callbacks`` are the statuses POSTed to the status
    callback; ``created_at`` is ``time.monotonic()`` at creation.
    """

    account_sid: str
    to: str
    from_: str
    direction: str = "outbound-api"
    url: str | None = None
    method: str = "POST"
    twiml: str | None = None
    status_callback: str | None = None
    status_callback_method: str = "POST"
    status_callback_events: frozenset[str] = frozenset()
    machine_detection: str | None = None
    # AsyncAmd: detection's result goes here, not into the call's webhooks.
    async_amd_callback: str | None = None
    async_amd_method: str = "POST"
    timeout: int = 60
    phone_number_sid: str | None = None
    sid: str = field(default_factory=lambda: new_sid("CA"))
    status: str = "queued"
    answered_by: str | None = None
    error_code: int | None = None
    error_detail: str | None = None
    date_created: datetime = field(default_factory=utc_now)
    date_updated: datetime = field(default_factory=utc_now)
    start_time: datetime | None = None
    end_time: datetime | None = None
    created_at: float = field(default_factory=time.monotonic)
    answered_at: float | None = None
    transcript: list[tuple[str, str]] = field(default_factory=list)
    webhooks: list[WebhookRecord] = field(default_factory=list)
    callbacks: list[str] = field(default_factory=list)
    line: Line = field(default_factory=Line, repr=False, compare=False)
    finished: asyncio.Event = field(default_factory=asyncio.Event, repr=False, compare=False)

    @property
    def uri(self) -> str:
        return f"/{API_VERSION}/Accounts/{self.account_sid}/Calls/{self.sid}.json"

    @property
    def respondent(self) -> str:
        """The person's number: who was called, or who called in."""
        return self.from_ if self.direction == "inbound" else self.to

    @property
    def heard(self) -> list[tuple[str, str]]:
        """Only what the respondent heard: ``say`` and ``play`` entries."""
        return [entry for entry in self.transcript if entry[0] in ("say", "play")]

    @property
    def voicemail(self) -> list[str]:
        """What was said to an answering machine: the message it recorded."""
        if self.answered_by not in MACHINE:
            return []
        return [text for kind, text in self.transcript if kind == "say"]

    @property
    def duration(self) -> int | None:
        if self.start_time is None or self.end_time is None:
            return None
        return int((self.end_time - self.start_time).total_seconds())

    def webhook_params(self) -> dict[str, str]:
        """The parameters Twilio sends with every request about this call."""
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "CallSid": self.sid,
            "CallStatus": self.status,
            "Called": self.to,
            "Caller": self.from_,
            "Direction": self.direction,
            "From": self.from_,
            "To": self.to,
        }
        if self.answered_by is not None and self.async_amd_callback is None:
            params["AnsweredBy"] = self.answered_by
        return params

    async def wait(self) -> CallRecord:
        """Wait until the call is over (its final status callback sent)."""
        await self.finished.wait()
        return self

    def as_json(self) -> dict[str, Any]:
        """The resource in Twilio's shape."""
        base = self.uri.removesuffix(".json")
        duration = self.duration
        return {
            "account_sid": self.account_sid,
            "annotation": None,
            "answered_by": self.answered_by,
            "api_version": API_VERSION,
            "caller_name": None,
            "date_created": rfc2822(self.date_created),
            "date_updated": rfc2822(self.date_updated),
            "direction": self.direction,
            "duration": None if duration is None else str(duration),
            "end_time": rfc2822(self.end_time),
            "forwarded_from": None,
            "from": self.from_,
            "from_formatted": self.from_,
            "group_sid": None,
            "parent_call_sid": None,
            "phone_number_sid": self.phone_number_sid,
            "price": None,
            "price_unit": "USD",
            "queue_time": "0",
            "sid": self.sid,
            "start_time": rfc2822(self.start_time),
            "status": self.status,
            "subresource_uris": {name: f"{base}/{name.title()}.json" for name in _SUBRESOURCES},
            "to": self.to,
            "to_formatted": self.to,
            "trunk_sid": None,
            "uri": self.uri,
        }

    def emulator_json(self) -> dict[str, Any]:
        """The resource plus what the emulator saw (for ``GET /_twilio/calls``)."""
        return {
            **self.as_json(),
            "transcript": [list(entry) for entry in self.transcript],
            "webhooks": [asdict(webhook) for webhook in self.webhooks],
            "callbacks": list(self.callbacks),
            "error_code": self.error_code,
            "error_detail": self.error_detail,
            "created_at": self.created_at,
        }
