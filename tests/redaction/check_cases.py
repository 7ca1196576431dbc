#!/usr/bin/env python3
"""Sanity checks for tests/redaction/cases.yml (the PII redactor test set).

Run: python3 tests/redaction/check_cases.py   (exit code 1 on any error)
"""

import collections
import pathlib
import re
import sys

import yaml

HERE = pathlib.Path(__file__).resolve().parent
TYPES = {"NAME", "PLACE", "ADDRESS", "POSTCODE", "PHONE", "EMAIL", "DOB", "NHS", "NINO"}
# Towns/areas used as PLACE in planted texts; none may appear as a word in clean messages.
TOWNS = [
    "Nuneaton",
    "Rugby",
    "Leamington",
    "Bedworth",
    "Stratford",
    "Warwick",
    "Kenilworth",
    "Atherstone",
    "Coleshill",
    "Coventry",
    "Southam",
    "Whitnash",
    "Bulkington",
    "Brownsover",
    "Camp Hill",
    "Balsall Common",
    "Lillington",
]
# Public service numbers that are allowed in clean messages.
PUBLIC_NUMBERS = ["0808 800 5000", "0800 1111", "116 123"]

errors = []


def nhs_ok(value):
    d = re.sub(r"\D", "", value)
    if len(d) != 10:
        return False
    total = sum(int(c) * w for c, w in zip(d[:9], range(10, 1, -1)))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(d[9])


def phone_ok(value):
    d = re.sub(r"\D", "", value)
    d = re.sub(r"^(0044|44)0?", "0", d)
    if re.fullmatch(r"07700900\d{3}", d) or re.fullmatch(r"01632960\d{3}", d):
        return True
    return False


def check_value(v, typ):
    if typ == "NHS" and not nhs_ok(v):
        return "NHS number fails Modulus 11 check"
    if typ == "PHONE" and not phone_ok(v):
        return "phone not in Ofcom drama range"
    if typ == "EMAIL" and not re.fullmatch(r"[^@\s]+@example\.(com|org)", v, re.I):
        return "email not on example.com/org"
    if typ == "NINO" and not re.fullmatch(r"QQ[ -]?\d\d[ -]?\d\d[ -]?\d\d[ -]?[A-D]", v, re.I):
        return "NINO not QQ-prefixed"
    if typ == "POSTCODE" and not re.fullmatch(r"[A-Z]{1,2}\d{1,2}[A-Z]? ?\d[A-Z]{2}", v, re.I):
        return "postcode format"
    return None


def main():
    data = yaml.safe_load((HERE / "cases.yml").read_text(encoding="utf-8"))
    for key in ("notes", "planted", "clean"):
        if key not in data:
            errors.append(f"missing top-level key {key!r}")
    planted, clean = data.get("planted") or [], data.get("clean") or []

    type_counts = collections.Counter()
    per_item = collections.Counter()
    texts = set()
    for i, item in enumerate(planted):
        text, pii = item.get("text"), item.get("pii")
        if not isinstance(text, str) or not isinstance(pii, list) or not pii:
            errors.append(f"planted[{i}]: needs text and non-empty pii list")
            continue
        if text in texts:
            errors.append(f"planted[{i}]: duplicate text")
        texts.add(text)
        per_item[len(pii)] += 1
        if not 1 <= len(pii) <= 5:
            errors.append(f"planted[{i}]: {len(pii)} pii items (want 1-5)")
        seen = set()
        for p in pii:
            v, t = p.get("value"), p.get("type")
            if t not in TYPES:
                errors.append(f"planted[{i}]: bad type {t!r}")
            if not isinstance(v, str) or v not in text:
                errors.append(f"planted[{i}]: value {v!r} is not a substring of text")
                continue
            if v in seen:
                errors.append(f"planted[{i}]: value {v!r} listed twice")
            seen.add(v)
            type_counts[t] += 1
            # every (case-insensitive) occurrence should be a standalone token, not part of a larger word
            for m in re.finditer(re.escape(v), text, re.I):
                before = text[m.start() - 1] if m.start() else " "
                after = text[m.end()] if m.end() < len(text) else " "
                if before.isalnum() or after.isalnum():
                    errors.append(f"planted[{i}]: {v!r} occurs inside a larger word")
            if v != v.strip():
                errors.append(f"planted[{i}]: value {v!r} has surrounding whitespace")
            problem = check_value(v, t)
            if problem:
                errors.append(f"planted[{i}]: {v!r}: {problem}")
        # values of one item must not overlap each other
        spans = sorted(
            (m.start(), m.end(), p["value"])
            for p in pii
            for m in re.finditer(re.escape(p["value"]), text, re.I)
        )
        for (s1, e1, v1), (s2, e2, v2) in zip(spans, spans[1:]):
            if s2 < e1:
                errors.append(f"planted[{i}]: values {v1!r} and {v2!r} overlap")

    total_words = 0
    for i, msg in enumerate(clean):
        if not isinstance(msg, str) or not msg.strip():
            errors.append(f"clean[{i}]: not a non-empty string")
            continue
        total_words += len(msg.split())
        for town in TOWNS:
            if re.search(rf"\b{re.escape(town)}\b", msg):
                errors.append(f"clean[{i}]: contains place {town!r}")
        if "@" in msg:
            errors.append(f"clean[{i}]: contains '@'")
        stripped = msg
        for n in PUBLIC_NUMBERS:
            stripped = stripped.replace(n, "")
        if re.search(r"\d[\d \-]{6,}\d", stripped):
            errors.append(f"clean[{i}]: contains a long digit run (phone/NHS-like)")
        if re.search(r"\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b|\b\d{4}-\d\d-\d\d\b", msg):
            errors.append(f"clean[{i}]: contains a numeric date")
        if re.search(r"\b[A-Z]{1,2}\d{1,2}[A-Z]? ?\d[A-Z]{2}\b", msg):
            errors.append(f"clean[{i}]: contains a postcode-like token")
        if re.search(r"\bQQ ?\d\d", msg, re.I):
            errors.append(f"clean[{i}]: contains a NINO-like token")
    if len(set(clean)) != len(clean):
        errors.append("clean: duplicate messages")

    n_pii = sum(type_counts.values())
    print(f"planted items: {len(planted)}  planted PII values: {n_pii}")
    print("  by type: " + ", ".join(f"{t}={type_counts[t]}" for t in sorted(TYPES)))
    print("  PII per item: " + ", ".join(f"{k}:{per_item[k]}" for k in sorted(per_item)))
    print(f"clean messages: {len(clean)}  clean words: {total_words}")
    if len(planted) < 70:
        errors.append("fewer than 70 planted items")
    if n_pii < 180:
        errors.append("fewer than 180 planted PII values")
    if len(clean) < 80:
        errors.append("fewer than 80 clean messages")
    for e in errors:
        print("ERROR:", e)
    print("OK" if not errors else f"{len(errors)} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
