"""What can go wrong between the softphone and the sandbox, each a line for the user."""

from __future__ import annotations


class SandboxError(Exception):
    """The sandbox could not do what the softphone asked; ``str()`` is for the user."""


class SandboxUnreachable(SandboxError):
    """Nothing answers at the sandbox URL (not running, wrong port) or it answers too late."""

    def __init__(self, base_url: str) -> None:
        super().__init__(f"cannot reach the sandbox at {base_url}; is 'make demo' running?")
        self.base_url = base_url


class SandboxRefused(SandboxError):
    """The emulator said no, e.g. a number that is not ours or has no webhook set."""


class WebhookFailed(SandboxError):
    """The emulator is fine but the gateway's webhook failed (down, an error, bad TwiML)."""

    def __init__(self, detail: str, code: int | None) -> None:
        super().__init__(f"{detail} (error {code})" if code else detail)
        self.detail = detail
        self.code = code
