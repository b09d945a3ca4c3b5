"""CPU per answered turn, kept by label so a change is measured next to what came before.

The same processes as ``bench/turns.py`` (``gateway serve``, real Redis, the
SDX stub, an open-loop load of signed webhooks), but the gateway logs as
production does (INFO, JSON) and only what a CPU comparison needs is run,
``--runs`` times: each channel at 200 turns/s with an instant SDX (CPU µs per
turn: the gateway's user + system time over the turns it answered) and with a
50 ms SDX (the p99 latency a turn adds over the SDX delay).

    make bench-cpu BENCH_LABEL=after BENCH_NOTE="what changed"
    .venv/bin/python bench/cpu.py --label before     # the same, by hand
    .venv/bin/python bench/cpu.py --report           # the table of every label

    # this checkout against another commit's gateway, measured in turns
    # (each goes first in every other run):
    git worktree add /tmp/before <commit>
    .venv/bin/python bench/cpu.py --label after --against /tmp/before --against-label before-x

Results go to ``bench/cpu-results.json``; each run prints the table of every
label recorded on this machine, the medians and the change from "before".
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from turns import Bench, stub_stats, warm_up

RESULTS = Path(__file__).with_name("cpu-results.json")
RATE = 200
CHANNELS = ("voice", "sms")


def measure(bench: Bench, seconds: float) -> dict[str, Any]:
    """One run: CPU per turn (instant SDX) and added p99 (50 ms SDX), per channel."""
    run: dict[str, Any] = {}
    for channel in CHANNELS:
        stub_stats(bench.stub_port, 0)
        fast = bench.step(channel, 0, RATE, seconds)
        time.sleep(1)
        stub_stats(bench.stub_port, 50)
        slow = bench.step(channel, 50, RATE, seconds)
        time.sleep(1)
        run[channel] = {
            "cpu_us_per_turn": fast["cpu_us_per_turn"],
            "turns": fast["ok"],
            "errors": fast["errors"] + slow["errors"],
            "p99_added_ms_sdx_0": fast["added_p99_ms"],
            "p99_added_ms_sdx_50": slow["added_p99_ms"],
        }
        print(f"  {channel:<5} {run[channel]}", flush=True)
    stub_stats(bench.stub_port, 0)
    return run


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for channel in CHANNELS:
        cpu = [r[channel]["cpu_us_per_turn"] for r in runs]
        slow = [r[channel]["p99_added_ms_sdx_50"] for r in runs]
        out[channel] = {
            "cpu_us_per_turn": cpu,
            "cpu_median": round(statistics.median(cpu)),
            "p99_added_ms_sdx_50": slow,
            "p99_under_10ms_runs": sum(1 for v in slow if v < 10),
        }
    return out


def report(results: dict[str, Any], base: str = "before") -> str:
    lines = [
        f"{'label':<10} {'channel':<7} {'CPU µs/turn (runs)':<24} {'median':>6} {'change':>7}  "
        f"p99 added at 200/s, 50 ms SDX (ms)"
    ]
    before = results.get(base)
    for label, entry in results.items():
        for channel in CHANNELS:
            row = entry["summary"][channel]
            runs = ", ".join(f"{v:.0f}" for v in row["cpu_us_per_turn"])
            change = ""
            if before is not None and label != base:
                reference = before["summary"][channel]["cpu_median"]
                change = f"{100 * (row['cpu_median'] - reference) / reference:+.0f}%"
            slow = ", ".join(f"{v:.1f}" for v in row["p99_added_ms_sdx_50"])
            lines.append(
                f"{label:<10} {channel:<7} {runs:<24} {row['cpu_median']:>6} {change:>7}  {slow}"
            )
    return "\n".join(lines)


def record(args: argparse.Namespace, label: str, note: str, runs: list[Any]) -> dict[str, Any]:
    return {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "date": time.strftime("%Y-%m-%d"),
        },
        "note": note,
        "seconds_per_step": args.seconds,
        "runs": runs,
        "summary": summary(runs),
    }


def main(args: argparse.Namespace) -> None:
    results: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    if not args.report:
        # With --against, two gateways (each with its own Redis and SDX stub)
        # are measured in turns, run by run, so that a machine slowing down or
        # speeding up during the measurement weighs on both alike.
        trees = [(args.label, args.note, args.checkout)]
        if args.against:
            trees.insert(0, (args.against_label, f"{args.against} (--against)", args.against))
        taken = [label for label, _, _ in trees if label in results]
        if taken:  # a record is kept, never written over
            sys.exit(f"already recorded: {', '.join(taken)} (choose another --label)")
        runs: dict[str, list[Any]] = {label: [] for label, _, _ in trees}
        with tempfile.TemporaryDirectory() as tmp:
            benches: list[Bench] = []
            try:
                for index, (_, _, checkout) in enumerate(trees):
                    place = Path(tmp) / str(index)
                    place.mkdir()
                    benches.append(Bench(args, str(place), checkout))
                    warm_up(benches[-1])
                pairs = list(zip(trees, benches, strict=True))
                for number in range(args.runs):
                    print(f"run {number + 1} of {args.runs}", flush=True)
                    # Each gateway goes first in every other run, so that a
                    # machine slowing down (or speeding up) steadily does not
                    # always weigh on the same one.
                    for (label, _, _), bench in pairs[:: -1 if number % 2 else 1]:
                        print(f" {label}", flush=True)
                        runs[label].append(measure(bench, args.seconds))
            finally:
                for bench in benches:
                    bench.close()
        for label, note, _ in trees:
            results[label] = record(args, label, note, runs[label])
        RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(report(results, args.against_label if args.against else "before"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--label", default="current", help="name of this measurement")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per step")
    parser.add_argument("--note", default="", help="what was measured, for the record")
    parser.add_argument("--report", action="store_true", help="print the table only")
    parser.add_argument("--checkout", help="measure another work tree's gateway")
    parser.add_argument(
        "--against", help="also measure this work tree's gateway, run by run in turns"
    )
    parser.add_argument("--against-label", default="before", help="the --against tree's label")
    parser.set_defaults(log_level="INFO")
    main(parser.parse_args())
