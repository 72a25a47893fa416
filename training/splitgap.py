"""Is a split of nsmc-raw by movie (ours) harder than a split by row (the official NSMC test set)?

Fits a char_wb 1-3 TF-IDF + logistic regression on 75k reviews a class (1-4 vs 9-10, < 140 chars)
for each split and two seeds, and scores 2,500 held-out reviews a class.
usage: python training/splitgap.py   (~5 minutes on 2 cores)
"""
import json
import os
import random
import sys

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def balanced(rows, n, rng):
    out = []
    for y in (0, 1):
        c = [r for r in rows if r[1] == y]
        rng.shuffle(c)
        out += c[:n]
    return out


def accuracy(train, test):
    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, max_features=300000)
    clf = LogisticRegression(C=2, max_iter=1000).fit(vec.fit_transform([r[2] for r in train]), [r[1] for r in train])
    pred = clf.predict(vec.transform([r[2] for r in test]))
    return float(np.mean(pred == np.array([r[1] for r in test])))


def main():
    rows = [(m, 0 if r <= 4 else 1, t) for m, r, t in common.read_nsmc()
            if len(t) < 140 and (r <= 4 or r >= 9)]
    res = {"movie": [], "row": []}
    for seed in (1, 2):
        rng = random.Random(seed)
        by_movie = (balanced([r for r in rows if common.nsmc_split(r[0]) == "train"], 75000, rng),
                    balanced([r for r in rows if common.nsmc_split(r[0]) == "test"], 2500, rng))
        idx = list(range(len(rows)))
        rng.shuffle(idx)
        cut = len(idx) // 20
        by_row = (balanced([rows[i] for i in idx[cut:]], 75000, rng), balanced([rows[i] for i in idx[:cut]], 2500, rng))
        seen = {r[0] for r in by_row[0]}
        res["movie"].append(round(accuracy(*by_movie), 4))
        res["row"].append(round(accuracy(*by_row), 4))
        print(f"seed {seed}: by movie {res['movie'][-1]}, by row {res['row'][-1]} "
              f"(test reviews whose movie is in training: {np.mean([r[0] in seen for r in by_row[1]]):.3f})", flush=True)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
