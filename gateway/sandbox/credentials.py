# ruff: noqa: S105  -- deliberately public demo values, not secrets
"""Credentials the sandbox accepts when none are configured.

They are the values `.env.example` ships, so a copied `.env` works against a
local sandbox as it is. They grant nothing anywhere else.
"""

DEMO_CUSTOMER_UUID = "00000000-0000-4000-8000-000000000052"
DEMO_AUTH_TOKEN = "demo-sdx-auth-token"
DEMO_BEARER_TOKEN = "demo-sdx-bearer-token"
DEMO_TWILIO_ACCOUNT_SID = "AC00000000000000000000000000000000"
DEMO_TWILIO_AUTH_TOKEN = "demo-twilio-auth-token"

# The documented demo respondent (the number used in SDX's own examples).
DEMO_RESPONDENT = "+61409999999"
