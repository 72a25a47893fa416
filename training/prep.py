"""Tokenize every corpus with the full mE5 tokenizer, prune the vocabulary, write the pruned
tokenizer.json, and cache the tokenized datasets (with pruned ids) for train/eval.

Pruning rule: keep the special tokens, every piece that appears in any tokenized corpus, every
piece that contains Hangul (so Korean text segments exactly as with the full vocabulary), the
single-character pieces for Hangul/jamo/Latin/digits/punctuation/common symbols and emoji (so
unseen words degrade to characters instead of <unk>), and the most probable ASCII pieces
(English feedback). Ids keep their original relative order.

usage: python prep.py --out DIR
"""
import argparse
import collections
import json
import os
import pickle
import re
import sys
import time

import numpy as np
from tokenizers import Tokenizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

HANGUL = re.compile("[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\ud7b0-\ud7ff]")


def single_char_ok(c: str) -> bool:
    o = ord(c)
    return (
        o < 0x250  # ASCII + Latin-1 + Latin Extended-A/B
        or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F or 0xAC00 <= o <= 0xD7A3
        or 0x2000 <= o <= 0x2BFF  # punctuation, arrows, math, misc symbols, dingbats
        or 0x3000 <= o <= 0x303F or 0xFF00 <= o <= 0xFFEF  # CJK punct, full-width forms
        or 0x1F000 <= o <= 0x1FAFF  # emoji
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(common.WORK, "data"))
    ap.add_argument("--top-ascii", type=int, default=6000)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    t0 = time.time()
    tok_path = common.find_tokenizer_json()
    full = Tokenizer.from_file(tok_path)
    tj = json.load(open(tok_path, encoding="utf-8"))
    vocab = tj["model"]["vocab"]

    # ---- collect corpora ----
    nsmc = [(m, r, t) for m, r, t in common.read_nsmc()]
    kote = {s: common.read_kote(s) for s in ("val", "test")}
    en = common.read_en_uci()
    fb = {s: common.read_feedback(s) for s in ("train", "dev", "test")}
    mini = common.read_mini()
    chat = []
    with open(os.path.join(common.CORPORA, "chatbot-songys", "ChatbotData.csv"), encoding="utf-8") as f:
        import csv

        for row in csv.DictReader(f):
            chat.append(row["Q"])
            chat.append(row["A"])
    print(f"read: nsmc {len(nsmc)} kote {[len(v) for v in kote.values()]} en {len(en)} "
          f"feedback {[len(v) for v in fb.values()]} mini {len(mini)} chat {len(chat)} "
          f"({time.time()-t0:.0f}s)", flush=True)

    def enc(texts):
        return [e.ids for e in full.encode_batch(texts, add_special_tokens=True)]

    all_texts = ([t for _, _, t in nsmc] + [t for s in kote for t, _ in kote[s]] + [t for _, t, _ in en]
                 + [r[3] for s in fb for r in fb[s]] + [t for _, t, _ in mini] + chat)
    ids_all = []
    B = 20000
    for i in range(0, len(all_texts), B):
        ids_all.extend(enc(all_texts[i:i + B]))
    print(f"tokenized {len(all_texts)} texts ({time.time()-t0:.0f}s)", flush=True)
    counts = collections.Counter()
    for ids in ids_all:
        counts.update(ids)

    keep = set([0, 1, 2, 3]) | set(counts)
    n_seen = len(keep)
    ascii_rank = []
    for i, (p, s) in enumerate(vocab):
        if i == len(vocab) - 1 and p == "<mask>":
            continue
        if HANGUL.search(p):
            keep.add(i)
        bare = p.replace("\u2581", "")
        if len(bare) == 1 and single_char_ok(bare):
            keep.add(i)
        if p == "\u2581":
            keep.add(i)
        if bare and all(ord(c) < 128 for c in bare):
            ascii_rank.append((s, i))
    ascii_rank.sort(reverse=True)
    for s, i in ascii_rank[: a.top_ascii]:
        keep.add(i)
    keep.discard(len(vocab) - 1) if vocab[-1][0] == "<mask>" else None
    new2old = np.array(sorted(keep), dtype=np.int64)
    old2new = np.full(len(vocab) + 64, -1, dtype=np.int64)
    old2new[new2old] = np.arange(len(new2old))
    print(f"vocab: seen {n_seen}, kept {len(new2old)} of {len(vocab)}", flush=True)
    assert list(new2old[:4]) == [0, 1, 2, 3]

    # ---- pruned tokenizer.json ----
    pj = json.loads(json.dumps(tj))
    pj["model"]["vocab"] = [vocab[i] for i in new2old]
    pj["model"]["unk_id"] = int(old2new[tj["model"]["unk_id"]])
    pj["added_tokens"] = [t for t in tj["added_tokens"] if t["id"] < len(vocab) and old2new[t["id"]] >= 0]
    for t in pj["added_tokens"]:
        t["id"] = int(old2new[t["id"]])
    for st in pj["post_processor"]["special_tokens"].values():
        st["ids"] = [int(old2new[i]) for i in st["ids"]]
    pj["truncation"] = None
    pj["padding"] = None
    tok_out = os.path.join(a.out, "tokenizer.json")
    with open(tok_out, "w", encoding="utf-8") as f:
        json.dump(pj, f, ensure_ascii=False)
    pruned = Tokenizer.from_file(tok_out)

    # ---- verify identical tokenization on every corpus text ----
    mism = 0
    for i in range(0, len(all_texts), B):
        got = [e.ids for e in pruned.encode_batch(all_texts[i:i + B], add_special_tokens=True)]
        for g, ref in zip(got, ids_all[i:i + B]):
            if g != [int(old2new[x]) for x in ref]:
                mism += 1
    print(f"pruned tokenizer mismatches on corpus texts: {mism} / {len(all_texts)} ({time.time()-t0:.0f}s)",
          flush=True)

    # ---- cache datasets (pruned ids) ----
    it = iter(ids_all)

    def nxt(n):
        return [old2new[np.array(next(it), dtype=np.int64)].astype(np.int32) for _ in range(n)]

    d = {}
    nsmc_ids = nxt(len(nsmc))
    d["nsmc"] = {
        "split": np.array([common.nsmc_split(m) for m, _, _ in nsmc]),
        "rating": np.array([r for _, r, _ in nsmc], dtype=np.int8),
        "nchar": np.array([len(t) for _, _, t in nsmc], dtype=np.int32),
        "ids": nsmc_ids,
    }
    for s in ("val", "test"):
        ids = nxt(len(kote[s]))
        d[f"kote_{s}"] = {"ids": ids, "y": np.array([v for _, v in kote[s]], dtype=np.float32)}
    ids = nxt(len(en))
    d["en"] = {"ids": ids, "y": np.array([l for _, _, l in en]), "src": [s for s, _, _ in en],
               "test": np.array([common.en_uci_is_test(i, t) for i, (_, t, _) in enumerate(en)])}
    for s in ("train", "dev", "test"):
        ids = nxt(len(fb[s]))
        d[f"fb_{s}"] = {"ids": ids, "y": np.array([r[2] for r in fb[s]], dtype=np.int64),
                        "domain": [r[0] for r in fb[s]]}
    ids = nxt(len(mini))
    d["mini"] = {"ids": ids, "y": np.array([r[2] for r in mini], dtype=np.int64)}
    d["new2old"] = new2old
    with open(os.path.join(a.out, "datasets.pkl"), "wb") as f:
        pickle.dump(d, f, protocol=4)
    # raw texts of the eval sets for the TF-IDF baseline (scratch only, never in /work/main)
    with open(os.path.join(a.out, "texts.pkl"), "wb") as f:
        pickle.dump({"nsmc": [t for _, _, t in nsmc], "en": [t for _, t, _ in en],
                     "kote_val": [t for t, _ in kote["val"]], "kote_test": [t for t, _ in kote["test"]],
                     "fb_train": [r[3] for r in fb["train"]], "fb_dev": [r[3] for r in fb["dev"]],
                     "fb_test": [r[3] for r in fb["test"]],
                     "mini": [t for _, t, _ in mini]}, f, protocol=4)
    # Texts of feedback-ko train+dev as read now: eval.py --exclude drops them from test, so a
    # later re-split of feedback-ko can never leak training rows into a reported test score.
    with open(os.path.join(a.out, "fb_seen_texts.txt"), "w", encoding="utf-8") as f:
        f.write("".join(r[3] + "\n" for s in ("train", "dev") for r in fb[s]))
    print(f"done ({time.time()-t0:.0f}s)")


if __name__ == "__main__":
    main()
