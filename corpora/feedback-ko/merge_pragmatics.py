#!/usr/bin/env python3
"""Merge the pragmatics pass (seventh) and the long-form pass into feedback-ko files.

usage: python3 merge_pragmatics.py --train-from A.tsv B.tsv C.tsv D.tsv --test-from T.tsv \
           --long-from L.tsv

The written files have 6 columns (id domain stars label text pattern). The training sessions'
rows go to pragmatics.tsv, the long-form session's to longform.tsv, the test session's to
pragmatics-test.tsv; the merged files keep the usual 5 columns (validate.py) and the test rows'
patterns go to pragmatics-test.patterns.tsv (id pattern) for `training/patterns.py`.
As in merge_composition.py the split is by writing session: the test was written by a session
that saw no training row, about product types the training sessions were not given.
Dropped: texts already in this folder or in corpora/emotion-ko and corpora/eval (after
merge_pass.norm), and training rows that are near copies (character-trigram Jaccard >= 0.5) of
any test row of those folders or of the new test file, the rule training/common.py applies.
"""
import argparse
import glob
import os

import merge_pass
from merge_pass import HERE, norm

PATTERNS = {"intent-neg": "negative", "intent-pos": "positive", "hyperbole-pos": "positive",
            "emotion-pos": "positive", "emotion-neg": "negative", "sarcasm-neg": "negative",
            "neutral": "neutral", "long": None}
CORPORA = os.path.dirname(HERE)


def trigrams(text):
    t = "".join(text.split())
    return {t[i:i + 3] for i in range(max(1, len(t) - 2))}


def read_written(paths, seen):
    return merge_pass.read_written(
        paths, seen, fields=6,
        valid_extra=lambda f: f[5] in PATTERNS and PATTERNS[f[5]] in (None, f[3]))


def existing(outputs):
    """Texts of every project-written row (for duplicates) and the trigrams of the test rows."""
    texts, tests = set(), []
    for folder in ("feedback-ko", "emotion-ko", "eval"):
        for path in glob.glob(os.path.join(CORPORA, folder, "*.tsv")):
            if path in outputs or path.endswith((".aspects.tsv", ".patterns.tsv")):
                continue
            lines = open(path, encoding="utf-8").read().splitlines()
            col = lines[0].split("\t").index("text")
            is_test = "test" in os.path.basename(path) or folder == "eval"
            for line in lines[1:]:
                f = line.split("\t")
                if len(f) > col:
                    texts.add(norm(f[col]))
                    if is_test:
                        tests.append(trigrams(f[col]))
    return texts, tests


def near_test(text, tests):
    g = trigrams(text)
    return any(len(g & t) / len(g | t) >= 0.5 for t in tests)


def write(path, prefix, rows, patterns=None):
    with open(path, "w", encoding="utf-8") as o:
        o.write("id\tdomain\tstars\tlabel\ttext\n")
        for i, r in enumerate(rows, 1):
            o.write("\t".join((f"{prefix}-{i:04d}",) + r[:4]) + "\n")
    if patterns:
        with open(patterns, "w", encoding="utf-8") as s:
            s.write("id\tpattern\n")
            s.writelines(f"{prefix}-{i:04d}\t{r[4]}\n" for i, r in enumerate(rows, 1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train-from", nargs="+", required=True)
    ap.add_argument("--test-from", nargs="+", required=True)
    ap.add_argument("--long-from", nargs="+", required=True)
    a = ap.parse_args()
    names = {"train": "pragmatics.tsv", "test": "pragmatics-test.tsv", "long": "longform.tsv"}
    outputs = {os.path.join(HERE, n) for n in names.values()}
    seen, tests = existing(outputs)
    test, dup_t, bad_t = read_written(a.test_from, seen)
    tests += [trigrams(r[3]) for r in test]
    report = []
    for key, paths, prefix in (("train", a.train_from, "fg"), ("long", a.long_from, "fl")):
        rows, dup, bad = read_written(paths, seen)
        kept = [r for r in rows if not near_test(r[3], tests)]
        write(os.path.join(HERE, names[key]), prefix, kept)
        report.append(f"{names[key]}: {len(kept)} rows (dropped {dup} duplicates, {bad} malformed, "
                      f"{len(rows) - len(kept)} near test rows)")
    write(os.path.join(HERE, names["test"]), "fgt", test,
          os.path.join(HERE, "pragmatics-test.patterns.tsv"))
    report.append(f"{names['test']}: {len(test)} rows (dropped {dup_t} duplicates, {bad_t} malformed)")
    print("\n".join(report))


if __name__ == "__main__":
    main()
