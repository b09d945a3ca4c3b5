"""The credentials SDX accepts: HTTP Basic or a bearer token."""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass


def _same(given: str, expected: str) -> bool:
    # Constant time, so the sandbox does not teach clients timing-leaky habits.
    return hmac.compare_digest(given.encode(), expected.encode())


@dataclass(frozen=True)
class Credentials:
    """Basic ``customer_uuid:auth_token``, or ``Bearer <bearer_token>`` if one is set."""

    customer_uuid: str
    auth_token: str
    bearer_token: str | None = None

    def accepts(self, authorization: str | None) -> bool:
        if not authorization:
            return False
        scheme, _, value = authorization.strip().partition(" ")
        value = value.strip()
        if scheme.lower() == "basic":
            return self._basic_ok(value)
        if scheme.lower() == "bearer" and self.bearer_token is not None:
            return _same(value, self.bearer_token)
        return False

    def _basic_ok(self, encoded: str) -> bool:
        try:
            decoded = base64.b64decode(encoded, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        user, colon, password = decoded.partition(":")
        # Check both halves even when the first differs: no early exit.
        user_ok = _same(user, self.customer_uuid)
        password_ok = _same(password, self.auth_token)
        return bool(colon) and user_ok and password_ok
