"""The Twilio emulator: Twilio's REST API and call placement, offline.

``create_twilio_emulator()`` builds the aiohttp app: the twilio library talks
to it unchanged with ``client.api.base_url = "http://host:port"`` (or
``.../twilio`` when mounted with ``add_subapp("/twilio", app)``).
``app[TWILIO_STATE]`` is the account and all that happened in it, and the
knobs: ``outcomes``, ``script()``, ``responders``, ``fail_next()``,
``slow_create()`` (a create held back, before or after it is made),
``number_errors``, ``fail_delivery()``, ``ring_delay``, ``add_service()`` (a
Messaging Service over some of the account's numbers, served under
``/v1/Services`` for a client whose ``messaging.base_url`` is the emulator's
too); ``inbound_call()`` and ``inbound_sms()``
play a respondent calling or texting in; ``watch(number)`` tells of calls and
messages to a number. ``/_twilio/...`` does the same over HTTP (``control``),
and ``/_twilio/phone/...`` lets a softphone in another process take a call
one Gather at a time (``phone``).

Calls are "placed" for real: status callbacks and TwiML requests are POSTed,
signed with the account's auth token, to the URLs given, and the TwiML
returned is followed (Say, Play, Pause, Gather, Redirect, Hangup, Reject).

Where Twilio's behaviour is not copied:

- Resources carry the fields the twilio library reads; prices are null,
  ``*_formatted`` numbers are the numbers as given.
- Lists are paged with ``Page``/``PageSize`` only (no ``PageToken``);
  ``PhoneNumber`` filters match exactly. Calls filter on ``To``, ``From``,
  ``Status``, ``StartTime[<>]`` and ``EndTime[<>]``, messages on ``To``,
  ``From`` and ``DateSent[<>]`` (``filters`` says how dates compare).
- Only E.164 numbers are valid (no ``client:`` or SIP addresses).
- Timeouts (Gather ``timeout``, call ``Timeout``) are not waited for: the
  respondent's input decides at once; ``ring_delay`` is the only wait.
- A webhook that fails (no answer, non-2xx, not XML, not TwiML) ends the call
  with status ``failed`` after the caller hears the application-error
  message, wherever in the call it happens; so does a call that makes more
  than ``max_webhooks`` TwiML requests (a redirect loop).
- Verbs other than the ones above are noted in the transcript and skipped.
- The ``answered`` status callback is sent just before the Url is requested
  (Twilio sends both at about the same time, in no promised order).
- Outbound messages (API messages, and TwiML replies with an ``action``) go
  queued -> sent -> delivered; the status callback hears ``sent`` and
  ``delivered``. ``fail_delivery(to, code)`` makes them end ``failed`` (or
  ``sent`` then ``undelivered``) with that ErrorCode instead.
- A Messaging Service picks a new recipient's sender by going round its pool
  (Twilio weighs geomatch and number types); sticky sender keeps it. Its
  ``/v1`` resource carries what the twilio library reads; its phone-number
  list is one page.
- ``Status=completed`` on a call not yet answered cancels it (``canceled``);
  ``Status=canceled`` on an answered call changes nothing, as on Twilio.
"""

from gateway.sandbox.twilio.app import DEMO_NUMBERS, create_twilio_emulator
from gateway.sandbox.twilio.calls import CallRecord, WebhookRecord
from gateway.sandbox.twilio.errors import EmulatorError, NotConfigured, TwilioError, WebhookFailed
from gateway.sandbox.twilio.faults import ForcedError, RecordedRequest, SlowCreate
from gateway.sandbox.twilio.incoming_numbers import PhoneNumber
from gateway.sandbox.twilio.messages import MessageRecord, num_segments
from gateway.sandbox.twilio.remote import RemotePhone
from gateway.sandbox.twilio.respondent import GatherEvent, Outcome, Responder, parse_input
from gateway.sandbox.twilio.state import TWILIO_STATE, TwilioState

__all__ = [
    "DEMO_NUMBERS",
    "TWILIO_STATE",
    "CallRecord",
    "EmulatorError",
    "ForcedError",
    "GatherEvent",
    "MessageRecord",
    "NotConfigured",
    "Outcome",
    "PhoneNumber",
    "RecordedRequest",
    "RemotePhone",
    "Responder",
    "SlowCreate",
    "TwilioError",
    "TwilioState",
    "WebhookFailed",
    "WebhookRecord",
    "create_twilio_emulator",
    "num_segments",
    "parse_input",
]
