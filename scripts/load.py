"""`make load`: 50 simulated practitioners for 60 s against the real stack (started with
`make run` on its own ports, loopback only), then throughput, latency percentiles, errors,
and whether every gap record that had to be written was written."""

from __future__ import annotations

import argparse
import csv
import sqlite3
import subprocess
import sys
import time

from scripts.stack import ROOT, LocalStack

DONT_KNOW_REASONS = ("weak_retrieval", "nlu_fallback", "out_of_scope")


def stored_gaps(stack: LocalStack) -> tuple[int, int]:
    path = stack.var_dir / "gaps.sqlite"
    if not path.exists():
        return 0, 0
    with sqlite3.connect(path, timeout=30) as db:
        marks = ",".join("?" * len(DONT_KNOW_REASONS))
        # Only "?" placeholders are interpolated; the values are bound.
        dont_know = db.execute(
            f"SELECT count(*) FROM gaps WHERE reason IN ({marks})",  # nosec B608
            DONT_KNOW_REASONS,
        ).fetchone()[0]
        thumbs = db.execute(
            "SELECT count(*) FROM gaps WHERE reason = 'negative_feedback'"
        ).fetchone()[0]
    return dont_know, thumbs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--no-build", action="store_true", help="start the Procfile directly")
    args = parser.parse_args()
    out = ROOT / "var" / "load"
    out.mkdir(parents=True, exist_ok=True)
    tally = out / "expected-gaps.txt"
    # Every simulated practitioner comes from 127.0.0.1, so the per-client limit is lifted.
    stack = LocalStack(base_port=18600, direct=args.no_build, RATE_LIMIT_CHAT="1000000 per minute")
    print("Starting the stack with `make run` ...", flush=True)
    with stack:
        print(f"healthy after {stack.startup_s:.1f} s; {args.users} users for {args.seconds} s")
        subprocess.run(
            [
                str(ROOT / ".venv/bin/locust"),
                "-f",
                str(ROOT / "scripts" / "locustfile.py"),
                "--headless",
                "--host",
                stack.web,
                "-u",
                str(args.users),
                "-r",
                str(max(1, args.users // 5)),
                "-t",
                f"{args.seconds}s",
                "--stop-timeout",
                "30",
                "--csv",
                str(out / "locust"),
                "--only-summary",
                "--loglevel",
                "WARNING",
                "--gap-count-file",
                str(tally),
            ],
            cwd=ROOT,
            check=False,
        )
        expected = tuple(int(x) for x in tally.read_text().split())
        deadline = time.monotonic() + 60
        while stored_gaps(stack) != expected and time.monotonic() < deadline:
            time.sleep(1)
        stored = stored_gaps(stack)

    rows = list(csv.DictReader((out / "locust_stats.csv").open()))
    print(f"\n{'request':<20} {'n':>6} {'fail':>5} {'p50':>6} {'p95':>6} {'p99':>6} {'req/s':>7}")
    for row in rows:
        print(
            f"{row['Name']:<20} {row['Request Count']:>6} {row['Failure Count']:>5} "
            f"{row['50%']:>6} {row['95%']:>6} {row['99%']:>6} {float(row['Requests/s']):>7.1f}"
        )
    total = next(r for r in rows if r["Name"] == "Aggregated")
    turns_per_s = sum(
        float(r["Requests/s"]) for r in rows if r["Name"] not in {"Aggregated", "thumbs down"}
    )
    errors = int(total["Failure Count"])
    lost = (expected[0] - stored[0]) + (expected[1] - stored[1])
    print(f"\nchat turns/s: {turns_per_s:.1f}; errors: {errors} (target 0)")
    print(f"latency ms, all requests: p50 {total['50%']}, p95 {total['95%']}, p99 {total['99%']}")
    print(
        f"gap records: expected {expected[0]} 'don't know' + {expected[1]} thumbs-down, "
        f"stored {stored[0]} + {stored[1]}; lost {lost} (target 0)"
    )
    return 0 if errors == 0 and lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
