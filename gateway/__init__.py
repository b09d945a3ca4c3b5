"""Voice/SMS survey gateway between Twilio and Survey Dynamix."""

__version__ = "0.1.0"
