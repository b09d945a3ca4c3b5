"""Instructions per answered turn: the gateway's own work, counted rather than timed.

CPU time on a shared 2-vCPU machine moves by ±3-5% from run to run, more
than most single changes save. This runs ``bench/turns.py``'s processes
with ``gateway serve`` under valgrind's callgrind and counts the user-space
instructions the gateway executes per answered turn (voice, then SMS, at a
low rate so that turns do not overlap, as they rarely do at 200/s without
valgrind). The same code and requests give the same count within about
0.3%, so a change of 1% shows. The kernel's share (socket writes and
reads, about 15% of a turn's CPU) is not counted: use ``bench/cpu.py`` for
CPU time.

    make bench-instructions                     # this checkout
    .venv/bin/python bench/instructions.py --checkout /path/to/other/tree

``--checkout`` measures another work tree's gateway (``git worktree add``)
with this checkout's benchmark, so two commits can be compared side by
side. About a minute per run; needs valgrind.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# A small survey: listing it runs under valgrind too. Set before turns is imported.
os.environ.setdefault("BENCH_POOL", "6000")

from turns import SURVEY_ID, Bench


def callgrind(bench: Bench, *command: str) -> None:
    subprocess.run(
        ["callgrind_control", *command, str(bench.gateway.pid)],
        stdout=subprocess.DEVNULL,
        check=True,
    )


def counted(out_dir: str) -> int:
    """Instructions in the dumps written since the counters were last zeroed."""
    total = 0
    for path in glob.glob(f"{out_dir}/callgrind.*"):
        for line in Path(path).read_text(errors="replace").splitlines():
            if line.startswith("summary:"):
                total = max(total, int(line.split()[1]))
    return total


def main(args: argparse.Namespace) -> None:
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (apt-get install valgrind)")
    out_dir = tempfile.mkdtemp(prefix="callgrind-")
    args.gateway_prefix = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",  # start-up and the survey's listing are not counted
        f"--callgrind-out-file={out_dir}/callgrind.%p",
    ]
    args.start_seconds = 300
    args.log_level = "INFO"  # as in production, like bench/cpu.py
    result: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        bench = Bench(args, tmp, args.checkout)
        try:
            bench.step("voice", 0, 5, 2)  # the first webhook starts the listing
            started = time.monotonic()
            while not bench.redis.client.exists(f"bench:idx:{SURVEY_ID}"):
                if time.monotonic() - started > 600:
                    sys.exit("the lookup index was not built within 600 s")
                time.sleep(0.5)
            for channel in ("voice", "sms"):
                bench.step(channel, 0, 10, 3)  # connections open, scripts loaded
            callgrind(bench, "--instr=on")
            for channel in ("voice", "sms"):
                bench.step(channel, 0, args.rate, 3)
                for path in glob.glob(f"{out_dir}/callgrind.*"):
                    os.remove(path)
                callgrind(bench, "--zero")
                step = bench.step(channel, 0, args.rate, args.seconds)
                callgrind(bench, "--dump")
                time.sleep(1)
                if step["errors"] or not step["ok"]:
                    sys.exit(f"{channel}: {step['errors']} errors, e.g. {step['error_samples']}")
                per_turn = counted(out_dir) / step["ok"]
                result[channel] = {
                    "k_instructions_per_turn": round(per_turn / 1000),
                    "turns": step["ok"],
                }
                print(f"{channel:<5} {result[channel]}", flush=True)
        finally:
            bench.close()
            shutil.rmtree(out_dir, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checkout", help="another work tree's gateway to measure")
    parser.add_argument("--rate", type=float, default=4.0, help="turns per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="seconds counted per channel")
    main(parser.parse_args())
