"""``gateway dispatch``: the poll loop and the consumer loops of one replica.

Every replica runs both. The poll loop lists SDX only while it holds the
lease; the consumer loops read the shared stream, claim each job, wait for
a pacing slot and dial. On shutdown the loops stop taking work, finish the
job in hand, and leave anything read but unfinished to be taken over.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from gateway.background import cancel_requested
from gateway.dispatch.dialer import Dialer
from gateway.dispatch.poller import DuePoller
from gateway.dispatch.store import DispatchStore
from gateway.logging import bind_context, clear_context, get_logger
from gateway.metrics import DIALS
from gateway.sdx.errors import SdxError

log = get_logger(__name__)

FILLING_WAIT = 2.0  # seconds between polls while the agenda is first filled


@dataclass(frozen=True)
class DispatchTuning:
    interval: float = 30.0  # seconds between looks for due work
    concurrency: int = 4  # consumer loops per replica
    rate: float = 1.0  # calls + messages per second, all replicas together
    idle: float = 60.0  # a read entry unacknowledged this long is taken over
    # A claim whose holder died frees up after this. Its holder renews it every
    # third of it while dialling, so it need not cover the worst-case dial
    # path (three SDX requests and Twilio's, each with its own budget).
    dialing_ttl: float = 30.0
    block: float = 1.0  # longest wait on the stream (bounds shutdown time)
    # At shutdown the job in hand gets this long to finish before it is cut
    # short (a dial cut short still waits for Twilio's answer to settle).
    grace: float = 8.0
    # A consumer with nothing pending, idle this long, most likely belongs
    # to a replica that died: the lease holder deletes it, looking every
    # ``prune_interval``. A live one deleted on a quiet stream loses nothing
    # and comes back with its next read (see store_lua.PRUNE_CONSUMERS).
    forget_after: float = 3600.0
    prune_interval: float = 600.0


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class Dispatcher:
    def __init__(
        self,
        *,
        store: DispatchStore,
        poller: DuePoller,
        dialer: Dialer,
        tuning: DispatchTuning,
        pace: Callable[[], Awaitable[None]],
        name: str | None = None,
    ) -> None:
        self._store = store
        self._pace = pace
        self._poller = poller
        self._dialer = dialer
        self._tuning = tuning
        self.name = name or consumer_name()
        # Outcomes of this replica's jobs (dialled, sent, retry, ...).
        self.outcomes: Counter[str] = Counter()
        self._next_prune = 0.0  # monotonic time of the next look for dead consumers

    async def run(self, stop: asyncio.Event) -> None:
        log.info("dispatcher_started", consumer=self.name, rate=self._tuning.rate)
        loops = [asyncio.create_task(self._poll_loop(stop), name="dispatch-poll")]
        loops += [
            asyncio.create_task(self._consume_loop(stop, f"{self.name}-{n}"), name=f"dispatch-{n}")
            for n in range(self._tuning.concurrency)
        ]
        await stop.wait()
        # Loops notice the stop between jobs (a stream read blocks at most
        # ``block``); give the job in hand time to finish, then cancel.
        _, pending = await asyncio.wait(loops, timeout=self._tuning.grace)
        for task in pending:
            task.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        await self._store.resign(self.name)  # another replica lists from now on
        # This replica's consumers go with it, except one that still holds
        # entries it read but never finished: those wait to be taken over,
        # and the lease holder's sweep deletes that consumer afterwards.
        # (The names are those the consumer loops were given above.)
        own = [f"{self.name}-{n}" for n in range(self._tuning.concurrency)]
        await self._prune_consumers(idle=0, names=own)
        log.info("dispatcher_stopped", consumer=self.name, cut_short=len(pending))

    async def _poll_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.poll_once()
            except Exception:  # SDX or Redis down: try again next round
                if cancel_requested():
                    raise asyncio.CancelledError from None  # shutdown, not a failure
                log.exception("dispatch_poll_failed")
            # While another replica's first full pass fills the agenda, look
            # again soon rather than a whole interval later.
            wait = min(FILLING_WAIT, self._tuning.interval) if self._poller.filling else None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait or self._tuning.interval)

    async def poll_once(self) -> int:
        """If this replica holds the lease, queue what is due; returns how many were new."""
        if not await self._store.lead(self.name, ttl=self._tuning.interval * 3):
            return 0
        try:
            jobs = await self._poller.find_due()
        except SdxError as exc:
            log.warning("dispatch_listing_failed", error=type(exc).__name__)
            jobs = []
        ttl = self._tuning.dialing_ttl * 20
        added = await self._store.enqueue(jobs, ttl=ttl)
        # Due SMS retries leave the retry set and enter the stream in one
        # step: taken out first and queued after, a crash between would lose
        # a first message for good.
        retried = await self._store.requeue_retries(time.time(), 1000, ttl=ttl)
        if added or retried:
            log.info("dispatch_queued", due=len(jobs), retries=retried, new=added + retried)
        if time.monotonic() >= self._next_prune:
            # Every process leaves its consumers in the group when it dies;
            # one replica sweeps them, rarely, since they only cost memory.
            self._next_prune = time.monotonic() + self._tuning.prune_interval
            await self._prune_consumers(idle=self._tuning.forget_after)
        return added + retried

    async def _prune_consumers(self, idle: float, names: list[str] | None = None) -> None:
        """Delete idle consumers with nothing pending; a failure is only logged
        (it costs nothing but memory, and the next sweep tries again)."""
        try:
            gone = await self._store.prune_consumers(idle, names)
        except Exception as exc:
            if cancel_requested():
                raise asyncio.CancelledError from None  # shutdown, not a failure
            log.warning("dispatch_prune_failed", error=type(exc).__name__)
            return
        if gone:
            log.info("dispatch_consumers_pruned", consumers=gone)

    async def _consume_loop(self, stop: asyncio.Event, consumer: str) -> None:
        while not stop.is_set():
            try:
                await self.consume_once(consumer)
            except Exception:
                if cancel_requested():
                    raise asyncio.CancelledError from None  # shutdown, not a failure
                log.exception("dispatch_consume_failed")
                await asyncio.sleep(1)

    async def consume_once(self, consumer: str) -> int:
        """Take and handle what the stream offers (one entry); returns how many."""
        entries = await self._store.read(
            consumer, count=1, block=self._tuning.block, idle=self._tuning.idle
        )
        for entry_id, job in entries:
            clear_context()
            bind_context(interaction_id=job.interaction_id, channel=job.channel)
            # The pacing slot first, then the claim: a claim's clock must not
            # run while this consumer waits its turn (another replica could
            # take the entry over and dial it meanwhile).
            await self._pace()
            state = await self._store.claim(job, consumer, self._tuning.dialing_ttl)
            if state == "busy":
                # Someone is dialling it now, or died doing so: leave the entry
                # pending. It comes back after ``idle``; by then the claim is
                # settled (skip it) or expired (dial it).
                log.info("dispatch_deferred")
                clear_context()
                continue
            if state == "won":
                outcome = await self._dialer.dial(job, consumer)
                self.outcomes[outcome] += 1
                DIALS.labels(job.channel, outcome).inc()
                log.info("dispatched", outcome=outcome)
                if outcome == "deferred":
                    # Half done (a first text's survey started, or Twilio's
                    # log unreadable): the entry itself must come back, as
                    # no listing would offer it again.
                    clear_context()
                    continue
            else:
                log.info("dispatch_skipped", claim=state)
            await self._store.ack(entry_id)
            clear_context()
        return len(entries)
