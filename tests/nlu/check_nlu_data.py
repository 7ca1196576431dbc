#!/usr/bin/env python3
"""Sanity checks for the Rasa NLU data (no Rasa install needed).

  python3 tests/nlu/check_nlu_data.py

Fails (exit 1) if: a file does not parse or lacks version "3.1"; an example appears twice
anywhere in data/nlu (Rasa validate rejects that); an intent is under its minimum count;
an annotation is malformed or uses an unknown entity/value; the held-out set has fewer than
12 examples for an intent, or repeats a training example (ignoring case, punctuation and
entity markup). Near-duplicates between held-out and training are printed as warnings that name
the training line only, so running this never shows held-out text.
"""

import difflib
import glob
import json
import os
import re
import sys
from collections import defaultdict

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "data", "nlu")
HELD = os.path.join(ROOT, "tests", "nlu", "heldout.yml")
BIG = {
    "ask_knowledge",
    "out_of_scope",
    "make_referral",
    "raise_adult_concern",
    "escalate",
    "ask_contact",
}
ENTITIES = {
    "audience": {"children", "adults"},
    "service": {
        "front_door",
        "consultation_line",
        "edt",
        "adult_social_care",
        "police",
        "lado",
        "nspcc",
        "modern_slavery_helpline",
        "crimestoppers",
        "emergency",
    },
    "exploitation_type": {
        "cse",
        "cce",
        "county_lines",
        "cuckooing",
        "modern_slavery",
        "trafficking",
        "radicalisation",
        "hate_crime",
        "gangs",
        "organised_crime",
        "missing",
    },
    "urgency": {"out_of_hours", "urgent", "non_urgent"},
    "choice": None,  # free: button payload values
}
MARKUP = re.compile(r"\[([^\]]+)\](\{[^}]*\}|\(([^)]*)\))")
errors, warnings = [], []


def plain(ex):
    return MARKUP.sub(lambda m: m.group(1), ex)


def norm(ex):
    s = re.sub(r"[^\w\s]", " ", plain(ex).lower())
    return re.sub(r"\s+", " ", s).strip() or plain(ex).strip()


def load(path):
    try:
        doc = yaml.safe_load(open(path, encoding="utf-8"))
    except yaml.YAMLError as e:
        errors.append(f"{path}: YAML error {e}")
        return {}
    if str(doc.get("version")) != "3.1":
        errors.append(f'{path}: version must be "3.1"')
    out = defaultdict(list)
    for item in doc.get("nlu", []) or []:
        if "intent" in item:
            exs = [l[2:].strip() for l in item["examples"].splitlines() if l.strip()]
            bad = [l for l in item["examples"].splitlines() if l.strip() and not l.startswith("- ")]
            if bad:
                errors.append(f"{path}: {item['intent']}: lines not starting with '- ': {bad[:3]}")
            for ex in exs:
                check_markup(path, item["intent"], ex)
            out[item["intent"]].extend(exs)
    return out


def check_markup(path, intent, ex):
    for m in MARKUP.finditer(ex):
        if m.group(3) is not None:
            ent, val = m.group(3), m.group(1)
        else:
            try:
                d = json.loads(m.group(2))
            except ValueError:
                errors.append(f"{path}: {intent}: bad JSON in {ex!r}")
                continue
            ent, val = d.get("entity"), d.get("value", m.group(1))
        if ent not in ENTITIES:
            errors.append(f"{path}: {intent}: unknown entity {ent!r} in {ex!r}")
        elif ENTITIES[ent] is not None and val.lower() not in ENTITIES[ent]:
            errors.append(f"{path}: {intent}: {ent} value {val!r} not canonical in {ex!r}")
    if re.search(r"\[[^\]]*$|^[^\[]*\]", plain(ex)):
        warnings.append(f"{path}: {intent}: stray bracket in {ex!r}")


def main():
    train, where = defaultdict(list), {}
    per_file = {}
    for path in sorted(glob.glob(os.path.join(DATA, "*.yml"))):
        d = load(path)
        per_file[os.path.basename(path)] = {k: len(v) for k, v in d.items()}
        for intent, exs in d.items():
            for ex in exs:
                key = plain(ex).strip().lower()
                if key in where:
                    errors.append(f"duplicate example {plain(ex)!r}: {where[key]} and {intent}")
                where[key] = intent
                train[intent].append(ex)

    for intent, exs in train.items():
        need = 50 if intent in BIG else 30
        if len(exs) < need:
            errors.append(f"{intent}: {len(exs)} training examples, need {need}")

    held = load(HELD) if os.path.exists(HELD) else {}
    if not held:
        errors.append("tests/nlu/heldout.yml missing or empty")
    train_norm = {norm(e): i for i, exs in train.items() for e in exs}
    for intent in train:
        if len(held.get(intent, [])) < 12:
            errors.append(f"heldout {intent}: {len(held.get(intent, []))} examples, need 12")
    for intent, exs in held.items():
        if intent not in train:
            errors.append(f"heldout intent {intent} not in training data")
        for ex in exs:
            n = norm(ex)
            if n in train_norm:
                # Name the training line to remove, never the held-out text (reading the held-out
                # set while writing training data would stop it measuring anything).
                errors.append(
                    f"training ({train_norm[n]}): a line repeats a held-out {intent} example"
                )
                continue
            if len(n) >= 8:
                best = difflib.get_close_matches(n, train_norm.keys(), n=1, cutoff=0.9)
                if best:
                    warnings.append(
                        f"training line {best[0]!r} is close to a held-out {intent} example"
                    )

    for fn, counts in per_file.items():
        print(fn)
        for k, v in counts.items():
            print(f"  {k:22s} {v:4d}   heldout {len(held.get(k, [])) if k in held else '-'}")
    print(
        f"total training examples: {sum(len(v) for v in train.values())}; "
        f"heldout: {sum(len(v) for v in held.values())}"
    )
    for w in warnings:
        print("WARN", w)
    for e in errors:
        print("ERROR", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
