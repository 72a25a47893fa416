"""Multi-task fine-tune of the first K layers of mE5-small (pruned vocabulary) for 3-class
sentiment + CX emotion groups. CPU, bf16 autocast, length-bucketed batches, time-based linear
warmup/decay schedule (so a shared, variably loaded CPU still gets a complete schedule), and
resumable checkpoints.

usage: python train.py --data DIR --init e5s_fp32.pt --out RUN_DIR [--layers 4] [--minutes 45]
"""
import argparse
import hashlib
import json
import os
import pickle
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from infer import head_and_tail  # noqa: E402
from model import from_pretrained  # noqa: E402

PAD = 1
EOS = 2


def trunc(ids, max_len):
    # The few training texts over max_len tokens are cut as the runtime cuts long reviews.
    return head_and_tail(ids, max_len)


def collate(items, max_len):
    seqs = [trunc(x[0], max_len) for x in items]
    L = max(len(s) for s in seqs)
    ids = np.full((len(seqs), L), PAD, dtype=np.int64)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = s
    ids = torch.from_numpy(ids)
    return ids, (ids != PAD).long()


def bucketed_batches(items, bs, rng, pool=64):
    """Shuffle, then sort within pools of `pool` batches by length so padding stays small."""
    idx = list(range(len(items)))
    rng.shuffle(idx)
    batches = []
    for p in range(0, len(idx), bs * pool):
        chunk = sorted(idx[p: p + bs * pool], key=lambda i: len(items[i][0]))
        batches.extend(chunk[i: i + bs] for i in range(0, len(chunk), bs))
    rng.shuffle(batches)
    return batches


def kote_holdout(i):
    return int(hashlib.md5(str(i).encode()).hexdigest()[:8], 16) % 10 == 0


def sentiment_label(r, mapping):
    if mapping == "4-56-910":
        return 0 if r <= 4 else (1 if r <= 6 else (2 if r >= 9 else -1))
    if mapping == "4-567-910":
        return 0 if r <= 4 else (1 if r <= 7 else (2 if r >= 9 else -1))
    if mapping == "3-56-910":
        return 0 if r <= 3 else (1 if r in (5, 6) else (2 if r >= 9 else -1))
    raise ValueError(mapping)


def rating_lean(r):
    """Which side a middle NSMC rating leans to (5 -> negative, 6-7 -> positive)."""
    return -1 if r <= 5 else 1


def stars_lean(stars):
    """Which side a 1-5 star rating leans to; 3 (or no rating) leans nowhere."""
    s = str(stars).strip()
    return -1 if s in ("1", "2") else (1 if s in ("4", "5") else 0)


def build_sentiment_train(d, a, rng):
    """Items are (token ids, class, lean): lean is the side (-1/+1, 0 = none) that the
    review's star rating puts a neutral-labelled row on (see --neutral-lean)."""
    ns = d["nsmc"]
    per = {0: [], 1: [], 2: []}
    for i in np.nonzero(ns["split"] == "train")[0]:
        y = sentiment_label(int(ns["rating"][i]), a.mapping)
        if y >= 0:
            per[y].append(i)
    items = []
    for y, lst in per.items():
        rng.shuffle(lst)
        take = lst[: a.per_class]
        items += [(ns["ids"][i], y, rating_lean(int(ns["rating"][i])) if y == 1 else 0) for i in take]
        print(f"nsmc class {common.LABELS[y]}: {len(lst)} available, {len(take)} used", flush=True)
    en = d["en"]
    en_items = [(en["ids"][i], 2 * int(en["y"][i]), 0) for i in range(len(en["y"])) if not en["test"][i]]
    items += en_items * a.en_repeat
    fb = d.get("fb_train", {"ids": []})
    # datasets.pkl keeps no stars: read them again from the same rows, in the same order.
    fb_rows = common.read_feedback("train")
    if len(fb_rows) != len(fb["ids"]) or any(r[2] != int(y) for r, y in zip(fb_rows, fb.get("y", []))):
        raise SystemExit("feedback-ko train.tsv changed since prep.py: rerun prep.py")
    fb_items = [(fb["ids"][i], int(fb["y"][i]), stars_lean(fb_rows[i][1])) for i in range(len(fb["ids"]))]
    items += fb_items * a.fb_repeat
    n_extra = 0
    for spec in a.extra_feedback or []:
        path, repeat = common.split_repeat(spec, a.extra_repeat)
        ex_items = read_extra_feedback(path, a.data)
        items += ex_items * repeat
        n_extra += len(ex_items) * repeat
    print(f"sentiment train: {len(items)} (en {len(en_items)}x{a.en_repeat}, "
          f"feedback {len(fb_items)}x{a.fb_repeat}, extra {n_extra} with repeats)", flush=True)
    return items


