"""`make eval-nlu`: per-intent precision/recall/F1 on the held-out set (tests/nlu/heldout.yml,
never trained on), from `rasa test nlu` on the trained model.

  python scripts/eval_nlu.py [--nlu tests/nlu/dev.yml] [--model PATH] [--errors N]

tests/nlu/dev.yml is the development set to tune against; the held-out set is for milestones.
--errors 0 prints only the figures (use it on the held-out set so its examples are not read
while writing training data).

Two views are printed. "raw" is the classifier's top intent. "served" is what the bot acts on:
below the FallbackClassifier threshold (config.yml) the intent becomes nlu_fallback, which the
bot handles like out_of_scope (knowledge search, then an honest "I don't know"), so for
out_of_scope a fallback counts as correct and for every other intent as a miss.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
MODEL = Path(os.environ.get("MODEL", ROOT / "models/current.tar.gz"))
OUT = ROOT / "var/results/nlu"
HELDOUT = ROOT / "tests/nlu/heldout.yml"
RASA = ROOT / ".venv-rasa/bin/rasa"


def fallback_threshold() -> float:
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    for component in config["pipeline"]:
        if component["name"] == "FallbackClassifier":
            return float(component.get("threshold", 0.3))
    return 0.0


def scores(pairs: list[tuple[str, str]]) -> dict[str, tuple[float, float, float, int]]:
    labels = sorted({gold for gold, _ in pairs})
    tp, fp, fn = Counter(), Counter(), Counter()
    for gold, pred in pairs:
        if gold == pred:
            tp[gold] += 1
        else:
            fn[gold] += 1
            fp[pred] += 1
    result = {}
    for label in labels:
        p = tp[label] / (tp[label] + fp[label]) if tp[label] + fp[label] else 0.0
        r = tp[label] / (tp[label] + fn[label]) if tp[label] + fn[label] else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        result[label] = (p, r, f, tp[label] + fn[label])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nlu", type=Path, default=HELDOUT, help="test file (Rasa NLU YAML)")
    parser.add_argument("--model", type=Path, default=MODEL, help="trained model archive")
    parser.add_argument("--out", type=Path, default=None, help="results directory")
    parser.add_argument("--errors", type=int, default=40, help="how many errors to print")
    args = parser.parse_args()
    out = args.out or (OUT if args.nlu.resolve() == HELDOUT else OUT / args.nlu.stem)
    out.mkdir(parents=True, exist_ok=True)
    for name in ("intent_successes.json", "intent_errors.json"):
        (out / name).unlink(missing_ok=True)
    started = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false"}
    subprocess.run(
        [
            str(RASA),
            "test",
            "nlu",
            "--nlu",
            str(args.nlu.resolve()),
            "--model",
            str(args.model.resolve()),
            "--out",
            str(out.resolve()),
            "--no-plot",
            "--successes",
        ],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    rows = []
    for name in ("intent_successes.json", "intent_errors.json"):
        path = out / name
        if path.exists():
            rows += json.loads(path.read_text())
    threshold = fallback_threshold()
    raw = [(r["intent"], r["intent_prediction"]["name"]) for r in rows]
    served = []
    for r in rows:
        pred, conf = r["intent_prediction"]["name"], r["intent_prediction"]["confidence"] or 0
        if conf < threshold:
            pred = "out_of_scope"  # nlu_fallback is served exactly like out_of_scope
        served.append((r["intent"], pred))
    raw_s, served_s = scores(raw), scores(served)
    print(f"{args.nlu.name}: {len(rows)} examples; fallback threshold {threshold}")
    print(
        f"{'intent':22} {'raw P':>6} {'R':>6} {'F1':>6} | {'served P':>8} {'R':>6} {'F1':>6} {'n':>4}"
    )
    for label in sorted(raw_s):
        a, b = raw_s[label], served_s[label]
        print(
            f"{label:22} {a[0]:6.3f} {a[1]:6.3f} {a[2]:6.3f} | {b[0]:8.3f} {b[1]:6.3f} {b[2]:6.3f} {a[3]:4d}"
        )
    for name, s in (("raw", raw_s), ("served", served_s)):
        macro = sum(v[2] for v in s.values()) / len(s)
        oos = f"{s['out_of_scope'][1]:.3f}" if "out_of_scope" in s else "n/a"
        print(
            f"{name:6} macro-F1 {macro:.3f} (target >= 0.95); out_of_scope recall "
            f"{oos} (target >= 0.90); accuracy "
            f"{sum(g == p for g, p in (raw if name == 'raw' else served)) / len(rows):.3f}"
        )
    conf_oos = sorted(
        r["intent_prediction"]["confidence"]
        for r in rows
        if r["intent"] == "out_of_scope" and r["intent_prediction"]["name"] != "out_of_scope"
    )
    print(
        f"out_of_scope examples given an in-scope intent: {len(conf_oos)}; their confidences: "
        f"{[round(c, 2) for c in conf_oos]}"
    )
    wrong = [(g, p, r) for (g, p), r in zip(served, rows, strict=True) if g != p]
    print(f"served errors ({len(wrong)}):")
    for gold, pred, r in wrong[: args.errors]:
        print(
            f"  {gold:>20} -> {pred:<20} {r['intent_prediction']['confidence']:.2f}  {r['text'][:60]}"
        )
    print(f"(evaluation took {time.perf_counter() - started:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
