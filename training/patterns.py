#!/usr/bin/env python3
"""Per-pattern scores of `sori analyze` output on a feedback-ko test file with patterns.

usage: sori analyze --text-col text corpora/feedback-ko/composition-test.tsv \
           | python3 training/patterns.py [composition-test | pragmatics-test]

Joins each output line on `id` with NAME.tsv (gold label) and its side file of patterns
(composition-test.aspects.tsv: problem-absent, problem-present, desired-absent,
desired-present, neutral, other; pragmatics-test.patterns.tsv: intent-neg, intent-pos,
hyperbole-pos, emotion-pos, emotion-neg, sarcasm-neg, neutral) and prints 3-class accuracy and
binary accuracy (non-neutral gold rows, positive vs negative probability) per pattern.
Standard library only.
"""
import collections
import csv
import json
import os
import sys

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpora", "feedback-ko")


def read_tsv(name):
    with open(os.path.join(HERE, name), encoding="utf-8", newline="") as f:
        return {r["id"]: r for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)}


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else "composition-test"
    side = "composition-test.aspects.tsv" if name == "composition-test" else f"{name}.patterns.tsv"
    gold = read_tsv(f"{name}.tsv")
    pattern = {k: r["pattern"] for k, r in read_tsv(side).items()}
    n, right, nb, right_b = (collections.Counter() for _ in range(4))
    for line in sys.stdin:
        d = json.loads(line)
        if d["id"] not in gold:
            raise SystemExit(f"id {d['id']!r} is not in {name}.tsv: pipe `sori analyze` of that file")
        label, p, s = gold[d["id"]]["label"], pattern[d["id"]], d["sentiment"]
        n[p] += 1
        right[p] += s["label"] == label
        if label != "neutral":
            nb[p] += 1
            right_b[p] += (s["probs"]["positive"] > s["probs"]["negative"]) == (label == "positive")
    if not n:
        raise SystemExit(f"no input: pipe `sori analyze --text-col text {name}.tsv` into this")
    print(f"{'pattern':16} {'n':>4} {'3-class':>8} {'binary':>7}")
    for p in sorted(n) + ["all"]:
        c = (sum(n.values()), sum(right.values()), sum(nb.values()), sum(right_b.values())) if p == "all" \
            else (n[p], right[p], nb[p], right_b[p])
        binary = f"{c[3] / c[2]:7.3f}" if c[2] else "      -"
        print(f"{p:16} {c[0]:4} {c[1] / c[0]:8.3f} {binary}")


if __name__ == "__main__":
    main()
