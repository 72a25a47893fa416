"""Write reference outputs of an exported model (fp32 torch forward of the F16 weights) for
the Rust runtime's parity tests: one TSV row per text with token ids, calibrated sentiment
probabilities (with the n-gram mixture when the model has one) and emotion probabilities.

usage: python reference_outputs.py --model-dir ../models/sentiment --out ref.tsv [texts.tsv]
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from infer import calibrated_logits, emotion_probs, encode, load_exported, load_ngram, logits_for, softmax  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-dir", default=os.path.join(common.ROOT, "models", "sentiment"))
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    torch.set_num_threads(2)
    model, tok, cfg = load_exported(a.model_dir)
    texts = [t for _, t, _ in common.read_mini()]
    ids = encode(tok, texts)
    s, e = logits_for(model, ids)
    ngram = load_ngram(a.model_dir, cfg)
    p = softmax(calibrated_logits(s, texts, cfg, ngram))
    pe = emotion_probs(e, texts, a.model_dir, cfg, ngram)
    with open(a.out, "w", encoding="utf-8") as f:
        f.write("text\tids\tp_negative\tp_neutral\tp_positive\t" + "\t".join(cfg["sori"]["emotions"]) + "\n")
        for t, i, pr, em in zip(texts, ids, p, pe):
            f.write(f"{t}\t{' '.join(map(str, i))}\t" + "\t".join(f"{x:.6f}" for x in pr) + "\t"
                    + "\t".join(f"{x:.6f}" for x in em) + "\n")
    print(f"wrote {len(texts)} rows to {a.out}")


if __name__ == "__main__":
    main()
