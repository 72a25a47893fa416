"""Fit the character n-gram companion of an exported sentiment model and mix it in.

A char_wb 1-3-gram TF-IDF + logistic regression is fitted on the transformer's own training
mix (nsmc train movies 4-56-910, en-uci train, feedback-ko train and the project's extra /
reports / platform sets with the same repeats and the same near-duplicate filter), then
mixed with the transformer as softmax((log p_transformer + w * log p_ngram) / T2): w is
chosen on the nsmc dev movies, T2 fitted by NLL on the calibration dev set (calibrate.py's:
nsmc dev movies and feedback-ko dev, weighted half each).
Writes ngram.safetensors and config.json's sori.ngram into --model-dir, and the sklearn
reference logits of the 60 sentiment-mini texts for the Rust parity test.

usage: python ngram.py --model-dir ../models/sentiment [--version 0.6.0]
"""
import argparse
import csv
import json
import os
import sys
import time
import unicodedata

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import evalsets  # noqa: E402

MIN_N, MAX_N = 1, 3
FILE = "ngram.safetensors"
REFERENCE = os.path.join(common.ROOT, "tests", "fixtures", "ngram_reference.tsv")


def preprocess(text):
    """What the Rust runtime does before cutting n-grams (src/analyze/ngram.rs)."""
    return unicodedata.normalize("NFC", text).lower()


def project_rows(split, test_grams):
    """Rows of a feedback-ko training file minus near copies of any test row (train.py's rule)."""
    out, dropped = [], 0
    for _, _, y, text in common.read_project(split):
        if common.is_near_test_copy(text, test_grams):
            dropped += 1
            continue
        out.append((text, y))
    print(f"{split}: {len(out)} rows ({dropped} near-duplicates of test rows dropped)", flush=True)
    return out


def training_rows(per_class, seed, positive_from=9, project_sets=("extra", "reports", "platform")):
    X, Y = evalsets.nsmc_train_sample(per_class, seed, positive_from)
    fb_t, fb_y, _ = evalsets.feedback("train")
    X += list(fb_t) * 6
    Y += [int(v) for v in fb_y] * 6
    test_grams = common.feedback_test_trigrams()
    for spec in project_sets:
        split, repeat = common.split_repeat(spec, 3)
        rows_ = project_rows(split, test_grams)
        X += [t for t, _ in rows_] * repeat
        Y += [y for _, y in rows_] * repeat
    return X, np.array(Y)


class NgramModel:
    """The exported model, scored the way the Rust runtime scores it (no sklearn)."""

    def __init__(self, path):
        from safetensors.numpy import load_file

        t = load_file(path)
        self.vocab = {g: j for j, g in enumerate(bytes(t["vocab"]).decode("utf-8").split("\n"))}
        self.idf = t["idf"].astype(np.float32)
        self.coef = t["coef"].astype(np.float32)
        self.intercept = t["intercept"].astype(np.float32)

    def counts(self, text):
        c = {}
        for word in preprocess(text).split():
            w = " " + word + " "
            for n in range(MIN_N, MAX_N + 1):
                for s in range(max(len(w) - n, 0) + 1):
                    j = self.vocab.get(w[s:s + n])
                    if j is not None:
                        c[j] = c.get(j, 0) + 1
                if len(w) <= n:
                    break
        return c

    def features(self, text):
        """(feature ids, L2-normalised TF-IDF values) of one text; empty arrays without known n-grams."""
        c = self.counts(text)
        if not c:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        j = np.fromiter(c.keys(), dtype=np.int64)
        x = (1.0 + np.log(np.fromiter(c.values(), dtype=np.float32))) * self.idf[j]
        return j, x / np.sqrt((x * x).sum())

    def logits(self, texts):
        out = np.tile(self.intercept, (len(texts), 1))
        for i, text in enumerate(texts):
            j, x = self.features(text)
            if len(j):
                out[i] += self.coef[:, j] @ x
        return out


