"""Scale benchmark (issue 14): what the gateway costs SDX as the backlog grows.

For each backlog size, a fresh world (bench/scale_world.py: redis-server,
`gateway sandbox`, `gateway dispatch`, `gateway serve`, all on 127.0.0.1)
holds `size` outbound interactions on survey 53 and a tenth as many sms
(54) and inbound (52) ones, all scheduled a month ahead, so none is due.
The sandbox answers as slowly as a real API (`--latency`). Measured:

1. cold start: seconds from starting dispatch + serve until the backlog has
   been listed once: the first feed_built or reconcile_done log line, else
   the last SDX listing before `--quiet` seconds without one (capped by
   `--cold-cap`); other log events (dispatch_queued, index_rebuilt) are
   reported beside it;
2. idle SDX requests per minute over `--idle-window`, by endpoint, and the
   processes' CPU;
3. due calls: `--calls` interactions created through POST /interactions,
   due now: SDX requests above the idle rate per dialled call, and seconds
   from creation to the dial reaching the Twilio emulator;
4. unknown callers: `--calls` signed inbound-call webhooks from numbers with
   no interaction, to survey 53's number: SDX requests per call, how long
   each took, what the caller heard; then a new inbound interaction on 52
   and a call from its number at once: found on the first call or not;
5. Redis used_memory after the cold start and at the end; processes' RSS.

A phase that runs into its cap is reported with what it measured. Results
go to bench/scale-results.json under `--label`, beside other labels' runs:

    .venv/bin/python bench/scale.py --label before --sizes 10000,100000
    make bench-scale BENCH_ARGS="--label after --sizes 10000,100000,1000000"
    .venv/bin/python bench/scale.py --quick --results /tmp/scale.json   # a short try
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent)]

from scale_report import delta, save, spread, table  # noqa: E402
from scale_world import ROOT, World, heard, proc_cpu_s  # noqa: E402

RESULTS = Path(__file__).with_name("scale-results.json")
INBOUND, OUTBOUND, SMS = 52, 53, 54  # the sandbox's demo surveys
INBOUND_NUMBER, OUTBOUND_NUMBER = "+61200000000", "+61200000001"
# survey -> (type, first number, share of the size)
BACKLOG = {
    OUTBOUND: ("outbound", "+61410000000", 1.0),
    SMS: ("sms", "+61420000000", 0.1),
    INBOUND: ("inbound", "+61430000000", 0.1),
}
DUE_FIRST, UNKNOWN_FIRST, NEW_CALLER = 61470000000, 61480000000, "+61490000000"
LISTINGS = ("GET /interactions", "GET /surveys/{id}/interactions")
# What the issue-14 gateway logs once it has listed the backlog: the cold
# start ends at the first of them, if it comes before a quiet spell.
BUILT_EVENTS = ("feed_built", "reconcile_done")
LOG_EVENTS = (*BUILT_EVENTS, "feed_passed", "dispatch_queued", "index_rebuilt")
GATEWAY = ("dispatch", "serve", "sandbox")


def listings(counts: dict[str, int]) -> int:
    return sum(counts.get(name, 0) for name in LISTINGS)


async def prepare(world: World, size: int, opts: argparse.Namespace) -> dict[str, Any]:
    per_request, per_row = opts.latency
    await world.control("PUT", "/_sandbox/latency", {"per_request": 0, "per_row": 0})
    # The seed's due interactions would be dialled and surveyed at start: noise.
    for survey in (OUTBOUND, SMS):
        waiting = {"survey_id": survey, "started": "0", "completed": "0", "_limit": "1000"}
        for row in await world.sdx("GET", "/interactions", params=waiting):
            await world.sdx("DELETE", f"/interactions/{row['id']}")
    ahead = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%d %H:%M:%S")
    began, made = time.monotonic(), {}
    for survey, (kind, first, share) in BACKLOG.items():
        order = {"survey_id": survey, "survey_type": kind, "count": max(1, int(size * share))}
        order |= {"first_number": first, "scheduled_at": ahead}
        answer = await world.control("POST", "/_sandbox/interactions/bulk", order, 900)
        made[survey] = answer["created"]
        # A real SDX has its indexes built: list once so the sandbox has too.
        for filters in ({"started": "0", "completed": "0"}, {"completed": "0"}, {}):
            await world.sdx("GET", "/interactions", params={"survey_id": survey, **filters})
    seeded = round(time.monotonic() - began, 1)
    latency = {"per_request": per_request, "per_row": per_row}
    await world.control("PUT", "/_sandbox/latency", latency)
    return {"interactions": made, "seconds": seeded, "sandbox_rss_mb": world.rss("sandbox")}


async def cold_start(world: World, opts: argparse.Namespace) -> dict[str, Any]:
    """Until the gateway says it has listed the backlog, or stops listing for a while."""
    before = await world.counts()
    started = time.monotonic()
    world.start_gateway()
    seen, changed, result = listings(before), None, {}
    while not result:
        await world.watch(0.5)
        now, counts = time.monotonic(), await world.counts()
        if listings(counts) != seen:
            seen, changed = listings(counts), now
        said = world.first_events(BUILT_EVENTS, world.gateway_started)
        if said:
            event, seconds = min(said.items(), key=lambda item: item[1])
            result = {"seconds": seconds, "capped": False, "by": event}
        elif changed is not None and now - changed >= opts.quiet:
            result = {"seconds": round(changed - started, 1), "capped": False, "by": "quiet"}
        elif now - started >= opts.cold_cap:
            result = {"seconds": None, "capped": True, "cap_seconds": opts.cold_cap}
    await world.wait_http(f"{world.public_url}/healthz", "gateway serve")
    return {
        **result,
        "listing_requests": seen - listings(before),
        "sdx_requests": counts["total"] - before["total"],
        "log_events_s": world.first_events(LOG_EVENTS, world.gateway_started),
        "redis_used_mb": await world.redis_used_mb(),
    }


async def idle(world: World, opts: argparse.Namespace) -> dict[str, Any]:
    cpu0 = {name: proc_cpu_s(world.procs[name].pid) for name in GATEWAY}
    before, began = await world.counts(), time.monotonic()
    await world.watch(opts.idle_window)
    after, seconds = await world.counts(), time.monotonic() - began
    cpu1 = {name: proc_cpu_s(world.procs[name].pid) for name in GATEWAY}
    per_minute = {k: round(v * 60 / seconds, 2) for k, v in delta(after, before).items()}
    return {
        "window_s": round(seconds),
        "requests_per_min": per_minute.pop("total", 0.0),
        "by_endpoint_per_min": per_minute,
        "cpu_percent": {
            name: round(100 * ((cpu1[name] or 0) - (cpu0[name] or 0)) / seconds, 1)
            for name in GATEWAY
        },
    }


async def dials(world: World, created: dict[str, float]) -> dict[str, float]:
    """Seconds from creation to the first dial, for each of ``created`` dialled so far."""
    first: dict[str, float] = {}
    for call in await world.control("GET", "/twilio/_twilio/calls"):
        if call["to"] in created:
            first.setdefault(call["to"], call["created_at"] - created[call["to"]])
    return first


async def due_calls(
    world: World, opts: argparse.Namespace, idle_rate: float
) -> tuple[dict[str, Any], dict[str, float]]:
    numbers = [f"+{DUE_FIRST + k}" for k in range(opts.calls)]
    # Nobody answers: only finding the work and dialling it is measured.
    await world.control("POST", "/twilio/_twilio/outcomes", {n: "hold" for n in numbers})
    before, began = await world.counts(), time.monotonic()
    created: dict[str, float] = {}
    for number in numbers:
        created[number] = time.monotonic()
        form = {"survey_id": str(OUTBOUND), "survey_type": "outbound", "phone_number": number}
        await world.sdx("POST", "/interactions", data=form)
    dialled: dict[str, float] = {}
    while len(dialled) < len(numbers) and time.monotonic() - began < opts.due_cap:
        await world.watch(1.0)
        dialled = await dials(world, created)
    after, seconds = await world.counts(), time.monotonic() - began
    ours = delta(after, before)
    ours["POST /interactions"] = ours.get("POST /interactions", 0) - len(numbers)
    gateway_requests = ours.pop("total", 0) - len(numbers)
    above_idle = gateway_requests - idle_rate / 60 * seconds
    report = {
        "created": len(numbers),
        "dialled": len(dialled),
        "capped": len(dialled) < len(numbers),
        "seconds": round(seconds, 1),
        "sdx_requests": gateway_requests,
        "sdx_requests_above_idle_per_call": (
            round(above_idle / len(dialled), 1) if dialled else None
        ),
        "by_endpoint": {k: v for k, v in ours.items() if v},
        "dial_delay_s": spread(list(dialled.values())),
    }
    return report, created


async def unknown_callers(
    world: World, opts: argparse.Namespace, idle_rate: float, first_question: str
) -> dict[str, Any]:
    """Callers with no interaction ring survey 53's number (the big backlog's)."""
    before, began = await world.counts(), time.monotonic()
    took, outcomes = [], Counter[str]()
    for k in range(opts.calls):
        sid = f"CA{UNKNOWN_FIRST + k:032x}"
        seconds, twiml = await world.voice_call(f"+{UNKNOWN_FIRST + k}", OUTBOUND_NUMBER, sid)
        took.append(seconds)
        outcomes[heard(twiml, first_question)] += 1
    after, seconds = await world.counts(), time.monotonic() - began
    unknown = delta(after, before)
    requests = unknown.pop("total", 0)
    above_idle = requests - idle_rate / 60 * seconds
    return {
        "calls": opts.calls,
        "sdx_requests_per_call": round(requests / opts.calls, 1),
        "sdx_requests_above_idle_per_call": round(above_idle / opts.calls, 1),
        "by_endpoint": unknown,
        "answer_s": spread(took),
        "heard": dict(outcomes),
    }


async def new_caller(world: World, number: str, first_question: str) -> dict[str, Any]:
    """A new inbound interaction on survey 52, and its respondent rings at once."""
    before = await world.counts()
    form = {"survey_id": str(INBOUND), "survey_type": "inbound", "phone_number": number}
    await world.sdx("POST", "/interactions", data=form)
    seconds, twiml = await world.voice_call(number, INBOUND_NUMBER, f"CA{int(number[1:]):032x}")
    after = await world.counts()
    return {
        "found_on_first_call": heard(twiml, first_question) == "survey",
        "heard": heard(twiml, first_question),
        "answer_s": round(seconds, 2),
        "sdx_requests": after["total"] - before["total"] - 1,
    }


async def callers(world: World, opts: argparse.Namespace, idle_rate: float) -> dict[str, Any]:
    questions = await world.sdx("GET", f"/surveys/{INBOUND}/questions")
    first = questions[0]["question_text"]
    unknown = await unknown_callers(world, opts, idle_rate, first)
    # Nobody has rung survey 52's number yet: whatever the gateway knows of
    # it is as old as the cold start.
    stale = await new_caller(world, NEW_CALLER, first)
    # The same again right after a call to that number, as on a busy line.
    fresh = await new_caller(world, NEW_CALLER[:-1] + "1", first)
    return {"unknown": unknown, "new_inbound": {"first": stale, "after_a_call": fresh}}


async def run_size(size: int, opts: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {"size": size, "started": datetime.now(UTC).isoformat(" ", "seconds")}
    began = time.monotonic()
    extra = {"GATEWAY_CALLS_PER_SECOND": str(opts.calls_per_second)}
    if opts.reconcile_interval is not None:
        extra["GATEWAY_RECONCILE_INTERVAL"] = opts.reconcile_interval
    if opts.dispatch_interval is not None:
        extra["GATEWAY_DISPATCH_INTERVAL"] = opts.dispatch_interval
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        world = World(tmp, opts.gateway_src, extra)
        try:
            await world.start_support()
            result["seed"] = await prepare(world, size, opts)
            print(f"  {size}: seeded in {result['seed']['seconds']} s; starting the gateway")
            result["cold_start"] = await cold_start(world, opts)
            print(f"  {size}: cold start {result['cold_start']}; idle {opts.idle_window} s")
            result["idle"] = await idle(world, opts)
            rate = result["idle"]["requests_per_min"]
            result["due_calls"], created = await due_calls(world, opts, rate)
            result |= await callers(world, opts, rate)
            if result["due_calls"]["capped"]:
                # Dials that came after the cap, while the callers were measured.
                late = await dials(world, created)
                result["due_calls"]["by_the_end"] = {
                    "dialled": len(late),
                    "dial_delay_s": spread(list(late.values())),
                }
            result["log_events_s"] = world.first_events(LOG_EVENTS, world.gateway_started)
            result["memory_mb"] = {
                "redis_used": await world.redis_used_mb(),
                **{f"{name}_rss": world.rss(name) for name in GATEWAY},
            }
        except (Exception, asyncio.CancelledError) as exc:
            result["error"] = f"{type(exc).__name__}: {exc}"
            result["logs"] = {name: world.log_tail(name) for name in GATEWAY}
            if isinstance(exc, asyncio.CancelledError):
                raise
        finally:
            result["bench_seconds"] = round(time.monotonic() - began)
            if opts.logs is not None:
                world.keep_logs(opts.logs / f"{opts.label}-{size}")
            await world.close()
    return result


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--label", default="run", help="key of this run in the results file")
    parser.add_argument("--sizes", help="backlog sizes, comma-separated (10000,100000,1000000)")
    parser.add_argument("--quick", action="store_true", help="10k, short windows, 5 calls")
    parser.add_argument("--idle-window", type=float, help="seconds of idle measuring (180)")
    parser.add_argument("--calls", type=int, help="due calls and unknown callers (20)")
    parser.add_argument("--latency", default="0.05,0.0001", help="SDX s per request,per row")
    parser.add_argument("--reconcile-interval", help="GATEWAY_RECONCILE_INTERVAL (unset)")
    parser.add_argument("--dispatch-interval", help="GATEWAY_DISPATCH_INTERVAL (default 30)")
    parser.add_argument(
        "--calls-per-second", type=float, default=10.0, help="GATEWAY_CALLS_PER_SECOND (10)"
    )
    parser.add_argument(
        "--quiet", type=float, default=10.0, help="s without a listing that end a cold start (10)"
    )
    parser.add_argument("--cold-cap", type=float, help="s before a cold start is given up (900)")
    parser.add_argument("--due-cap", type=float, help="s to wait for the due calls (300)")
    parser.add_argument(
        "--gateway-src",
        type=Path,
        default=ROOT,
        help="source tree whose gateway runs dispatch and serve (default: this one; "
        "the sandbox always comes from this one)",
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help=f"(default {RESULTS})")
    parser.add_argument("--logs", type=Path, help="copy the processes' logs under this folder")
    parser.add_argument("--note", default="", help="kept with the label's results")
    opts = parser.parse_args()
    quick = opts.quick
    sizes = opts.sizes or ("10000" if quick else "10000,100000,1000000")
    opts.sizes = [int(size) for size in sizes.split(",")]
    opts.idle_window = opts.idle_window or (30.0 if quick else 180.0)
    opts.calls = opts.calls or (5 if quick else 20)
    opts.cold_cap = opts.cold_cap or (180.0 if quick else 900.0)
    opts.due_cap = opts.due_cap or (120.0 if quick else 300.0)
    opts.latency = tuple(float(x) for x in opts.latency.split(","))
    opts.gateway_src = opts.gateway_src.resolve()
    return opts


async def main() -> None:
    opts = options()
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    results = []
    try:
        for size in opts.sizes:
            print(f"size {size} ({opts.label}, gateway from {opts.gateway_src})", flush=True)
            results.append(await run_size(size, opts))
    finally:
        if results:
            print(table(save(opts, results)))


if __name__ == "__main__":
    asyncio.run(main())
