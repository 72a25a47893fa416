#!/usr/bin/env python3
"""Deterministic 60/40 train/test split of feedback.tsv, stratified by domain x label.

Rows are ordered inside each (domain, label) stratum by sha256(SEED + id) rather than
by random.shuffle, so the split does not depend on the Python version's PRNG and a row
keeps its side when other rows are added or removed. The first round(60%) of each
stratum goes to train.tsv, the rest to test.tsv; both keep the source order by id.

Usage: python3 split.py   (reads and writes next to this script; stdlib only)
"""
import collections
import hashlib
import pathlib
import sys

SEED = "sori-feedback-ko-v1"
TRAIN_SHARE = 0.6
HEADER = "id\tdomain\tstars\tlabel\ttext"


def main():
    here = pathlib.Path(__file__).resolve().parent
    lines = (here / "feedback.tsv").read_text(encoding="utf-8").splitlines()
    if not lines or lines[0] != HEADER:
        sys.exit(f"feedback.tsv:1: header must be {HEADER!r}")
    strata = collections.defaultdict(list)
    for no, line in enumerate(lines[1:], start=2):
        f = line.split("\t")
        if len(f) != 5:
            sys.exit(f"feedback.tsv:{no}: expected 5 tab-separated fields, got {len(f)}; run validate.py")
        strata[(f[1], f[3])].append((no, f[0], line))

    train, test = [], []
    for key in sorted(strata):
        rows = sorted(strata[key], key=lambda r: hashlib.sha256((SEED + r[1]).encode()).hexdigest())
        k = round(len(rows) * TRAIN_SHARE)
        train += rows[:k]
        test += rows[k:]

    for name, rows in (("train.tsv", train), ("test.tsv", test)):
        rows.sort()  # back to file order
        body = "\n".join([HEADER] + [r[2] for r in rows]) + "\n"
        (here / name).write_text(body, encoding="utf-8")
        print(f"{name}: {len(rows)} rows")


if __name__ == "__main__":
    main()
