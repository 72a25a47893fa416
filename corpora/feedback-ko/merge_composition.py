#!/usr/bin/env python3
"""Merge the composition pass: training sessions' files into composition.tsv, test sessions'
files into composition-test.tsv, keeping only test rows about aspects no training row names.

usage: python3 merge_composition.py --train-from A.tsv B.tsv ... --test-from T1.tsv T2.tsv

The written files have 7 columns (id domain stars label text aspect pattern). The merged files
keep the usual 5 (validate.py); the test rows' aspect and pattern go to
composition-test.aspects.tsv (id aspect pattern) for per-pattern scores.
Unlike merge_pass.py the split is by writing session, not by hash: the test measures whether the
model learned the composition (aspect polarity x absent / present / strong) or memorised the
aspects, so a test row is kept only when none of its aspects is an aspect of a training row.
Duplicates of any text already in this folder are dropped, as in merge_pass.py.
"""
import argparse
import glob
import os

import merge_pass
from merge_pass import HERE, norm

PATTERNS = ("problem-absent", "problem-present", "desired-absent", "desired-present", "neutral", "other")


def aspects(field):
    return {a.strip().replace(" ", "") for a in field.split(",") if a.strip()}


def read_written(paths, seen):
    return merge_pass.read_written(paths, seen, fields=7,
                                   valid_extra=lambda f: f[6] in PATTERNS and bool(aspects(f[5])))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--prefix", default="fn")
    ap.add_argument("--train", default="composition.tsv")
    ap.add_argument("--test", default="composition-test.tsv")
    ap.add_argument("--train-from", nargs="+", required=True)
    ap.add_argument("--test-from", nargs="+", required=True)
    a = ap.parse_args()
    outputs = {os.path.join(HERE, n) for n in (a.train, a.test)}
    seen = set()
    for path in glob.glob(os.path.join(HERE, "*.tsv")):
        if path in outputs or path.endswith(".aspects.tsv"):
            continue
        for line in open(path, encoding="utf-8").read().splitlines()[1:]:
            seen.add(norm(line.split("\t")[-1]))
    train, dup1, bad1 = read_written(a.train_from, seen)
    test, dup2, bad2 = read_written(a.test_from, seen)
    train_aspects = set().union(*(aspects(r[4]) for r in train))
    unseen = [r for r in test if not aspects(r[4]) & train_aspects]
    with open(os.path.join(HERE, a.train), "w", encoding="utf-8") as o:
        o.write("id\tdomain\tstars\tlabel\ttext\n")
        for i, r in enumerate(train, 1):
            o.write("\t".join((f"{a.prefix}-{i:04d}",) + r[:4]) + "\n")
    side = os.path.join(HERE, a.test.replace(".tsv", ".aspects.tsv"))
    with open(os.path.join(HERE, a.test), "w", encoding="utf-8") as o, open(side, "w", encoding="utf-8") as s:
        o.write("id\tdomain\tstars\tlabel\ttext\n")
        s.write("id\taspect\tpattern\n")
        for i, r in enumerate(unseen, 1):
            rid = f"{a.prefix}t-{i:04d}"
            o.write("\t".join((rid,) + r[:4]) + "\n")
            s.write(f"{rid}\t{r[4]}\t{r[5]}\n")
    print(f"{len(train)} training rows ({len(train_aspects)} aspects; dropped {dup1} duplicates, {bad1} malformed); "
          f"{len(unseen)} of {len(test)} test rows name only unseen aspects (dropped {dup2} duplicates, {bad2} malformed)")


if __name__ == "__main__":
    main()
