"""Everything one emulator holds, under one typed app key.

Tests and the demo drive the emulator through this object in-process; the
``/_twilio`` endpoints do the same for other processes.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp
from aiohttp import web

from gateway.sandbox.twilio import inbound
from gateway.sandbox.twilio.calls import CallRecord
from gateway.sandbox.twilio.detection import Moment
from gateway.sandbox.twilio.errors import EmulatorError
from gateway.sandbox.twilio.faults import (
    ForcedError,
    ForcedErrors,
    RecordedRequest,
    Resource,
    SlowCreate,
    SlowCreates,
)
from gateway.sandbox.twilio.incoming_numbers import PhoneNumber
from gateway.sandbox.twilio.messages import DeliveryFailure, MessageRecord
from gateway.sandbox.twilio.respondent import Outcome, Responder, add_script
from gateway.sandbox.twilio.services import MessagingService
from gateway.sandbox.twilio.webhooks import Webhooks

# fail_next without a status: the HTTP status that goes with Twilio's code.
_STATUS_OF_CODE = {20003: 401, 20404: 404, 20429: 429, 20500: 500, 20503: 503}

Watched = CallRecord | MessageRecord
T = TypeVar("T")


@dataclass
class TwilioState:
    """The account, what happened in it, and the knobs tests turn.

    ``calls`` (by sid, in creation order) and ``messages`` hold every call and
    message, outbound and inbound; ``requests`` every REST request.
    ``outcomes`` decides what dialling a number does (default
    ``default_outcome``); ``scripts`` and ``responders`` answer Gathers for a
    respondent's number; ``number_errors`` makes every message to a number
    fail with ``(status, code)`` when it is created; ``delivery_failures``
    (``fail_delivery``) makes messages to a number accepted, then failed or
    undelivered with an ErrorCode, as a carrier reports later; ``forced``
    and ``slow`` hold what ``fail_next`` and ``slow_create`` set up.
    ``services`` are the Messaging Services by sid (``seed_services``, sid ->
    pool, are those a reset brings back). ``ring_delay`` is waited between
    initiated and ringing and again before the answer; ``delivery_delay``
    before each message status. Delays are in seconds.
    """

    account_sid: str
    auth_token: str
    seed_numbers: tuple[str, ...]
    seed_services: dict[str, tuple[str, ...]] = field(default_factory=dict)
    numbers: dict[str, PhoneNumber] = field(default_factory=dict)
    services: dict[str, MessagingService] = field(default_factory=dict)
    calls: dict[str, CallRecord] = field(default_factory=dict)
    messages: list[MessageRecord] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    default_outcome: Outcome = Outcome.ANSWER
    scripts: dict[str, deque[str]] = field(default_factory=dict)
    responders: dict[str, Responder] = field(default_factory=dict)
    number_errors: dict[str, tuple[int, int]] = field(default_factory=dict)
    delivery_failures: list[DeliveryFailure] = field(default_factory=list)
    forced: ForcedErrors = field(default_factory=ForcedErrors)
    slow: SlowCreates = field(default_factory=SlowCreates)
    ring_delay: float = 0.0
    # When asynchronous machine detection reports (gateway.sandbox.twilio.detection).
    detection_moment: Moment = "gather"
    delivery_delay: float = 0.0
    webhook_timeout: float = 15.0  # Twilio's own limit for a TwiML answer
    max_webhooks: int = 200  # per call: a redirect loop ends as an application error
    http: aiohttp.ClientSession | None = None
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    _watchers: dict[str, list[asyncio.Queue[Watched]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._seed()

    def _seed(self) -> None:
        self.numbers = {}
        for phone in self.seed_numbers:
            number = PhoneNumber(self.account_sid, phone)
            self.numbers[number.sid] = number
        self.services = {}
        for sid, pool in self.seed_services.items():
            self.add_service(pool, sid=sid)

    # --- lookups -------------------------------------------------------------

    def number(self, phone: str) -> PhoneNumber | None:
        return next((n for n in self.numbers.values() if n.phone_number == phone), None)

    def service_of(self, phone: str) -> MessagingService | None:
        """The Messaging Service whose pool holds ``phone`` (a number is in one at most)."""
        return next((s for s in self.services.values() if phone in s.numbers), None)

    def add_service(self, numbers: Iterable[str], *, sid: str | None = None) -> MessagingService:
        """A Messaging Service over ``numbers`` (the account's), taken from any other pool."""
        pool = list(numbers)
        unknown = [phone for phone in pool if self.number(phone) is None]
        if unknown:
            raise EmulatorError(f"not the account's numbers: {', '.join(unknown)}")
        for other in self.services.values():
            other.numbers = [phone for phone in other.numbers if phone not in pool]
        service = MessagingService(self.account_sid, pool)
        if sid is not None:
            service.sid = sid
        self.services[service.sid] = service
        return service

    def outcome_for(self, phone: str) -> Outcome:
        return Outcome(self.outcomes.get(phone, self.default_outcome))

    def webhooks(self) -> Webhooks:
        if self.http is None:
            raise EmulatorError("the emulator app is not running (no HTTP session yet)")
        return Webhooks(self.http, self.auth_token, self.webhook_timeout)

    # --- knobs ---------------------------------------------------------------

    def fail_next(
        self,
        resource: Resource,
        to: str | None = None,
        *,
        code: int,
        status: int | None = None,
        times: int = 1,
        message: str | None = None,
    ) -> ForcedError:
        """Answer the next ``times`` creates of ``resource`` (to ``to``) with a Twilio error.

        ``status`` defaults to the one that goes with ``code`` (20429 -> 429, ...; else 400).
        """
        status = status if status is not None else _STATUS_OF_CODE.get(code, 400)
        return self.forced.add(ForcedError(resource, status, code, to, times, message))

    def slow_create(
        self,
        resource: Resource,
        delay: float,
        *,
        after: bool = False,
        to: str | None = None,
        times: int = 1,
    ) -> SlowCreate:
        """Hold the next ``times`` creates of ``resource`` (to ``to``) for ``delay`` seconds.

        ``after=False``: wait, then create (even if the client has gone);
        ``after=True``: create at once, then wait before answering. See ``faults``.
        """
        return self.slow.add(SlowCreate(resource, delay, after, to, times))

    def fail_delivery(
        self, to: str, code: int, *, status: str = "", times: int | None = None
    ) -> DeliveryFailure:
        """Messages to ``to`` (the next ``times``, or all) are accepted, then fail
        with ``code``: ``failed`` or ``undelivered`` (by default the status that
        goes with the code), told to their StatusCallback as Twilio does."""
        failure = DeliveryFailure(to, code, status, times)
        self.delivery_failures = [f for f in self.delivery_failures if f.to != to]
        self.delivery_failures.append(failure)
        return failure

    def take_delivery_failure(self, to: str) -> DeliveryFailure | None:
        """How a message to ``to`` being created now will fail, if it will."""
        failure = next((f for f in self.delivery_failures if f.to == to), None)
        if failure is not None and failure.times is not None:
            failure.times -= 1
            if failure.times == 0:
                self.delivery_failures.remove(failure)
        return failure

    def script(self, number: str, inputs: Iterable[str]) -> None:
        """Queue what ``number`` answers at its next Gathers (see ``respondent``)."""
        add_script(self.scripts, number, inputs)

    def watch(self, number: str) -> asyncio.Queue[Watched]:
        """A queue of every call placed to ``number`` and every message sent to it."""
        queue: asyncio.Queue[Watched] = asyncio.Queue()
        self._watchers.setdefault(number, []).append(queue)
        return queue

    def unwatch(self, number: str, queue: asyncio.Queue[Watched]) -> None:
        watchers = self._watchers.get(number, [])
        if queue in watchers:
            watchers.remove(queue)

    # --- what happens --------------------------------------------------------

    def add_call(self, call: CallRecord) -> None:
        self.calls[call.sid] = call
        self._notify(call.to, call)

    def add_message(self, message: MessageRecord) -> None:
        self.messages.append(message)
        self._notify(message.to, message)

    def _notify(self, number: str, item: Watched) -> None:
        for queue in self._watchers.get(number, []):
            queue.put_nowait(item)

    def spawn(self, work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run ``work`` in a task that shutdown and ``reset`` cancel (``settle`` waits for it)."""
        task = asyncio.get_running_loop().create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def inbound_call(self, from_: str, to: str) -> CallRecord:
        return await inbound.inbound_call(self, from_, to)

    async def inbound_sms(self, from_: str, to: str, body: str) -> list[str]:
        return await inbound.inbound_sms(self, from_, to, body)

    async def settle(self) -> None:
        """Wait until no call, delivery or slow create is under way.

        A held call never ends by itself: hang it up first.
        """
        while self.tasks:
            await asyncio.wait(list(self.tasks))

    def active_calls(self) -> Sequence[CallRecord]:
        return [call for call in self.calls.values() if not call.finished.is_set()]

    def reset(self) -> None:
        """Back to the seeded numbers; nothing recorded, no outcomes, scripts or knobs.

        Calls, deliveries and slow creates under way are cancelled. Delays and
        limits (``ring_delay``, ``max_webhooks``...) stay as set.
        """
        self.cancel_all()
        self._seed()
        self.calls.clear()
        self.messages.clear()
        self.requests.clear()
        self.outcomes.clear()
        self.default_outcome = Outcome.ANSWER
        self.scripts.clear()
        self.responders.clear()
        self.number_errors.clear()
        self.delivery_failures.clear()
        self.forced.clear()
        self.slow.clear()

    def cancel_all(self) -> list[asyncio.Task[Any]]:
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        return tasks


TWILIO_STATE = web.AppKey("twilio_emulator_state", TwilioState)
