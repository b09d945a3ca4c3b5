"""The voice channel: a survey by phone call, how a call ends, its TwiML and routes."""
