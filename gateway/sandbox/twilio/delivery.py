"""Outbound messages on their way: each status told to the StatusCallback.

queued -> sent -> delivered; a message set to fail (``TwilioState.fail_delivery``)
goes queued -> failed, or queued -> sent -> undelivered, with its ErrorCode.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from gateway.sandbox.twilio.errors import MESSAGES
from gateway.sandbox.twilio.messages import MessageRecord
from gateway.sandbox.twilio.sids import API_VERSION, utc_now

if TYPE_CHECKING:
    from gateway.sandbox.twilio.state import TwilioState


def message_params(message: MessageRecord) -> dict[str, str]:
    """What Twilio sends about a message (status callbacks and incoming SMS alike)."""
    params = {
        "AccountSid": message.account_sid,
        "ApiVersion": API_VERSION,
        "From": message.from_ or "",
        "To": message.to,
        "MessageSid": message.sid,
        "SmsSid": message.sid,
        "MessageStatus": message.status,
        "SmsStatus": message.status,
    }
    if message.messaging_service_sid:
        params["MessagingServiceSid"] = message.messaging_service_sid
    if message.error_code is not None and message.status in ("failed", "undelivered"):
        params["ErrorCode"] = str(message.error_code)
    return params


def _steps(message: MessageRecord) -> tuple[str, ...]:
    failure = message.failure
    if failure is None:
        return ("sent", "delivered")
    return ("failed",) if failure.status == "failed" else ("sent", "undelivered")


async def deliver(state: TwilioState, message: MessageRecord) -> None:
    for status in _steps(message):
        await asyncio.sleep(state.delivery_delay)
        message.status, message.date_updated = status, utc_now()
        if status == "sent":
            message.date_sent = message.date_updated
        if message.failure is not None and status == message.failure.status:
            message.error_code = message.failure.code
            message.error_message = MESSAGES.get(message.failure.code, "Unknown error")
        if message.status_callback:
            message.callbacks.append(status)
            await state.webhooks().send(message.status_callback, "POST", message_params(message))


def start_delivery(state: TwilioState, message: MessageRecord) -> asyncio.Task[None]:
    return state.spawn(deliver(state, message))