def log_softmax(x):
    x = x - x.max(-1, keepdims=True)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def mix(transformer_logits, ngram_logits, weight, temperature=1.0):
    """Calibrated log-probabilities of the mixture (src/analyze/sentiment.rs NgramMixture)."""
    return log_softmax((log_softmax(transformer_logits) + weight * log_softmax(ngram_logits)) / temperature)


def fit_and_export(a, t0):
    """Fits the vectorizer and the logistic regression and writes FILE into the model dir."""
    from safetensors.numpy import save_file
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    X, Y = training_rows(a.per_class, a.seed, a.positive_from, a.project_sets)
    print(f"training rows: {len(X)} ({np.bincount(Y).tolist()} per class)", flush=True)
    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(MIN_N, MAX_N), min_df=2, sublinear_tf=True,
                          max_features=a.max_features, preprocessor=preprocess, dtype=np.float32)
    Xm = vec.fit_transform(X)
    clf = LogisticRegression(C=a.C, max_iter=400)
    clf.fit(Xm, Y)
    print(f"fitted {Xm.shape[1]} features on {len(X)} rows ({time.time()-t0:.0f}s)", flush=True)

    names = vec.get_feature_names_out().tolist()
    assert not any("\n" in g for g in names) and len(set(names)) == len(names)
    out_path = os.path.join(a.model_dir, FILE)
    save_file({
        "vocab": np.frombuffer("\n".join(names).encode("utf-8"), dtype=np.uint8).copy(),
        # sklearn's coef_ is Fortran-ordered; safetensors writes the memory as it lies.
        "idf": np.ascontiguousarray(vec.idf_, dtype=np.float16),
        "coef": np.ascontiguousarray(clf.coef_, dtype=np.float16),
        "intercept": np.ascontiguousarray(clf.intercept_, dtype=np.float32),
    }, out_path)
    return out_path, clf, vec


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-dir", default=os.path.join(common.ROOT, "models", "sentiment"))
    ap.add_argument("--per-class", type=int, default=90000)
    ap.add_argument("--max-features", type=int, default=300000)
    ap.add_argument("--C", type=float, default=2.0)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--positive-from", type=int, default=9, help="lowest NSMC rating counted positive")
    ap.add_argument("--project-sets", nargs="*", default=["extra", "reports", "platform"],
                    help="feedback-ko training files besides train.tsv (x3 each; NAME:N for N); "
                         "`emotion-ko` names corpora/emotion-ko/train.tsv's sentiment labels")
    ap.add_argument("--reference", default=REFERENCE, help="where to write sklearn's logits of the mini set")
    ap.add_argument("--version", default=None, help="new sori.version for config.json")
    ap.add_argument("--reuse", default=None,
                    help="an n-gram file fitted before (e.g. models/sentiment/ngram.safetensors): no fit, "
                         "only the weight and temperature for this model dir's transformer")
    a = ap.parse_args()
    import torch

    from infer import encode, fit_temperature, load_exported, logits_for, ece, softmax

    torch.set_num_threads(2)
    t0 = time.time()
    dev_rows = evalsets.nsmc_rows("dev")
    b_t, b_y = evalsets.nsmc_binary(dev_rows, n_per=1000, seed=4)
    c_t, c_y = evalsets.nsmc_3class(dev_rows, n_per=1000, seed=3)
    fb_t, fb_y, _ = evalsets.feedback("dev")
    c_t, c_y = list(c_t) + list(fb_t), np.concatenate([c_y, fb_y]).astype(np.int64)
    if a.reuse:
        out_path, clf, vec, parity = os.path.abspath(a.reuse), None, None, None
    else:
        out_path, clf, vec = fit_and_export(a, t0)
    ng = NgramModel(out_path)
    ng_c = ng.logits(c_t)
    if clf is not None:
        # The exported (F16) model scored without sklearn must agree with sklearn.
        ref = clf.decision_function(vec.transform(c_t))
        parity = {"max_abs_diff": float(np.abs(ref - ng_c).max()),
                  "argmax_agree": float(np.mean(ref.argmax(-1) == ng_c.argmax(-1)))}
        print("parity with sklearn:", parity, flush=True)
        assert parity["max_abs_diff"] < 0.05 and parity["argmax_agree"] > 0.995, parity

    model, tok, cfg = load_exported(a.model_dir)
    T = cfg["sori"]["temperature"]
    tr_b = logits_for(model, encode(tok, b_t))[0] / T
    tr_c = logits_for(model, encode(tok, c_t))[0] / T
    ng_b = ng.logits(b_t)
    n_movies = len(c_t) - len(fb_t)

    def dev_score(w):
        zb, zc = mix(tr_b, ng_b, w), mix(tr_c, ng_c, w)
        bin_acc = float(np.mean((zb[:, 2] > zb[:, 0]).astype(int) == b_y))
        three = float(np.mean(zc[:n_movies].argmax(-1) == c_y[:n_movies]))
        return bin_acc, three

    grid = {round(w, 2): dev_score(w) for w in np.arange(0.0, 1.01, 0.1)}
    for w, (b, c) in grid.items():
        print(f"w={w:.1f}: dev binary {b:.4f}, dev 3-class {c:.4f}", flush=True)
    weight = max(grid, key=lambda w: (sum(grid[w]), -w))
    # Movies and customer feedback weigh half each in the fit: one temperature cannot suit
    # both (the product of experts is overconfident on noisy 5-6-star movie reviews and
    # well calibrated on feedback), and feedback is what sori reads.
    z = mix(tr_c, ng_c, weight)
    half = np.where(np.arange(len(c_y)) < n_movies, 0.5 / n_movies, 0.5 / max(len(fb_t), 1))
    T2 = fit_temperature(z.astype(np.float32), c_y, half)
    zc = mix(tr_c, ng_c, weight, T2)
    report = {
        "weight": weight, "temperature": T2, "features": len(ng.vocab),
        "dev_binary_acc": grid[weight][0], "dev_3class_acc": grid[weight][1],
        "dev_binary_acc_transformer": grid[0.0][0], "dev_3class_acc_transformer": grid[0.0][1],
        "dev_ece_mixture_movies": ece(softmax(zc[:n_movies]), c_y[:n_movies]),
        "dev_ece_transformer_movies": ece(softmax(tr_c[:n_movies]), c_y[:n_movies]),
        "dev_ece_mixture_feedback": ece(softmax(zc[n_movies:]), c_y[n_movies:]),
        "dev_ece_transformer_feedback": ece(softmax(tr_c[n_movies:]), c_y[n_movies:]),
        "parity": parity,
    }
    print(json.dumps(report, indent=1), flush=True)
    with open(os.path.join(a.model_dir, "ngram-report.json"), "w") as f:
        json.dump(report, f, indent=1)

    cfg["sori"]["ngram"] = {"file": os.path.relpath(out_path, a.model_dir), "weight": weight, "temperature": round(T2, 4),
                            "min_n": MIN_N, "max_n": MAX_N, "sublinear_tf": True, "lowercase": True}
    if a.version:
        cfg["sori"]["version"] = a.version
    with open(os.path.join(a.model_dir, "config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=1, ensure_ascii=False)
        f.write("\n")

    if clf is None:
        print(f"mixed {out_path} into {a.model_dir} ({time.time()-t0:.0f}s)", flush=True)
        return
    mini = [t for _, t, _ in common.read_mini()]
    ref_mini = clf.decision_function(vec.transform(mini))
    os.makedirs(os.path.dirname(os.path.abspath(a.reference)), exist_ok=True)
    with open(a.reference, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\", lineterminator="\n")
        w.writerow(["text", "negative", "neutral", "positive"])
        for t, r in zip(mini, ref_mini):
            w.writerow([t] + [f"{v:.5f}" for v in r])
    print(f"wrote {out_path}, config.json and {a.reference} ({time.time()-t0:.0f}s)", flush=True)


if __name__ == "__main__":
    main()
