"""Twilio's REST API through the official library's async client.

The only place that builds a ``twilio.rest.Client``: its base URL comes from
``TWILIO_API_URL`` when set (the sandbox's emulator), and its own request
logging, which would print recipients and message bodies, is kept quiet.

A text's sender is one of our numbers or a Messaging Service SID (``MG...``,
see ``gateway.config.messaging``): through a service, Twilio picks the From.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from gateway.config import Settings
from gateway.config.messaging import is_messaging_service

T = TypeVar("T")

# twilio logs every request's parameters at INFO: never let that through.
_quiet = logging.getLogger("gateway.twilio_http")
_quiet.setLevel(logging.WARNING)

# Twilio error codes the gateway acts on.
UNSUBSCRIBED = 21610  # the recipient replied STOP
INVALID_TO = 21211  # not a valid phone number
NOT_IN_PROGRESS = 21220  # a call that is over cannot be redirected
NOT_MOBILE = 21614  # not a number that can receive SMS
# Delivery failures a message's status callback reports (ErrorCode).
UNREACHABLE = 30003  # handset off or out of coverage: try again later
UNKNOWN_NUMBER = 30005  # the number does not exist
LANDLINE = 30006  # a landline or a number that cannot take SMS
FILTERED = 30007  # the carrier filtered the message (content, A2P registration)
UNKNOWN_ERROR = 30008  # the carrier gave no reason: try again later

# How many of the latest calls or messages to one number a reconciliation reads.
RECENT = 20


class TwilioApiError(Exception):
    """A Twilio REST call failed. ``status`` None: no answer (network)."""

    def __init__(self, status: int | None, code: int | None, message: str) -> None:
        super().__init__(f"Twilio {status} {code}: {message}")
        self.status = status
        self.code = code

    @property
    def transient(self) -> bool:
        """Worth trying again later: throttled, Twilio-side failure, or no answer."""
        return self.status is None or self.status == 429 or self.status >= 500


@dataclass(frozen=True)
class NumberConfig:
    """An IncomingPhoneNumber's webhook settings."""

    sid: str
    phone_number: str
    voice_url: str
    voice_method: str
    status_callback: str
    sms_url: str
    sms_method: str


@dataclass(frozen=True)
class ServiceConfig:
    """A Messaging Service's inbound settings, and its pool's numbers."""

    sid: str
    friendly_name: str
    inbound_request_url: str
    inbound_method: str
    use_inbound_webhook_on_number: bool
    numbers: tuple[str, ...]


@dataclass(frozen=True)
class PlacedCall:
    sid: str
    status: str


