"""`make bench`: latency of the real stack, turn by turn, and what it costs to run.

Starts the stack with `make run` (its own ports, temporary VAR_DIR), then times at least 200
turns each, interleaved turn by turn from one client, of: a bare Rasa REST turn answered by a
plain response (the floor: NLU + policy + one response, no action server, no web app), the same
turn through the web app's /api/chat (so the proxy's cost shows), a knowledge answer through
/api/chat, a walkthrough step through /api/chat, and Rasa's /model/parse alone. Prints p50/p95,
the ratio of the knowledge answer to the floor, each service's memory and the start-up time.
Then the scaling benchmark (scripts/bench_scale.py) unless --no-scale.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from typing import TypeVar

import requests

from scripts.stack import ROOT, LocalStack

T = TypeVar("T")

KNOWLEDGE = [
    "what is cuckooing",
    "signs of child criminal exploitation",
    "what does was not brought mean",
    "how do I make an NRM referral",
    "what is professional curiosity",
    "what is disguised compliance",
    "tell me about the voice of the child briefing",
    "what is a LADO",
    "what are the six principles of adult safeguarding",
    "what happens in a rapid review after a serious incident",
]
REFERRAL = [
    "I need to make a referral",
    "No, not right now",
    "Child",
    "within those hours",
    "sought agreement",
    "Abuse or neglect",
]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))]


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = fn()
    return (time.perf_counter() - started) * 1000, result


class Bench:
    def __init__(self, stack: LocalStack, turns: int) -> None:
        self.stack = stack
        self.turns = turns
        self.http = requests.Session()
        self.unsourced = 0  # knowledge turns answered without a source (should be 0)

    def chat(self, message: str, sid: str | None) -> dict:
        r = self.http.post(
            f"{self.stack.web}/api/chat", json={"message": message, "session_id": sid}, timeout=30
        )
        r.raise_for_status()
        return r.json()

    def rasa_turn(self, sender: str, message: str) -> list:
        r = self.http.post(
            f"{self.stack.rasa}/webhooks/rest/webhook",
            json={"sender": sender, "message": message},
            timeout=30,
        )
        r.raise_for_status()
        return r.json()

    # Each scenario is a generator that times one turn per step, so main() can interleave
    # them turn by turn: a background job slowing the machine for a while then slows every
    # scenario alike instead of whichever one happened to be running.
    def bare_rasa(self) -> Iterator[float]:
        run = uuid.uuid4().hex[:8]  # ten-turn conversations, as the /api/chat scenarios have
        for i in itertools.count():
            sender = f"bench-{run}-{i // 10}"
            ms, reply = timed(lambda s=sender: self.rasa_turn(s, "hello"))
            assert reply and reply[0].get("text"), "Rasa gave no plain response to 'hello'"
            yield ms

    def chat_plain(self) -> Iterator[float]:
        sid = None
        for i in itertools.count():
            if i % 10 == 0:
                sid = None
            ms, box = timed(lambda s=sid: self.chat("hello", s))
            sid = box["session_id"]
            yield ms

    def knowledge(self) -> Iterator[float]:
        sid = None
        for i in itertools.count():
            if i % 10 == 0:
                sid = None
            q = KNOWLEDGE[i % len(KNOWLEDGE)]
            ms, box = timed(lambda s=sid, q=q: self.chat(q, s))
            self.unsourced += not any(m["sources"] for m in box["messages"])
            sid = box["session_id"]
            yield ms

    def walkthrough(self) -> Iterator[float]:
        """Every turn after the first of a full referral walkthrough, by button payloads."""
        while True:
            reply = self.chat(REFERRAL[0], None)
            sid = reply["session_id"]
            for title in REFERRAL[1:]:
                payload = next(
                    (
                        b["payload"]
                        for m in reply["messages"]
                        for b in m["buttons"]
                        if title.lower() in b["title"].lower()
                    ),
                    title,
                )
                ms, reply = timed(lambda p=payload, s=sid: self.chat(p, s))
                yield ms
            assert any(m["copy"] for m in reply["messages"]), "walkthrough did not finish"

    def parse(self) -> Iterator[float]:
        for i in itertools.count():
            q = KNOWLEDGE[i % len(KNOWLEDGE)]
            ms, _ = timed(
                lambda q=q: self.http.post(
                    f"{self.stack.rasa}/model/parse",
                    params={"token": self.stack.token},
                    json={"text": q},
                    timeout=30,
                ).raise_for_status()
            )
            yield ms

    def run(self) -> dict[str, list[float]]:
        scenarios = {
            "bare Rasa REST turn (floor)": self.bare_rasa(),
            "/model/parse alone": self.parse(),
            "plain turn via /api/chat": self.chat_plain(),
            "knowledge answer via /api/chat": self.knowledge(),
            "walkthrough step via /api/chat": self.walkthrough(),
        }
        rows: dict[str, list[float]] = {name: [] for name in scenarios}
        for _ in range(self.turns):
            for name, scenario in scenarios.items():
                rows[name].append(next(scenario))
        return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--no-scale", action="store_true", help="skip scripts/bench_scale.py")
    parser.add_argument(
        "--no-build", action="store_true", help="start the Procfile directly, not `make run`"
    )
    args = parser.parse_args()
    # All simulated turns come from one address: lift the per-client limit for the bench.
    stack = LocalStack(direct=args.no_build, RATE_LIMIT_CHAT="1000000 per minute")
    print("Starting the stack with `make run` ...", flush=True)
    with stack:
        print(f"make run → all services healthy: {stack.startup_s:.1f} s (target < 60 s)\n")
        bench = Bench(stack, args.turns)
        for _ in range(5):  # warm every path once
            bench.chat("what is cuckooing", None)
            bench.rasa_turn("warm", "hello")
        rows = bench.run()
        memory = stack.memory_mb()
    print(f"{'turn (sequential, one client)':<34} {'n':>5} {'p50 ms':>8} {'p95 ms':>8}")
    for name, values in rows.items():
        print(f"{name:<34} {len(values):>5} {pct(values, 50):>8.1f} {pct(values, 95):>8.1f}")
    if bench.unsourced:
        print(f"NOTE: {bench.unsourced} knowledge turns came back without a source")
    floor, know = rows["bare Rasa REST turn (floor)"], rows["knowledge answer via /api/chat"]
    proxy = statistics.median(rows["plain turn via /api/chat"]) - statistics.median(floor)
    print(
        f"\nknowledge answer / bare Rasa turn: p50 {pct(know, 50) / pct(floor, 50):.2f}x, "
        f"p95 {pct(know, 95) / pct(floor, 95):.2f}x (target <= 1.5x; knowledge p95 target < 150 ms)"
    )
    print(
        f"Flask proxy cost (median /api/chat plain turn - median bare turn): {proxy:.1f} ms "
        "(target < 10 ms)"
    )
    print(f"\n{'service':<10} {'RSS MB':>8} {'PSS MB':>8}")
    for name, (rss, pss) in memory.items():
        print(f"{name:<10} {rss:>8.0f} {pss:>8.0f}")
    total_rss = sum(r for r, _ in memory.values())
    total_pss = sum(p for _, p in memory.values())
    print(f"{'total':<10} {total_rss:>8.0f} {total_pss:>8.0f}  (target < 2560 MB)")
    if not args.no_scale:
        print("\nHow cost grows (scripts/bench_scale.py)", flush=True)
        return subprocess.call([sys.executable, "-m", "scripts.bench_scale"], cwd=ROOT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
