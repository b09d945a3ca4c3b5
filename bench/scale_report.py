"""Writing the scale bench's results (bench/scale.py) and printing them side by side."""

from __future__ import annotations

import argparse
import json
import os
import platform
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


def table(data: dict[str, Any]) -> str:
    head = (
        f"{'size':>8} {'label':<8} {'cold s':>7} {'idle/min':>9} {'due req':>8} "
        f"{'dial s med/max':>15} {'unk req':>8} {'unk s med/max':>14} {'found':>6} "
        f"{'redis MB':>8} {'sdx MB':>7}"
    )
    lines = [head]
    sizes = sorted({int(s) for entry in data.values() for s in entry.get("sizes", {})})
    for size in sizes:
        for label, entry in data.items():
            r = entry.get("sizes", {}).get(str(size))
            if r is None:
                continue
            cold = r.get("cold_start", {})
            due, unknown = r.get("due_calls", {}), r.get("unknown", {})
            dial, answer = due.get("dial_delay_s") or {}, unknown.get("answer_s") or {}
            lines.append(
                f"{size:>8} {label:<8} {cold.get('seconds') or 'cap':>7} "
                f"{r.get('idle', {}).get('requests_per_min', '-'):>9} "
                f"{due.get('sdx_requests_above_idle_per_call', '-'):>8} "
                f"{str(dial.get('median', '-')) + '/' + str(dial.get('max', '-')):>15} "
                f"{unknown.get('sdx_requests_per_call', '-'):>8} "
                f"{str(answer.get('median', '-')) + '/' + str(answer.get('max', '-')):>14} "
                f"{_found(r.get('new_inbound', {})):>6} "
                f"{cold.get('redis_used_mb', '-'):>8} "
                f"{r.get('seed', {}).get('sandbox_rss_mb', '-'):>7}"
                + (f"  ERROR {r['error']}" if "error" in r else "")
            )
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
