#!/usr/bin/env python3
"""Merge one writing pass (several helper-written TSVs) into a train file and a held-out file.

usage: python3 merge_pass.py --prefix fp --salt platform --train platform.tsv \
           --test platform-test.tsv WRITTEN.tsv [WRITTEN.tsv ...]

Rows whose text matches a text already in this folder (after dropping spaces, punctuation and
ㅋ/ㅎ/ㅠ/ㅜ) or an earlier row of the pass are dropped; malformed rows are reported and dropped.
Ids are given in input order; a row is held out when int(sha256(salt + ":" + id)[:8], 16) % 5 == 0.
"""
import argparse
import glob
import hashlib
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
LABELS = ("negative", "neutral", "positive")


def norm(t):
    return re.sub(r"[\s.,!?~;ㅋㅎㅠㅜ]+", "", t).lower()


def read_written(paths, seen, fields=5, valid_extra=lambda f: True):
    """Rows (domain, stars, label, text, *extra columns) of helper-written files (header
    `id domain stars label text [extra...]`), minus malformed rows (reported) and texts already
    in `seen` (which grows); also returns the duplicate and malformed counts."""
    rows, dup, bad = [], 0, 0
    for path in paths:
        for no, line in enumerate(open(path, encoding="utf-8").read().splitlines()[1:], 2):
            f = line.split("\t")
            if (len(f) != fields or f[3] not in LABELS or f[2] not in ("1", "2", "3", "4", "5")
                    or not f[4].strip() or not valid_extra(f)):
                bad += 1
                print(f"{path}:{no}: malformed, dropped: {line[:80]!r}")
                continue
            n = norm(f[4])
            if not n or n in seen:
                dup += 1
                continue
            seen.add(n)
            rows.append((f[1], f[2], f[3], f[4].strip(), *f[5:]))
    return rows, dup, bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--salt", required=True)
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("written", nargs="+")
    a = ap.parse_args()
    outputs = {os.path.join(HERE, a.train), os.path.join(HERE, a.test)}
    seen = set()
    for path in glob.glob(os.path.join(HERE, "*.tsv")):
        if path in outputs:
            continue
        for line in open(path, encoding="utf-8").read().splitlines()[1:]:
            seen.add(norm(line.split("\t")[-1]))
    rows, dup, bad = read_written(a.written, seen)
    train, test = [], []
    for i, r in enumerate(rows, 1):
        rid = f"{a.prefix}-{i:04d}"
        h = int(hashlib.sha256(f"{a.salt}:{rid}".encode()).hexdigest()[:8], 16)
        (test if h % 5 == 0 else train).append((rid,) + r)
    for name, rs in ((a.train, train), (a.test, test)):
        with open(os.path.join(HERE, name), "w", encoding="utf-8") as o:
            o.write("id\tdomain\tstars\tlabel\ttext\n")
            o.writelines("\t".join(r) + "\n" for r in rs)
    print(f"{len(rows)} rows: {len(train)} {a.train}, {len(test)} {a.test}; dropped {dup} duplicates, {bad} malformed")


if __name__ == "__main__":
    main()
