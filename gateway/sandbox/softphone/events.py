"""What the emulator reports to the softphone, as typed values.

Built from the JSON of ``/_twilio/phone/...`` (see
``gateway.sandbox.twilio.phone``); anything else is a ``SandboxError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.sandbox.softphone.errors import SandboxError

# (kind, value): "say" text, "play" URL, "error" what Twilio says when the
# application fails, "unsupported" a TwiML verb the emulator skipped.
Heard = tuple[str, str]


@dataclass(frozen=True)
class Gather:
    """The call waits for the respondent: what they heard, and how it listens."""

    heard: tuple[Heard, ...]
    input: str  # "dtmf", "speech" or "dtmf speech"
    num_digits: int | None
    finish_on_key: str  # "" when no key ends the input

    @property
    def keys(self) -> bool:
        return "dtmf" in self.input.split()

    @property
    def speech(self) -> bool:
        return "speech" in self.input.split()


@dataclass(frozen=True)
class Ended:
    """The call is over: its final Twilio status and what was heard last."""

    status: str
    heard: tuple[Heard, ...]


Turn = Gather | Ended


@dataclass(frozen=True)
class Ring:
    """A call placed to the softphone's number."""

    sid: str
    caller: str


@dataclass(frozen=True)
class Text:
    """An SMS that reached the softphone's number."""

    sid: str
    sender: str
    body: str


def _heard(body: dict[str, Any]) -> tuple[Heard, ...]:
    return tuple((str(kind), str(value)) for kind, value in body.get("heard", []))


def turn_from_json(body: dict[str, Any]) -> Turn | None:
    """The turn in a ``/calls/{sid}/next`` answer; None while the call is still busy."""
    try:
        if body["state"] == "gather":
            digits = body.get("num_digits")
            return Gather(
                heard=_heard(body),
                input=str(body["input"]),
                num_digits=int(digits) if digits is not None else None,
                finish_on_key=str(body.get("finish_on_key") or ""),
            )
        if body["state"] == "ended":
            return Ended(status=str(body["status"]), heard=_heard(body))
    except (KeyError, TypeError, ValueError) as exc:
        raise SandboxError(f"the sandbox sent an unexpected turn: {exc!r}") from None
    return None


def ring_from_json(body: dict[str, Any]) -> Ring | None:
    """The call in a ``/ringing`` answer; None while nobody calls."""
    if body.get("state") != "ringing":
        return None
    try:
        return Ring(sid=str(body["sid"]), caller=str(body["from"]))
    except KeyError as exc:
        raise SandboxError(f"the sandbox sent an unexpected ring: {exc!r}") from None


def texts_from_json(body: dict[str, Any]) -> tuple[list[Text], int]:
    """The messages in a ``/messages`` answer and the cursor for the next request."""
    try:
        texts = [
            Text(sid=str(m["sid"]), sender=str(m["from"]), body=str(m["body"]))
            for m in body["messages"]
        ]
        return texts, int(body["next"])
    except (KeyError, TypeError, ValueError) as exc:
        raise SandboxError(f"the sandbox sent unexpected messages: {exc!r}") from None
