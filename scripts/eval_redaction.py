"""`make eval-redaction`: recall of planted personal data and the false-positive rate on
ordinary safeguarding messages, scored as tests/redaction/cases.yml `notes:` defines."""

from __future__ import annotations

import difflib
import re
import sys
import time
from collections import Counter
from pathlib import Path

import yaml

from bot.gaps.redact import get_redactor

CASES = Path(__file__).resolve().parent.parent / "tests/redaction/cases.yml"


def covered(text: str, spans, value: str) -> tuple[bool, set[str]]:
    kinds: set[str] = set()
    for m in re.finditer(re.escape(value), text):
        inside = [s for s in spans if s.start < m.end() and s.end > m.start()]
        chars = set(range(m.start(), m.end()))
        for s in inside:
            chars -= set(range(s.start, s.end))
            kinds.add(s.kind)
        if chars - {i for i in chars if not text[i].strip()}:
            return False, kinds
    return True, kinds


def main(verbose: bool = False) -> int:
    cases = yaml.safe_load(CASES.read_text(encoding="utf-8"))
    redactor = get_redactor()
    redactor.redact("warm up")
    total = hit = typed = 0
    missed: list[tuple[str, str, str]] = []
    by_type: Counter[str] = Counter()
    by_type_hit: Counter[str] = Counter()
    started = time.perf_counter()
    for case in cases["planted"]:
        spans = redactor.find(case["text"])
        for item in case["pii"]:
            total += 1
            by_type[item["type"]] += 1
            ok, kinds = covered(case["text"], spans, item["value"])
            if ok:
                hit += 1
                by_type_hit[item["type"]] += 1
                typed += item["type"] in kinds
            else:
                missed.append((item["type"], item["value"], redactor.redact(case["text"])))
    words = changed = 0
    false_positives: list[tuple[str, str]] = []
    for text in cases["clean"]:
        out = redactor.redact(text)
        a, b = text.split(), out.split()
        words += len(a)
        same = sum(
            block.size
            for block in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_matching_blocks()
        )
        if same < len(a):
            changed += len(a) - same
            false_positives.append((text, out))
    elapsed = time.perf_counter() - started
    n_texts = len(cases["planted"]) + len(cases["clean"])
    print(
        f"planted items: {total} in {len(cases['planted'])} messages; clean messages: "
        f"{len(cases['clean'])} ({words} words)"
    )
    print(f"recall of planted items:  {hit / total:.3f}  (target >= 0.98)")
    print(f"false-positive word rate: {changed / words:.3f}  (target < 0.05)")
    print(f"type accuracy (secondary): {typed / max(hit, 1):.3f}")
    print(
        "recall by type: "
        + ", ".join(f"{t} {by_type_hit[t]}/{by_type[t]}" for t in sorted(by_type))
    )
    print(f"speed: {1000 * elapsed / n_texts:.1f} ms per message")
    if missed:
        print(f"\nmissed ({len(missed)}):")
        for kind, value, out in missed[: None if verbose else 25]:
            print(f"  {kind:8} {value!r:28} -> {out[:110]}")
    if false_positives:
        print(f"\nclean messages changed ({len(false_positives)}):")
        for _text, out in false_positives[: None if verbose else 25]:
            print(f"  {out[:130]}")
    return 0


if __name__ == "__main__":
    sys.exit(main("-v" in sys.argv))
