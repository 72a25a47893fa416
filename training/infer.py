"""Batched inference helpers shared by calibrate/export/eval."""
import json
import os

import numpy as np
import torch

from model import SentimentModel

PAD = 1


def head_and_tail(ids, max_len=128):
    """What the runtime feeds the model for a text of more than max_len tokens: <s>, the first
    quarter of the room, the last three quarters, </s> (src/analyze/sentiment.rs head_and_tail)."""
    ids = np.asarray(ids)
    if len(ids) <= max_len:
        return ids
    room = max_len - 2
    head = room // 4
    body = ids[1:-1]
    return np.concatenate([ids[:1], body[:head], body[len(body) - (room - head):], ids[-1:]])


def logits_for(model, seqs, bs=64, max_len=128):
    """Returns (sentiment logits [N,3], emotion logits [N,E]) in the input order, fp32."""
    order = np.argsort([len(s) for s in seqs], kind="stable")
    s_out = np.zeros((len(seqs), 3), dtype=np.float32)
    e_out = np.zeros((len(seqs), model.emotion_head.out_features), dtype=np.float32)
    model.eval()
    with torch.no_grad():
        for i in range(0, len(seqs), bs):
            idx = order[i: i + bs]
            batch = []
            for j in idx:
                s = np.asarray(seqs[j])
                batch.append(head_and_tail(s, max_len))
            L = max(len(s) for s in batch)
            ids = np.full((len(batch), L), PAD, dtype=np.int64)
            for k, s in enumerate(batch):
                ids[k, : len(s)] = s
            ids = torch.from_numpy(ids)
            s_l, e_l, _ = model(ids, (ids != PAD).long())
            s_out[idx] = s_l.float().numpy()
            e_out[idx] = e_l.float().numpy()
    return s_out, e_out


def load_exported(model_dir, emotion_file=True):
    """Loads models/sentiment/ (safetensors F16 + config.json + tokenizer.json) into fp32 torch.
    The emotion head comes from the file config.json names in `sori.emotion_head`, as in the
    runtime, unless emotion_file is False (then the one trained with the encoder)."""
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    cfg = json.load(open(os.path.join(model_dir, "config.json"), encoding="utf-8"))
    sd = {k: torch.from_numpy(v.astype(np.float32)) for k, v in
          load_file(os.path.join(model_dir, "model.safetensors")).items()}
    m = SentimentModel(cfg["vocab_size"], H=cfg["hidden_size"], layers=cfg["num_hidden_layers"],
                       NH=cfg["num_attention_heads"], FF=cfg["intermediate_size"],
                       maxpos=cfg["max_position_embeddings"], eps=cfg["layer_norm_eps"],
                       n_emo=len(cfg["sori"]["emotions"]), drop=0.0)
    m.load_candle_state_dict(sd)
    head = cfg["sori"].get("emotion_head")
    if head and emotion_file:
        eh = load_file(os.path.join(model_dir, head))
        with torch.no_grad():
            m.emotion_head.weight.copy_(torch.from_numpy(eh["emotion_head.weight"].astype(np.float32)))
            m.emotion_head.bias.copy_(torch.from_numpy(eh["emotion_head.bias"].astype(np.float32)))
    tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    return m.eval(), tok, cfg


def load_ngram(model_dir, cfg):
    """The model directory's n-gram companion (ngram.py), or None when it has none."""
    c = cfg["sori"].get("ngram")
    if not c:
        return None
    from ngram import NgramModel

    return NgramModel(os.path.join(model_dir, c["file"]))


def emotion_probs(e, texts, model_dir, cfg, ngram=None):
    """Emotion probabilities as the runtime computes them: the transformer head's logits e,
    plus the n-gram block of the emotion-head file (config.json `sori.emotion_head`;
    training/emotion_head.py) over the n-gram companion's features, when it has one."""
    head = cfg["sori"].get("emotion_head")
    if head and ngram is not None:
        from safetensors.numpy import load_file

        t = load_file(os.path.join(model_dir, head))
        if "ngram_index" in t:
            coef = np.zeros((e.shape[1], len(ngram.idf)), np.float32)
            coef[:, t["ngram_index"].astype(np.int64)] = t["ngram_coef"].astype(np.float32)
            e = e.copy()
            for i, text in enumerate(texts):
                j, x = ngram.features(text)
                if len(j):
                    e[i] += coef[:, j] @ x
    return 1 / (1 + np.exp(-e))


def calibrated_logits(s, texts, cfg, ngram=None):
    """What the runtime turns into probabilities with a softmax: transformer logits / T, mixed
    with the n-gram model's when there is one (src/analyze/sentiment.rs NgramMixture)."""
    z = s / cfg["sori"]["temperature"]
    if ngram is None:
        return z
    from ngram import mix

    c = cfg["sori"]["ngram"]
    return mix(z, ngram.logits(list(texts)), c["weight"], c["temperature"])


def encode(tok, texts):
    return [np.array(e.ids, dtype=np.int64) for e in tok.encode_batch(list(texts), add_special_tokens=True)]


def softmax(x):
    x = x - x.max(-1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(-1, keepdims=True)


def ece(probs, y, bins=15):
    conf = probs.max(-1)
    pred = probs.argmax(-1)
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            total += m.mean() * abs((pred[m] == y[m]).mean() - conf[m].mean())
    return float(total)


def fit_temperature(logits, y, weights=None):
    """The T minimising the (optionally per-row weighted) NLL of softmax(logits / T)."""
    lt = torch.zeros(1, requires_grad=True)
    L = torch.from_numpy(logits)
    Y = torch.from_numpy(y).long()
    W = None if weights is None else torch.from_numpy(np.asarray(weights, dtype=np.float32))
    opt = torch.optim.LBFGS([lt], lr=0.1, max_iter=200)

    def closure():
        opt.zero_grad()
        nll = torch.nn.functional.cross_entropy(L / lt.exp(), Y, reduction="none")
        loss = nll.mean() if W is None else (nll * W).sum() / W.sum()
        loss.backward()
        return loss

    opt.step(closure)
    return float(lt.detach().exp())
