"""The composition root: every component built from Settings, for each command.

One module per command (``serve``, ``dispatch``, ``doctor``,
``twilio_configure``); ``components`` and ``connections`` build what they share.
"""

from gateway.run.serve import create_app

__all__ = ["create_app"]
