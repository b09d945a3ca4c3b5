"""Twilio's REST error answers, as values that know their status and code.

Every error is JSON in Twilio's (legacy, v2010) shape, which the twilio
library turns into ``TwilioRestException(status, code, msg)``::

    {"code": 21211, "message": "...", "more_info": "https://www.twilio.com/docs/errors/21211",
     "status": 400}
"""

from __future__ import annotations

from typing import Any

# Messages Twilio gives for the codes the emulator answers with (or is told
# to answer with by ``fail_next``); other codes get a generic text.
MESSAGES: dict[int, str] = {
    20001: "Invalid parameter",
    20003: "Authenticate",
    20004: "Method not allowed",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "Internal Server Error",
    20503: "Service Unavailable",
    21201: "No 'To' number is specified",
    21209: "Invalid Method",
    21205: "Invalid URL",
    21210: "The source phone number provided is not yet verified for your account.",
    21211: "Invalid 'To' Phone Number",
    21213: "No 'From' number is specified",
    21220: "Call is not in-progress. Cannot redirect.",
    21402: "Invalid Url",
    21403: "Invalid Method",
    21602: "Message body is required.",
    21603: "A 'From' phone number is required.",
    21604: "A 'To' phone number is required.",
    21606: "The 'From' phone number provided is not a valid, message-capable Twilio phone number.",
    21609: "Invalid StatusCallback URL",
    21610: "Attempt to send to unsubscribed recipient",
    21612: "The 'To' phone number is not currently reachable via SMS",
    21614: "'To' number is not a valid mobile number",
    21617: "The concatenated message body exceeds the 1600 character limit.",
    21701: "The Messaging Service does not exist",
    21704: "The Messaging Service contains no phone numbers",
    21705: "The Messaging Service is invalid",
    # Delivery failures, reported by a message's status callback (ErrorCode).
    30003: "Unreachable destination handset",
    30005: "Unknown destination handset",
    30006: "Landline or unreachable carrier",
    30007: "Message filtered",
    30008: "Unknown error",
}


def more_info(code: int) -> str:
    return f"https://www.twilio.com/docs/errors/{code}"


class TwilioError(Exception):
    """An error answer: HTTP ``status`` and Twilio ``code``, message from the table."""

    def __init__(self, status: int, code: int, message: str | None = None) -> None:
        self.status = status
        self.code = code
        self.message = message or MESSAGES.get(code, f"Error {code}")
        super().__init__(f"{status} {code}: {self.message}")

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": more_info(self.code),
            "status": self.status,
        }


def bad_request(code: int, detail: str | None = None) -> TwilioError:
    """A 400 with ``code``; ``detail`` (e.g. the number at fault) follows the message."""
    message = MESSAGES.get(code, f"Error {code}")
    return TwilioError(400, code, f"{message}: {detail}" if detail else message)


def not_found(path: str) -> TwilioError:
    return TwilioError(404, 20404, f"The requested resource {path} was not found")


def unauthenticated() -> TwilioError:
    return TwilioError(401, 20003)


class EmulatorError(Exception):
    """Misuse of the emulator's in-process API (not a Twilio REST answer)."""


class NotConfigured(EmulatorError, LookupError):
    """No such number in the account, or it has no webhook URL for this."""


class WebhookFailed(EmulatorError):
    """The application's webhook failed; ``code`` is the error Twilio would log."""

    def __init__(self, code: int | None, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
