"""How the emotion decision rule trades KOTE F1 for tags that agree with the sentiment.

Scores KOTE test (5,000) and the demo's app and shop reviews (900) with the exported model
(PyTorch, as training/eval.py does), then compares the tuned per-group thresholds with
"p >= max(threshold, 0.5)", the rule the index uses for `emotion:` tags (`Analysis::emotion_tags` in src/record.rs).

usage: $SORI_WORK/venv/bin/python training/emotion_rules.py [--model-dir models/sentiment]
"""
import argparse
import csv
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from emotion_head import prf  # noqa: E402
from infer import calibrated_logits, emotion_probs, encode, load_exported, load_ngram, logits_for, softmax  # noqa: E402

TAG_MIN = 0.5
NEG = np.array([1, 1, 1, 1, 0, 0, 0, 0], bool)


def demo_texts():
    d = os.path.join(common.ROOT, "corpora", "demo")
    texts = [json.loads(l)["body"] for l in open(os.path.join(d, "reviews_app.jsonl"), encoding="utf-8")]
    with open(os.path.join(d, "reviews_shop.tsv"), encoding="utf-8") as f:
        texts += [r["text"] for r in csv.DictReader(f, delimiter="\t")]
    return [t for t in texts if t.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-dir", default=os.path.join(common.ROOT, "models", "sentiment"))
    a = ap.parse_args()
    torch.set_num_threads(2)
    model, tok, cfg = load_exported(a.model_dir)
    ngram = load_ngram(a.model_dir, cfg)
    th = np.array(cfg["sori"]["emotion_thresholds"])

    def run(texts):
        s, e = logits_for(model, encode(tok, texts))
        return softmax(calibrated_logits(s, texts, cfg, ngram)), emotion_probs(e, texts, a.model_dir, cfg, ngram)

    kote = common.read_kote("test")
    _, kE = run([t for t, _ in kote])
    kY = np.array([v for _, v in kote])
    dS, dE = run(demo_texts())
    neg, pos = dS.argmax(1) == 0, dS.argmax(1) == 2
    for name, kP, dP in (("tuned thresholds", kE >= th, dE >= th),
                         (f"p >= max(threshold, {TAG_MIN})", kE >= np.maximum(th, TAG_MIN), dE >= np.maximum(th, TAG_MIN))):
        r = prf(kP, kY)
        print(f"{name}: KOTE macro-F1 {r[:, 2].mean():.3f}, precision {r[:, 0].mean():.3f}, recall {r[:, 1].mean():.3f}")
        print("  per group F1: " + ", ".join(f"{g} {x:.3f}" for g, x in zip(common.EMOTIONS, r[:, 2])))
        print("  demo complaints tagged: " + ", ".join(f"{g} {dP[neg][:, i].mean():.2f}" for i, g in enumerate(common.EMOTIONS)))
        print("  demo praise tagged:     " + ", ".join(f"{g} {dP[pos][:, i].mean():.2f}" for i, g in enumerate(common.EMOTIONS)))
        cross = np.concatenate([dP[pos][:, NEG].any(1), dP[neg][:, ~NEG & np.array([1, 1, 1, 1, 1, 1, 1, 0], bool)].any(1)])
        print(f"  demo documents with a tag against their sentiment: {cross.mean():.3f}")


if __name__ == "__main__":
    main()
