"""Answering machine detection, as Twilio reports it: in the call's webhooks, or on a callback.

Synchronous (``MachineDetection`` alone): Twilio decides before it fetches
the call's Url, and every request about the call carries ``AnsweredBy``.
Asynchronous (``AsyncAmd=true``): the Url is fetched the moment the call is
answered, and the decision is posted, once, to ``AsyncAmdStatusCallback``
(``AccountSid``, ``CallSid``, ``AnsweredBy``, ``MachineDetectionDuration``),
not in the call's webhooks. When it arrives is a knob
(``TwilioState.detection_moment``), so tests can put it anywhere in a call:

* ``answer``: as the call is answered, before its first webhook;
* ``gather``: at the first ``<Gather>``, once its prompts were heard and
  before any input (a real machine's greeting outlasts a few prompts);
* ``after``: at the next ``<Gather>``, once the first one's input was sent
  and what followed it was heard.

A call that ends before its moment came (a survey of one question, a
hang-up) gets the report as it ends, before its final status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from gateway.sandbox.twilio.calls import CallRecord
from gateway.sandbox.twilio.webhooks import Webhooks

Moment = Literal["answer", "gather", "after"]
MOMENTS: tuple[Moment, ...] = ("answer", "gather", "after")
# What detection reports for a machine, per MachineDetection mode.
MACHINE_ANSWER = {"Enable": "machine_start", "DetectMessageEnd": "machine_end_beep"}
# How long detection takes to decide, as reported (milliseconds).
DURATION_MS = {"machine_start": "2400", "machine_end_beep": "6200", "human": "1900"}


def answered_by(mode: str | None, machine: bool) -> str | None:
    """Who detection says answered (None: the call did not ask for detection)."""
    if mode not in MACHINE_ANSWER:
        return None
    return MACHINE_ANSWER[mode] if machine else "human"


@dataclass
class AsyncDetection:
    """The one callback of an asynchronously detected call, sent at ``moment``."""

    call: CallRecord
    webhooks: Webhooks
    result: str
    moment: Moment
    sent: bool = field(default=False)

    async def reached(self, moment: Moment) -> None:
        """The call got to ``moment``: post the result if it is due there."""
        if moment == self.moment:
            await self.report()

    async def report(self) -> None:
        """Post the result, unless it was posted already."""
        call, url = self.call, self.call.async_amd_callback
        if self.sent or url is None:
            return
        self.sent = True
        call.answered_by = self.result  # the call resource shows it from now on
        call.transcript.append(("machine_detection", self.result))
        params = {
            "AccountSid": call.account_sid,
            "CallSid": call.sid,
            "AnsweredBy": self.result,
            "MachineDetectionDuration": DURATION_MS.get(self.result, "3000"),
        }
        await self.webhooks.send(url, call.async_amd_method, params)
