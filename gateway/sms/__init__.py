"""The SMS channel: a survey by text message, its keywords, wording, idle expiry and route."""