class TwilioRest:
    """Calls and messages; open with ``await start()``, close with ``await close()``."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._http: AsyncTwilioHttpClient | None = None
        self._client: Client | None = None

    async def start(self) -> None:
        # The library's HTTP client opens its aiohttp session when built, so
        # build it inside the running loop.
        self._http = AsyncTwilioHttpClient(logger=_quiet, timeout=10)
        self._client = Client(
            self._settings.twilio_account_sid,
            self._settings.twilio_auth_token.get_secret_value(),
            http_client=self._http,
            environment={},  # nothing from os.environ (TWILIO_EDGE, ...)
        )
        if self._settings.twilio_api_url:
            # Messaging Services live on their own domain (messaging.twilio.com).
            self._client.api.base_url = self._settings.twilio_api_url
            self._client.messaging.base_url = self._settings.twilio_api_url

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None
        self._client = None

    @property
    def client(self) -> Client:
        if self._client is None:
            raise RuntimeError("TwilioRest.start() was not awaited")
        return self._client

    async def create_call(
        self,
        *,
        to: str,
        from_: str,
        url: str,
        status_callback: str,
        events: Sequence[str],
        machine_detection: str | None,
        machine_callback: str | None = None,
    ) -> PlacedCall:
        """``machine_callback``: detect asynchronously, reporting there (the
        call's Url is fetched the moment it is answered); None: the Url is
        fetched once Twilio has decided who answered, and says who."""
        detection: dict[str, str] = {}
        if machine_detection:
            detection["machine_detection"] = machine_detection
            if machine_callback:
                detection.update(
                    async_amd="true",
                    async_amd_status_callback=machine_callback,
                    async_amd_status_callback_method="POST",
                )
        call = await _checked(
            self.client.calls.create_async(
                to=to,
                from_=from_,
                url=url,
                method="POST",
                status_callback=status_callback,
                status_callback_method="POST",
                status_callback_event=list(events),
                **detection,
            )
        )
        return PlacedCall(sid=str(call.sid), status=str(call.status))

    async def redirect_call(self, sid: str, twiml: str) -> bool:
        """Make a live call follow ``twiml`` now; False if the call is already over."""
        try:
            await _checked(self.client.calls(sid).update_async(twiml=twiml))
        except TwilioApiError as exc:
            if exc.code == NOT_IN_PROGRESS:
                return False
            raise
        return True

    async def send_message(
        self, *, to: str, from_: str, body: str, status_callback: str | None = None
    ) -> str:
        """Send one text from ``from_`` (one of our numbers, or a Messaging Service
        SID); Twilio POSTs its delivery outcome to ``status_callback``."""
        extra = {"status_callback": status_callback} if status_callback else {}
        message = await _checked(
            self.client.messages.create_async(to=to, body=body, **_sender(from_), **extra)
        )
        return str(message.sid)

    async def calls_since(self, *, to: str, from_: str, since: datetime) -> list[str]:
        """SIDs of calls from ``from_`` to ``to`` created at or after ``since``.

        Asked after a dial whose outcome was lost (a crash, a cut-off reply):
        did Twilio take the call? Filtered by To and From on Twilio's side, by
        creation time here: a call still queued has no start time, so
        Twilio's StartTime filter would miss exactly the call looked for.
        Newest first, and only the most recent few: bounded work.
        """
        found = await _checked(
            self.client.calls.list_async(to=to, from_=from_, limit=RECENT, page_size=RECENT)
        )
        return [str(c.sid) for c in found if _created_since(c.date_created, since)]

    async def messages_since(self, *, to: str, from_: str, since: datetime) -> list[str]:
        """SIDs of messages from ``from_`` to ``to`` created at or after ``since``
        (see ``calls_since``: a queued message has no DateSent either).

        ``from_`` a Messaging Service: a message it has not yet given a From
        has none to filter on, and Twilio's list has no service filter, so the
        latest messages to ``to`` are read and the service's kept.
        """
        service = is_messaging_service(from_)
        found = await _checked(
            self.client.messages.list_async(
                to=to, **({} if service else {"from_": from_}), limit=RECENT, page_size=RECENT
            )
        )
        return [
            str(m.sid)
            for m in found
            if _created_since(m.date_created, since)
            and (not service or m.messaging_service_sid == from_)
        ]

    async def account_status(self) -> str:
        """The account's status ("active"); a TwilioApiError (401) for bad credentials."""
        sid = self._settings.twilio_account_sid
        account = await _checked(self.client.api.v2010.accounts(sid).fetch_async())
        return str(account.status)

    async def find_number(self, phone_number: str) -> NumberConfig | None:
        found = await _checked(
            self.client.incoming_phone_numbers.list_async(phone_number=phone_number, limit=1)
        )
        return _number_config(found[0]) if found else None

    async def update_number(self, sid: str, **changes: str) -> NumberConfig:
        """Change webhook settings (voice_url, voice_method, status_callback, sms_url, ...)."""
        updated = await _checked(self.client.incoming_phone_numbers(sid).update_async(**changes))
        return _number_config(updated)

    async def find_service(self, sid: str) -> ServiceConfig | None:
        """A Messaging Service and its pool's numbers; None if the account has no such one."""
        service = self.client.messaging.v1.services(sid)
        try:
            found = await _checked(service.fetch_async())
        except TwilioApiError as exc:
            if exc.status == 404:
                return None
            raise
        numbers = await _checked(service.phone_numbers.list_async(limit=1000))
        return _service_config(found, tuple(str(n.phone_number) for n in numbers))

    async def update_service(self, sid: str, *, inbound_request_url: str) -> None:
        """Send the service's inbound messages to ``inbound_request_url`` (POST),
        whichever of its numbers they reach."""
        await _checked(
            self.client.messaging.v1.services(sid).update_async(
                inbound_request_url=inbound_request_url,
                inbound_method="POST",
                use_inbound_webhook_on_number=False,
            )
        )


def _sender(from_: str) -> dict[str, str]:
    if is_messaging_service(from_):
        return {"messaging_service_sid": from_}
    return {"from_": from_}


def _service_config(service: Any, numbers: tuple[str, ...]) -> ServiceConfig:
    return ServiceConfig(
        sid=str(service.sid),
        friendly_name=service.friendly_name or "",
        inbound_request_url=service.inbound_request_url or "",
        inbound_method=service.inbound_method or "",
        use_inbound_webhook_on_number=bool(service.use_inbound_webhook_on_number),
        numbers=numbers,
    )


def _created_since(created: datetime | None, since: datetime) -> bool:
    # Twilio's dates have whole seconds: compare at that precision.
    return created is not None and created >= since.replace(microsecond=0)


async def _checked(operation: Awaitable[T]) -> T:
    """Await a twilio call, turning its failures into TwilioApiError."""
    try:
        return await operation
    except TwilioRestException as exc:
        raise TwilioApiError(exc.status, exc.code, str(exc.msg)) from None
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise TwilioApiError(None, None, type(exc).__name__) from None


def _number_config(number: Any) -> NumberConfig:
    return NumberConfig(
        sid=str(number.sid),
        phone_number=str(number.phone_number),
        voice_url=number.voice_url or "",
        voice_method=number.voice_method or "",
        status_callback=number.status_callback or "",
        sms_url=number.sms_url or "",
        sms_method=number.sms_method or "",
    )
