"""Errors the sandbox answers with, as values that know their HTTP status.

The store and the survey engine raise these without knowing about HTTP; one
middleware turns them into responses. Real SDX documents no error body, so
the body is a short line of text, nothing a client should parse.
"""

from __future__ import annotations


class SandboxError(Exception):
    """An SDX error answer: ``status`` plus a one-line explanation."""

    status: int = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(SandboxError):
    status = 400


class NotFound(SandboxError, LookupError):
    status = 404


class Conflict(SandboxError):
    status = 409


class Gone(SandboxError, LookupError):
    """The resource existed and was deleted (SDX answers 410 for it)."""

    status = 410


class Unprocessable(SandboxError):
    """A parameter failed validation, answered as Laravel does: 422 with a JSON body.

    Only the php flavour raises it; its body is the one error answer a client
    could parse, which is why it carries the field apart from the message.
    """

    status = 422

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field

    def as_json(self) -> dict[str, object]:
        return {"message": self.message, "errors": {self.field: [self.message]}}
