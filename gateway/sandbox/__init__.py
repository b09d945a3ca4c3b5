"""Everything for trying the gateway without accounts: the SDX sandbox, the Twilio
emulator, the softphone and ``gateway demo``. Reached only from the command line."""
