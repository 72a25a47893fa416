"""Fit the softmax temperature on dev (nsmc held-out movies, 3-class balanced, plus the
feedback-ko dev split when present) and per-emotion thresholds on the KOTE val slice that
training held out. Writes calib.json next to the run's final.pt.

usage: python calibrate.py --run RUN_DIR [--data DIR]
"""
import argparse
import json
import os
import pickle
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import evalsets  # noqa: E402
from infer import ece, fit_temperature, logits_for, softmax  # noqa: E402
from model import SentimentModel  # noqa: E402
from train import kote_holdout  # noqa: E402


def load_run(run, data):
    args = json.load(open(os.path.join(run, "args.json")))
    with open(os.path.join(data, "datasets.pkl"), "rb") as f:
        d = pickle.load(f)
    ck = torch.load(os.path.join(run, "final.pt"), weights_only=False)
    m = SentimentModel(len(d["new2old"]), layers=args["layers"], n_emo=len(common.EMOTIONS), drop=0.0)
    m.load_state_dict(ck)
    return m.eval(), d, args


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True)
    ap.add_argument("--data", default=os.path.join(common.WORK, "data"))
    a = ap.parse_args()
    torch.set_num_threads(2)
    m, d, args = load_run(a.run, a.data)
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(os.path.join(a.data, "tokenizer.json"))

    def enc(texts):
        return [np.array(e.ids) for e in tok.encode_batch(list(texts))]

    texts, y = evalsets.nsmc_3class(evalsets.nsmc_rows("dev"), n_per=1000, seed=3)
    fb_t, fb_y, _ = evalsets.feedback("dev")
    texts = list(texts) + list(fb_t)
    y = np.concatenate([y, fb_y]).astype(np.int64)
    s, _ = logits_for(m, enc(texts))
    T = fit_temperature(s, y)
    res = {"temperature": T, "dev_n": len(y), "dev_feedback_n": len(fb_t),
           "dev_3class_acc": float(np.mean(s.argmax(-1) == y)),
           "dev_ece_raw": ece(softmax(s), y), "dev_ece_calibrated": ece(softmax(s / T), y)}
    bt, by = evalsets.nsmc_binary(evalsets.nsmc_rows("dev"), n_per=1000, seed=4)
    sb, _ = logits_for(m, enc(bt))
    res["dev_nsmc_binary_acc"] = float(np.mean((sb[:, 2] > sb[:, 0]).astype(int) == by))

    kv = d["kote_val"]
    hold = [i for i in range(len(kv["ids"])) if kote_holdout(i)]
    _, e = logits_for(m, [kv["ids"][i] for i in hold])
    P = 1 / (1 + np.exp(-e))
    Y = kv["y"][hold]
    ths, f1s = [], []
    for gi in range(len(common.EMOTIONS)):
        best = (0.0, 0.5)
        for th in np.arange(0.05, 0.951, 0.025):
            pr = P[:, gi] >= th
            tp = np.sum(pr & (Y[:, gi] > 0))
            f1 = 0.0 if tp == 0 else 2 * tp / (2 * tp + np.sum(pr & (Y[:, gi] == 0)) + np.sum(~pr & (Y[:, gi] > 0)))
            if f1 > best[0] + 1e-9:
                best = (float(f1), float(round(th, 3)))
        f1s.append(best[0])
        ths.append(best[1])
    res["emotion_thresholds"] = ths
    res["kote_holdout_f1"] = dict(zip(common.EMOTIONS, f1s))
    print(json.dumps(res, indent=1, ensure_ascii=False))
    with open(os.path.join(a.run, "calib.json"), "w") as f:
        json.dump(res, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
