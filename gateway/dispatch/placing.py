"""Placing a call or a first text exactly once per attempt, whatever dies mid-dial.

Before Twilio is asked to call or text, the attempt is written down in SDX
(interaction data ``gateway_placing``: the attempt, when, and for a call the
``gateway_attempts`` count it stands for), where it survives Redis being
flushed and the dispatcher being killed. The count is then *set* to that
value, never incremented again for the same attempt: a count write that
fails or lands late, and is tried again, cannot use attempts up without a
call. A job that
finds its own attempt written down there was started before by a dial that
never settled (the process died, Redis failed, the reply was cut off): it
asks Twilio's call or message log what happened to that number since, and
dials only if nothing went out.

A marker older than the settled window no longer counts: by then the
claim of a dial that did settle has expired too, and the interaction is
offered again only because the outcome of that call was never recorded (a
lost status callback). Dialling again then is the documented retry.

The dial is also counted in Redis (``gateway.state.attempts``) before
Twilio is asked, and the limit holds against the larger of that count and
SDX's: an SDX that appends, ignores or loses data writes cannot keep the
count low. The same record stands in for a marker SDX lost: a dial begun
there is reconciled too, and keeps its time, so it counts once.

While a dial is in flight its claim is renewed, so a slow SDX or Twilio
(each request may take its whole time budget) never lets the claim expire
under a live holder.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gateway.dispatch.jobs import Job
from gateway.dispatch.store import DispatchStore
from gateway.logging import get_logger
from gateway.sdx import SdxClient, ambiguous
from gateway.sdx.errors import SdxError
from gateway.state.attempts import AttemptStore, Dial
from gateway.survey.outcomes import ATTEMPTS, attempts_in
from gateway.twilio.rest import PlacedCall

log = get_logger(__name__)

PLACING = "gateway_placing"
# Stopped mid-dial: how long to wait for Twilio's answer, to settle the claim.
SETTLE_ON_STOP = 10.0
# Clocks differ between this host and Twilio's: look back this much further.
CLOCK_SLACK = timedelta(seconds=5)


@dataclass(frozen=True)
class Placing:
    """What ``gateway_placing`` says: a dial of ``attempt`` began at ``began``."""

    attempt: str
    began: datetime
    count: int | None  # the gateway_attempts value it stands for (calls)

    def value(self) -> str:
        stamp = f"{self.attempt} {int(self.began.timestamp())}"
        return stamp if self.count is None else f"{stamp} {self.count}"


def placing_of(data: dict[str, str]) -> Placing | None:
    parts = data.get(PLACING, "").split()
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts[1:]):
        return None
    count = int(parts[2]) if len(parts) == 3 else None
    return Placing(parts[0], datetime.fromtimestamp(int(parts[1]), UTC), count)


def settled_window(retry_delay: float) -> float:
    """How long a dial's claim stays settled, and its marker counts: if the call's
    outcome never gets recorded, the same attempt is dialled again after this."""
    return max(600.0, retry_delay)


def placed_before(
    data: dict[str, str], attempt: str, now: datetime, window: float
) -> Placing | None:
    """The earlier dial of this very attempt, if one began within ``window`` seconds."""
    placing = placing_of(data)
    if placing is None or placing.attempt != attempt:
        return None
    if now - placing.began > timedelta(seconds=window):
        return None
    return placing


def own_dial(dials: Sequence[Dial], attempt: str, now: datetime, window: float) -> Dial | None:
    """The earlier dial of this very attempt the gateway recorded, if begun within ``window``."""
    recent = [d for d in dials if d.attempt == attempt and now.timestamp() - d.began <= window]
    return min(recent, key=lambda d: d.began, default=None)


def sdx_before(data: dict[str, str], attempt: str, now: datetime, window: float) -> int:
    """Calls SDX counts before this attempt's dial. A dial being placed (its
    marker is recent) is counted already, but must not stop itself: a dial
    cut short after counting would otherwise never be finished."""
    own = placed_before(data, attempt, now, window)
    if own is not None and own.count is not None:
        return own.count - 1
    return attempts_in(data)


def own_before(dials: Sequence[Dial], attempt: str, now: datetime, window: float) -> int:
    """Calls the gateway recorded before this attempt's dial (excused as in SDX)."""
    return len(dials) - (own_dial(dials, attempt, now, window) is not None)