def sentiment_targets(batch, smoothing, lean):
    """Label-smoothed targets; a neutral row whose rating leans to one side moves `lean` of
    its mass there, so the negative/positive split of neutral-looking text is learned from
    the stars rather than left to chance (a 5/10 film review is more disappointed than a 6/10)."""
    t = np.full((len(batch), 3), smoothing / 3, dtype=np.float32)
    for i, b in enumerate(batch):
        t[i, b[1]] += 1.0 - smoothing
        if b[1] == 1 and b[2] and lean:
            t[i, 1] -= lean
            t[i, 1 + b[2]] += lean
    return torch.from_numpy(t)


def read_extra_feedback(path, data_dir):
    """Extra project-written training rows, tokenized with the pruned tokenizer the runtime uses,
    minus near copies of test rows (common.is_near_test_copy)."""
    import csv
    from tokenizers import Tokenizer
    test = common.feedback_test_trigrams()
    tok = Tokenizer.from_file(os.path.join(data_dir, "tokenizer.json"))
    items, dropped = [], 0
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            # corpora/emotion-ko names the sentiment label `sentiment`.
            lab = (row.get("label") or row.get("sentiment") or "").strip().lower()
            text = (row.get("text") or "").strip()
            if lab not in common.LABELS or not text:
                continue
            if common.is_near_test_copy(text, test):
                dropped += 1
                continue
            ids = np.array(tok.encode(text).ids, dtype=np.int32)
            items.append((ids, common.LABELS.index(lab), stars_lean(row.get("stars", ""))))
    print(f"extra feedback {os.path.basename(path)}: {len(items)} rows "
          f"({dropped} near-duplicates of test rows dropped)", flush=True)
    return items


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(common.WORK, "data"))
    ap.add_argument("--init", default=os.path.join(common.WORK, "e5s_fp32.pt"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--minutes", type=float, default=45.0)
    ap.add_argument("--bs", type=int, default=32)
    ap.add_argument("--lr", type=float, default=8e-5)
    ap.add_argument("--warmup", type=float, default=0.05)
    ap.add_argument("--max-len", type=int, default=128)
    ap.add_argument("--mapping", default="4-56-910")
    ap.add_argument("--per-class", type=int, default=60000)
    ap.add_argument("--en-repeat", type=int, default=2)
    ap.add_argument("--fb-repeat", type=int, default=4)
    ap.add_argument("--kote-every", type=int, default=8, help="one emotion batch per N steps")
    ap.add_argument("--smoothing", type=float, default=0.1)
    ap.add_argument("--neutral-lean", type=float, default=0.0,
                    help="probability mass a neutral row moves to the side its rating leans to "
                         "(NSMC 5 -> negative, 6 -> positive; 1-2 / 4-5 stars); 0 = hard labels")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--ckpt-minutes", type=float, default=8.0)
    ap.add_argument("--no-bf16", action="store_true")
    ap.add_argument("--warm-start", default=None,
                    help="final.pt of an earlier run: continue from its weights and heads "
                         "(fresh optimiser and schedule) instead of the pretrained encoder")
    ap.add_argument("--extra-feedback", nargs="+", default=None,
                    help="train-only TSVs (id, domain, stars, label, text), e.g. "
                         "corpora/feedback-ko/extra.tsv reports.tsv:6 (FILE:N repeats that file N "
                         "times instead of --extra-repeat); rows near-duplicating a test row are dropped")
    ap.add_argument("--extra-repeat", type=int, default=3)
    ap.add_argument("--freeze-layers", type=int, default=0,
                    help="keep the embeddings and the lowest N layers fixed (a deeper model grown "
                         "from a trained shallower one: saves their backward pass on CPU)")
    a = ap.parse_args()
    if not a.no_bf16 and not common.cpu_has_native_bf16():
        # Emulated bf16 autocast ran at a few steps a minute on an AVX2-only CPU (2026-11-25),
        # so a time-budgeted stage would train almost nothing.
        print("this CPU has no native bf16 (AVX-512 BF16 / AMX): training in fp32", flush=True)
        a.no_bf16 = True
    torch.set_num_threads(a.threads)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "args.json"), "w") as f:
        json.dump(vars(a), f, indent=1)
    rng = random.Random(a.seed)
    torch.manual_seed(a.seed)

    with open(os.path.join(a.data, "datasets.pkl"), "rb") as f:
        d = pickle.load(f)
    sent = build_sentiment_train(d, a, rng)
    kv = d["kote_val"]
    kote = [(kv["ids"][i], kv["y"][i]) for i in range(len(kv["ids"])) if not kote_holdout(i)]
    print(f"kote train {len(kote)} (holdout {len(kv['ids']) - len(kote)} for thresholds)", flush=True)

    model = from_pretrained(torch.load(a.init, weights_only=False), d["new2old"], a.layers,
                            n_emo=len(common.EMOTIONS))
    if a.warm_start:
        # A shallower run may seed a deeper model: its layers, embeddings and heads are
        # loaded, the layers it lacks keep their pretrained mE5 weights.
        missing, unexpected = model.load_state_dict(torch.load(a.warm_start, weights_only=False),
                                                    strict=False)
        if unexpected:
            raise SystemExit(f"warm start {a.warm_start}: unexpected tensors {unexpected[:5]}")
        fresh = sorted({k.split(".")[1] for k in missing if k.startswith("layers.")}
                       | {k for k in missing if not k.startswith("layers.")})
        if any(not k.isdigit() for k in fresh):
            raise SystemExit(f"warm start {a.warm_start}: missing non-layer tensors {fresh}")
        print(f"warm start from {a.warm_start}"
              + (f" (pretrained layers kept: {', '.join(fresh)})" if fresh else ""), flush=True)
    if a.freeze_layers:
        frozen = [model.word, model.pos, model.tok_type, model.eln, *model.layers[:a.freeze_layers]]
        for module in frozen:
            module.requires_grad_(False)
    nparam = sum(p.numel() for p in model.parameters())
    ntrain = sum(p.numel() for p in model.parameters() if p.requires_grad)
    print(f"model: {a.layers} layers, vocab {len(d['new2old'])}, {nparam/1e6:.1f}M params "
          f"({ntrain/1e6:.1f}M trained)", flush=True)
    trained = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    decay = [p for n, p in trained if p.dim() >= 2]
    no_decay = [p for n, p in trained if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01},
                             {"params": no_decay, "weight_decay": 0.0}], lr=a.lr, betas=(0.9, 0.98), eps=1e-6)

    budget = a.minutes * 60.0
    state = {"step": 0, "elapsed": 0.0, "sent_epoch": 0, "sent_pos": 0, "kote_epoch": 0, "kote_pos": 0}
    ck_path = os.path.join(a.out, "checkpoint.pt")
    if os.path.exists(ck_path):
        ck = torch.load(ck_path, weights_only=False)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        state = ck["state"]
        print(f"resumed at step {state['step']} ({state['elapsed']/60:.1f} min)", flush=True)

    def epoch_batches(items, epoch, salt):
        return bucketed_batches(items, a.bs, random.Random(a.seed * 1000 + epoch * 7 + salt))

    sent_b = epoch_batches(sent, state["sent_epoch"], 1)
    kote_b = epoch_batches(kote, state["kote_epoch"], 2)

    def save():
        tmp = ck_path + ".tmp"
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "state": state, "args": vars(a)}, tmp)
        os.replace(tmp, ck_path)

    model.train()
    t_last = time.time()
    t_ck = time.time()
    ema = {"s": None, "e": None}
    n_seen = 0
    t_start = time.time()
    while state["elapsed"] < budget:
        frac = state["elapsed"] / budget
        lr = a.lr * (frac / a.warmup if frac < a.warmup else max(0.0, (1 - frac) / (1 - a.warmup)))
        for g in opt.param_groups:
            g["lr"] = lr
        is_kote = a.kote_every > 0 and state["step"] % a.kote_every == a.kote_every - 1
        if is_kote:
            if state["kote_pos"] >= len(kote_b):
                state["kote_epoch"] += 1
                state["kote_pos"] = 0
                kote_b = epoch_batches(kote, state["kote_epoch"], 2)
            batch = [kote[i] for i in kote_b[state["kote_pos"]]]
            state["kote_pos"] += 1
        else:
            if state["sent_pos"] >= len(sent_b):
                state["sent_epoch"] += 1
                state["sent_pos"] = 0
                sent_b = epoch_batches(sent, state["sent_epoch"], 1)
            batch = [sent[i] for i in sent_b[state["sent_pos"]]]
            state["sent_pos"] += 1
        ids, mask = collate(batch, a.max_len)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=not a.no_bf16):
            s_logits, e_logits, _ = model(ids, mask)
        if is_kote:
            y = torch.tensor(np.stack([b[1] for b in batch]))
            loss = F.binary_cross_entropy_with_logits(e_logits.float(), y)
            key = "e"
        else:
            y = sentiment_targets(batch, a.smoothing, a.neutral_lean)
            loss = F.cross_entropy(s_logits.float(), y)
            key = "s"
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for _, p in trained], 1.0)
        opt.step()
        lv = float(loss.detach())
        ema[key] = lv if ema[key] is None else 0.98 * ema[key] + 0.02 * lv
        now = time.time()
        state["elapsed"] += now - t_last
        t_last = now
        state["step"] += 1
        n_seen += len(batch)
        if state["step"] % 50 == 0:
            rate = n_seen / (now - t_start)
            print(f"step {state['step']} {state['elapsed']/60:.1f}m lr {lr:.2e} sent {ema['s']:.4f} "
                  f"emo {ema['e'] if ema['e'] is None else round(ema['e'], 4)} {rate:.0f} samples/s "
                  f"(sent epoch {state['sent_epoch']} {state['sent_pos']}/{len(sent_b)})", flush=True)
        if now - t_ck > a.ckpt_minutes * 60:
            save()
            t_ck = now
    save()
    torch.save(model.state_dict(), os.path.join(a.out, "final.pt"))
    print(f"done: {state['step']} steps, {state['elapsed']/60:.1f} min", flush=True)


if __name__ == "__main__":
    main()
