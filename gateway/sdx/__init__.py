"""The Survey Dynamix API: typed async client, models and errors.

Nothing here reads the gateway's settings: ``gateway.run`` builds the client
from them.
"""

from gateway.sdx import ambiguous
from gateway.sdx.client import SdxClient

__all__ = ["SdxClient", "ambiguous"]