@dataclass(frozen=True)
class Dialling:
    placing: Placing
    resumed: bool  # an earlier try of this dial may have reached Twilio: reconcile
    counted: bool  # the gateway has recorded it already


def dialling(
    job: Job, data: dict[str, str], dials: Sequence[Dial], now: datetime, window: float
) -> Dialling:
    """This attempt's dial: a try of one begun within ``window`` (its marker in
    SDX, or its record here; either may be lost), else a new one.

    A resumed dial keeps its earliest known time, which bounds the question
    to Twilio and keeps its record the same. An SDX marker is kept as it is;
    a new call stands for one more than the larger count.
    """
    marker = placed_before(data, job.attempt, now, window)
    mine = own_dial(dials, job.attempt, now, window)
    times: list[datetime] = []
    if marker is not None:
        times.append(marker.began)
    if mine is not None:
        times.append(datetime.fromtimestamp(mine.began, UTC))
    if marker is not None:
        placing = Placing(job.attempt, min(times), marker.count)
    else:
        before = max(
            sdx_before(data, job.attempt, now, window), own_before(dials, job.attempt, now, window)
        )
        count = before + 1 if job.channel == "voice" else None
        placing = Placing(job.attempt, min(times, default=now), count)
    return Dialling(placing, resumed=bool(times), counted=mine is not None)


async def write_down(
    sdx: SdxClient, attempts: AttemptStore, job: Job, data: dict[str, str], dial: Dialling
) -> bool:
    """Write the dial down before Twilio is asked; False if SDX failed (Redis
    failing raises, as at every other Redis step of a dial).

    A call is counted in Redis first, the gateway's own count; then the
    marker in SDX, then the count it names (a call's ``gateway_attempts``),
    so every dial counts even when its outcome never arrives. An earlier
    dial's marker is kept as it is: its count is set again only if it never
    landed, and its time still bounds the reconciliation of whatever that
    dial may yet have started. A first text is not counted: once sent, its
    survey has started and no listing offers it again.
    """
    placing = dial.placing
    try:
        if job.channel == "voice" and not dial.counted:
            began = int(placing.began.timestamp())
            await attempts.record(job.interaction_id, Dial(job.attempt, began))
        if data.get(PLACING) != placing.value():
            await ambiguous.write_data(sdx, job.interaction_id, PLACING, placing.value())
        if placing.count is not None and data.get(ATTEMPTS) != str(placing.count):
            await ambiguous.write_data(sdx, job.interaction_id, ATTEMPTS, str(placing.count))
    except SdxError as exc:
        log.warning("sdx_fault", error=type(exc).__name__, interaction_id=job.interaction_id)
        return False
    return True


@contextlib.asynccontextmanager
async def claim_kept(store: DispatchStore, job: Job, owner: str, ttl: float) -> AsyncIterator[None]:
    """Renew ``owner``'s claim on ``job`` every ``ttl``/3 seconds while the block runs."""

    async def renew() -> None:
        while True:
            await asyncio.sleep(ttl / 3)
            try:
                if not await store.renew(job, owner, ttl):
                    log.warning("dispatch_claim_lost")  # expired: a stall longer than ttl
                    return
            except Exception:  # Redis down: the next round tries again
                log.warning("dispatch_claim_renew_failed")

    task = asyncio.create_task(renew(), name="dispatch-claim")
    try:
        yield
    finally:
        task.cancel()
        # gather, not suppress(CancelledError): a cancel of the caller that
        # arrives meanwhile must still propagate.
        await asyncio.gather(task, return_exceptions=True)


async def settle_on_stop(
    store: DispatchStore, job: Job, creating: asyncio.Future[PlacedCall], ttl: float
) -> None:
    """Stopped while Twilio was creating the call: wait (bounded) for its answer
    and settle the claim, so no replica dials this attempt again. Past the
    wait the marker in SDX covers it: the next holder reconciles."""
    await asyncio.wait({creating}, timeout=SETTLE_ON_STOP)
    if not creating.done():
        # Left to finish on its own; its outcome is read so that it is never
        # reported as an exception nobody retrieved.
        creating.add_done_callback(lambda f: f.cancelled() or f.exception())
        return
    if creating.cancelled() or creating.exception() is not None:
        return
    with contextlib.suppress(Exception):
        await store.settle(job, creating.result().sid, ttl)
        log.info("call_placed", call_sid=creating.result().sid, on_stop=True)
