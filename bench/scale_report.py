"""Writing the scale bench's results (bench/scale.py) and printing them side by side."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

from scale_world import ROOT


def git_commit(path: Path) -> str:
    run = subprocess.run(
        ["git", "-C", str(path), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    )
    return run.stdout.strip() or "unknown"


def delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}


def spread(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    return {"median": round(statistics.median(values), 2), "max": round(max(values), 2)}


COLUMNS = (
    ("size", 8),
    ("label", 8),
    ("cold s", 7),
    ("idle/min", 9),
    ("due req", 8),
    ("dial s med/max", 16),
    ("unk req", 8),
    ("unk s med/max", 14),
    ("found", 6),
    ("redis MB", 8),
    ("sdx MB", 7),
)


def _pair(spread: dict[str, float] | None, mark: str = "") -> str:
    return "-" if not spread else f"{spread['median']}/{spread['max']}{mark}"


def _row(size: int, label: str, r: dict[str, Any]) -> list[str]:
    cold, due, unknown = r.get("cold_start", {}), r.get("due_calls", {}), r.get("unknown", {})
    dial = _pair(due.get("dial_delay_s"))
    if due.get("capped") and due.get("by_the_end"):
        dial = _pair(due["by_the_end"]["dial_delay_s"], "*")
    return [
        str(size),
        label,
        str(cold.get("seconds") or ("cap" if cold else "-")),
        _cell(r.get("idle", {}).get("requests_per_min")),
        _cell(due.get("sdx_requests_above_idle_per_call")),
        dial,
        _cell(unknown.get("sdx_requests_per_call")),
        _pair(unknown.get("answer_s")),
        _found(r.get("new_inbound", {})),
        _cell(cold.get("redis_used_mb")),
        _cell(r.get("seed", {}).get("sandbox_rss_mb")),
    ]


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)


def table(data: dict[str, Any]) -> str:
    """Every label's runs, size by size; * marks dials that came after the due cap."""
    lines = [" ".join(f"{name:>{width}}" for name, width in COLUMNS)]
    sizes = sorted({int(s) for entry in data.values() for s in entry.get("sizes", {})})
    for size in sizes:
        for label, entry in data.items():
            r = entry.get("sizes", {}).get(str(size))
            if r is None:
                continue
            cells = _row(size, label, r)
            widths = [width for _, width in COLUMNS]
            line = " ".join(f"{c:>{w}}" for c, w in zip(cells, widths, strict=True))
            lines.append(line + (f"  ERROR {r['error']}" if "error" in r else ""))
    return "\n".join(lines)


def save(opts: argparse.Namespace, results: list[dict[str, Any]]) -> dict[str, Any]:
    data = json.loads(opts.results.read_text()) if opts.results.exists() else {}
    entry = data.setdefault(opts.label, {"sizes": {}})
    entry["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": time.strftime("%Y-%m-%d"),
        "gateway_commit": git_commit(opts.gateway_src),
        "bench_commit": git_commit(ROOT),
    }
    entry["options"] = {
        "latency_per_request_s": opts.latency[0],
        "latency_per_row_s": opts.latency[1],
        "idle_window_s": opts.idle_window,
        "calls": opts.calls,
        "calls_per_second": opts.calls_per_second,
        "reconcile_interval": opts.reconcile_interval,
        "dispatch_interval": opts.dispatch_interval or "default",
        "quiet_s": opts.quiet,
        "note": opts.note,
    }
    entry["sizes"].update({str(r["size"]): r for r in results})
    opts.results.write_text(json.dumps(data, indent=2) + "\n")
    return data


def _found(new_inbound: dict[str, Any]) -> str:
    """y/n for the new caller found on the first call: index as of the cold start / just used."""
    marks = [
        "-" if case not in new_inbound else "yn"[not new_inbound[case]["found_on_first_call"]]
        for case in ("first", "after_a_call")
    ]
    return "/".join(marks)
