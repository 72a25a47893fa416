#!/usr/bin/env python3
"""Merge the emotion pass's helper-written files into train.tsv and test.tsv.

usage: python3 merge.py --test TEST.tsv [--test ...] TRAIN.tsv [TRAIN.tsv ...]

Each written file (header `domain sentiment emotions text`) is one writing session; its rows get
ids `ew<N>-NNNN` (training, N = the file's position) or `et<N>-NNNN` (test), in file order.
Dropped, with a count: malformed rows; texts that repeat an earlier row (after dropping spaces,
punctuation and ㅋ/ㅎ/ㅠ/ㅜ); and training rows that are near copies of a test row (character
trigram Jaccard >= 0.5, the rule training/common.py applies to feedback-ko), because a test row
must not be learnt by heart from its neighbour in training.
"""
import argparse
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
GROUPS = ("anger", "disappointment", "anxiety", "sadness", "satisfaction", "gratitude", "joy", "surprise")
SENTIMENTS = ("negative", "neutral", "positive")
HEADER = "id\tdomain\tsentiment\temotions\ttext"


def norm(t):
    return re.sub(r"[\s.,!?~;ㅋㅎㅠㅜ]+", "", t).lower()


def trigrams(t):
    t = "".join(t.split())
    return {t[i:i + 3] for i in range(max(1, len(t) - 2))}


def valid(f):
    if len(f) != 4 or f[1] not in SENTIMENTS or not f[3].strip() or "\t" in f[3]:
        return False
    if f[2] == "none":
        return True
    es = f[2].split(",")
    return set(es) <= set(GROUPS) and len(set(es)) == len(es)


def read(path, seen):
    rows, dup, bad = [], 0, 0
    lines = open(path, encoding="utf-8").read().splitlines()
    if lines[0] != "domain\tsentiment\temotions\ttext":
        raise SystemExit(f"{path}:1: unexpected header {lines[0]!r}")
    for no, line in enumerate(lines[1:], 2):
        f = line.split("\t")
        if not valid(f):
            bad += 1
            print(f"{path}:{no}: malformed, dropped: {line[:80]!r}")
            continue
        n = norm(f[3])
        if not n or n in seen:
            dup += 1
            continue
        seen.add(n)
        rows.append(f)
    return rows, dup, bad


def write(path, rows):
    with open(path, "w", encoding="utf-8") as out:
        out.write(HEADER + "\n")
        for r in rows:
            out.write("\t".join(r) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--test", action="append", required=True)
    ap.add_argument("train", nargs="+")
    a = ap.parse_args()
    seen = set()
    test = []
    for k, path in enumerate(a.test, 1):
        rows, dup, bad = read(path, seen)
        test += [[f"et{k}-{i:04d}", *r] for i, r in enumerate(rows, 1)]
        print(f"{path}: {len(rows)} test rows ({dup} repeated, {bad} malformed dropped)")
    test_grams = [trigrams(r[4]) for r in test]
    train = []
    for k, path in enumerate(a.train, 1):
        rows, dup, bad = read(path, seen)
        kept = [r for r in rows
                if not any(len(g & t) / len(g | t) >= 0.5 for g in [trigrams(r[3])] for t in test_grams)]
        train += [[f"ew{k}-{i:04d}", *r] for i, r in enumerate(kept, 1)]
        print(f"{path}: {len(kept)} training rows ({dup} repeated, {bad} malformed, "
              f"{len(rows) - len(kept)} near a test row dropped)")
    write(os.path.join(HERE, "train.tsv"), train)
    write(os.path.join(HERE, "test.tsv"), test)
    print(f"train.tsv {len(train)} rows, test.tsv {len(test)} rows")


if __name__ == "__main__":
    main()
