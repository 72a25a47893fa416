"""The fixed evaluation sets (raw text + labels), built identically for the model, the
calibration step and the TF-IDF baseline. Sampling is seeded, so every run scores the same rows."""
import random

import numpy as np

import os

import common

# Smoke tests only: shrink every eval set (never used for reported numbers).
QUICK = int(os.environ.get("SORI_QUICK", "0"))


def nsmc_rows(split):
    return [(r, t) for m, r, t in common.read_nsmc() if common.nsmc_split(m) == split]


def _balanced(groups, n_per, seed):
    rng = random.Random(seed)
    n = min(QUICK or n_per, n_per, min(len(g) for g in groups.values()))
    out = []
    for y, g in groups.items():
        g = list(g)
        rng.shuffle(g)
        out += [(t, y) for t in g[:n]]
    rng.shuffle(out)
    return [t for t, _ in out], np.array([y for _, y in out])


def nsmc_binary(rows, n_per=2500, seed=1):
    """NSMC-style: ratings 1-4 (negative=0) vs 9-10 (positive=1), text < 140 chars, balanced."""
    g = {0: [t for r, t in rows if r <= 4 and len(t) < 140], 1: [t for r, t in rows if r >= 9 and len(t) < 140]}
    return _balanced(g, n_per, seed)


def nsmc_binary_wide(rows, n_per=2500, seed=3):
    """Ratings 1-4 vs 7-10, < 140 chars, balanced: like a 5-star review benchmark that drops
    only the middle star, it keeps the mild positives (7-8) that nsmc_binary leaves out."""
    g = {0: [t for r, t in rows if r <= 4 and len(t) < 140], 1: [t for r, t in rows if r >= 7 and len(t) < 140]}
    return _balanced(g, n_per, seed)


def nsmc_3class(rows, n_per=1500, seed=2):
    """1-4 negative / 5-6 neutral / 9-10 positive (7-8 left out as ambiguous), balanced."""
    g = {0: [t for r, t in rows if r <= 4], 1: [t for r, t in rows if r in (5, 6)], 2: [t for r, t in rows if r >= 9]}
    return _balanced(g, n_per, seed)


def nsmc_train_sample(per_class, seed, positive_from=9):
    """Training rows for the linear models (baseline, n-gram companion): up to `per_class` nsmc
    train-movie reviews of each 4-56-910 class (train.py's default mapping; `positive_from=7`
    counts 7-8 as positive too) + en-uci train x2."""
    rng = random.Random(seed)
    rows = nsmc_rows("train")
    groups = {0: [t for r, t in rows if r <= 4], 1: [t for r, t in rows if r in (5, 6)],
              2: [t for r, t in rows if r >= positive_from]}
    X, Y = [], []
    for y, lst in groups.items():
        rng.shuffle(lst)
        X += lst[:per_class]
        Y += [y] * len(lst[:per_class])
    et, ey = en_train()
    X += list(et) * 2
    Y += [int(v) for v in ey] * 2
    return X, Y


def en_test():
    rows = common.read_en_uci()
    keep = [(s, t, y) for i, (s, t, y) in enumerate(rows) if common.en_uci_is_test(i, t)]
    return [t for _, t, _ in keep], np.array([y for _, _, y in keep]), [s for s, _, _ in keep]


def en_train():
    rows = common.read_en_uci()
    keep = [(t, y) for i, (s, t, y) in enumerate(rows) if not common.en_uci_is_test(i, t)]
    return [t for t, _ in keep], np.array([2 * y for _, y in keep])


def feedback(split):
    rows = common.read_feedback(split)
    return [r[3] for r in rows], np.array([r[2] for r in rows], dtype=np.int64), [r[0] for r in rows]
