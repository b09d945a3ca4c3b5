"""Credentials the sandbox accepts when none are configured.

They are the values `.env.example` ships, so a copied `.env` works against a
local sandbox as it is. They grant nothing anywhere else, and a gateway
with a public URL refuses them (``gateway.run.exposure``), which is why the
secrets among them are defined in ``gateway.config``.
"""

__all__ = [
    "DEMO_AUTH_TOKEN",
    "DEMO_BEARER_TOKEN",
    "DEMO_CUSTOMER_UUID",
    "DEMO_RESPONDENT",
    "DEMO_TWILIO_ACCOUNT_SID",
    "DEMO_TWILIO_AUTH_TOKEN",
]

from gateway.config import DEMO_SDX_AUTH_TOKEN as DEMO_AUTH_TOKEN
from gateway.config import DEMO_SDX_BEARER_TOKEN as DEMO_BEARER_TOKEN
from gateway.config import DEMO_TWILIO_AUTH_TOKEN

DEMO_CUSTOMER_UUID = "00000000-0000-4000-8000-000000000052"
DEMO_TWILIO_ACCOUNT_SID = "AC00000000000000000000000000000000"

# The documented demo respondent (the number used in SDX's own examples).
DEMO_RESPONDENT = "+61409999999"
