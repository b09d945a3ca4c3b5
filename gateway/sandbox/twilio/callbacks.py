"""Call status callbacks: which events are sent, with which parameters, in which order.

Twilio sends ``initiated``, ``ringing`` and ``answered`` (CallStatus
``in-progress``) only when listed in ``StatusCallbackEvent``; the final
status (completed, busy, no-answer, failed, canceled) is always sent when a
``StatusCallback`` is set. ``SequenceNumber`` counts the callbacks sent.
"""

from __future__ import annotations

from gateway.sandbox.twilio.calls import FINAL, CallRecord
from gateway.sandbox.twilio.sids import rfc2822, utc_now
from gateway.sandbox.twilio.webhooks import Webhooks

# CallStatus -> the StatusCallbackEvent that asks for it.
_EVENT = {"initiated": "initiated", "ringing": "ringing", "in-progress": "answered"}


class StatusCallbacks:
    def __init__(self, call: CallRecord, webhooks: Webhooks) -> None:
        self._call = call
        self._webhooks = webhooks
        self._sequence = 0

    def wanted(self, status: str) -> bool:
        if not self._call.status_callback:
            return False
        return status in FINAL or _EVENT.get(status) in self._call.status_callback_events

    async def send(self, status: str) -> None:
        """Move the call to ``status`` and tell the status callback, if it asked."""
        call = self._call
        call.status, call.date_updated = status, utc_now()
        if not self.wanted(status) or call.status_callback is None:
            return
        params = {
            **call.webhook_params(),
            "CallbackSource": "call-progress-events",
            "SequenceNumber": str(self._sequence),
            "Timestamp": rfc2822(utc_now()) or "",
        }
        if status in FINAL:
            params["CallDuration"] = str(call.duration or 0)
        self._sequence += 1
        call.callbacks.append(status)
        # Twilio does not care what the callback answers; neither does the call.
        await self._webhooks.send(call.status_callback, call.status_callback_method, params)

    async def finish(self, status: str) -> None:
        """End the call with ``status``: end time, the final callback, waiters woken."""
        self._call.end_time = utc_now()
        await self.send(status)
