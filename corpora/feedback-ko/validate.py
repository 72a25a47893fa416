#!/usr/bin/env python3
"""Validate feedback.tsv (and train/test splits if present); print domain x label counts.

Usage: python3 validate.py [FILE ...]   (default: feedback.tsv next to this script)
Exit status 1 on any problem, so it can gate CI.
"""
import collections
import pathlib
import sys

HEADER = ["id", "domain", "stars", "label", "text"]
DOMAINS = ["shopping", "delivery", "app", "hotel", "game", "service", "restaurant",
           # extra.tsv splits "service" finer and adds a few more
           "telecom", "finance", "beauty", "travel", "education", "electronics",
           "subscription", "health", "car"]
LABELS = ["negative", "neutral", "positive"]


def check(path):
    errors = []
    rows = []
    with open(path, encoding="utf-8", newline="") as fh:
        lines = fh.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or lines[0].split("\t") != HEADER:
        return [f"{path}:1: header must be {' '.join(HEADER)}"], []
    seen_ids, seen_texts = {}, {}
    for no, line in enumerate(lines[1:], start=2):
        f = line.split("\t")
        if len(f) != 5:
            errors.append(f"{path}:{no}: expected 5 tab-separated fields, got {len(f)}")
            continue
        rid, dom, stars, label, text = f
        if dom not in DOMAINS:
            errors.append(f"{path}:{no}: domain {dom!r} not in {DOMAINS}")
        if stars not in {"1", "2", "3", "4", "5"}:
            errors.append(f"{path}:{no}: stars {stars!r} not in 1-5")
        if label not in LABELS:
            errors.append(f"{path}:{no}: label {label!r} not in {LABELS}")
        if not text.strip() or text != text.strip():
            errors.append(f"{path}:{no}: text empty or has surrounding whitespace")
        if rid in seen_ids:
            errors.append(f"{path}:{no}: duplicate id {rid} (first at line {seen_ids[rid]})")
        if text in seen_texts:
            errors.append(f"{path}:{no}: duplicate text (first at line {seen_texts[text]}): {text}")
        seen_ids.setdefault(rid, no)
        seen_texts.setdefault(text, no)
        rows.append(f)
    return errors, rows


def table(rows):
    c = collections.Counter((r[1], r[3]) for r in rows)
    out = [f"{'domain':<12}" + "".join(f"{l:>10}" for l in LABELS) + f"{'total':>8}"]
    for d in DOMAINS:
        out.append(f"{d:<12}" + "".join(f"{c[d, l]:>10}" for l in LABELS)
                   + f"{sum(c[d, l] for l in LABELS):>8}")
    tot = [sum(c[d, l] for d in DOMAINS) for l in LABELS]
    out.append(f"{'total':<12}" + "".join(f"{t:>10}" for t in tot) + f"{sum(tot):>8}")
    out.append(f"{'share':<12}" + "".join(f"{t / max(1, sum(tot)):>10.1%}" for t in tot))
    sc = collections.Counter((r[3], r[2]) for r in rows)
    out.append("stars by label: " + "; ".join(
        f"{l}: " + " ".join(f"{s}*={sc[l, s]}" for s in "12345") for l in LABELS))
    return "\n".join(out)


def main(argv):
    here = pathlib.Path(__file__).resolve().parent
    paths = argv[1:] or [here / "feedback.tsv"]
    bad = False
    for p in paths:
        errors, rows = check(p)
        print(f"== {p}: {len(rows)} rows, {len(errors)} problems")
        for e in errors:
            print("  " + e)
        bad |= bool(errors)
        print(table(rows))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
