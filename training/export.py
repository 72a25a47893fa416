"""Export a trained run to the sori model directory format (see MODEL.md): F16 safetensors with
candle BERT names + heads, config.json with the "sori" block, and the pruned tokenizer.json.
Then reload the exported files with an independent numpy forward pass and compare to the
training model's fp32 output.

usage: python export.py --run RUN_DIR --out ../models/sentiment [--version 0.2.0]
"""
import argparse
import json
import os
import shutil
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from calibrate import load_run  # noqa: E402

VERIFY_TEXTS = [
    "배송이 빨라서 정말 만족합니다!", "포장이 엉망이고 제품도 깨져서 왔어요. 환불 요청합니다.",
    "그냥 보통이에요", "앱이 자꾸 튕겨서 짜증나네요 ㅡㅡ", "직원분들이 친절하셔서 감사했어요 ^^",
    "The battery died after two days, very disappointed.", "Great value, works perfectly.",
    "가격 대비 괜찮은데 배송은 좀 느렸어요", "ㅋㅋㅋㅋ 대박 최고", "",
]


def np_forward(sd, cfg, ids):
    """Reference forward pass in numpy from the exported tensors (one sequence, no padding)."""
    H, NH, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"]
    g = lambda k: sd[k].astype(np.float32)  # noqa: E731

    def ln(x, p):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + eps) * g(p + ".weight") + g(p + ".bias")

    def lin(x, p):
        return x @ g(p + ".weight").T + g(p + ".bias")

    from math import erf, sqrt

    verf = np.vectorize(erf)
    L = len(ids)
    x = g("embeddings.word_embeddings.weight")[ids] + g("embeddings.position_embeddings.weight")[:L] \
        + g("embeddings.token_type_embeddings.weight")[0]
    x = ln(x, "embeddings.LayerNorm")
    hd = H // NH
    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        q = lin(x, p + "attention.self.query").reshape(L, NH, hd).transpose(1, 0, 2)
        k = lin(x, p + "attention.self.key").reshape(L, NH, hd).transpose(1, 0, 2)
        v = lin(x, p + "attention.self.value").reshape(L, NH, hd).transpose(1, 0, 2)
        a = q @ k.transpose(0, 2, 1) / np.sqrt(hd)
        a = np.exp(a - a.max(-1, keepdims=True))
        a /= a.sum(-1, keepdims=True)
        ctx = (a @ v).transpose(1, 0, 2).reshape(L, H)
        x = ln(x + lin(ctx, p + "attention.output.dense"), p + "attention.output.LayerNorm")
        h = lin(x, p + "intermediate.dense")
        h = 0.5 * h * (1 + verf(h / sqrt(2.0)))
        x = ln(x + lin(h, p + "output.dense"), p + "output.LayerNorm")
    pooled = x.mean(0)
    return lin(pooled, "sentiment_head"), lin(pooled, "emotion_head")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True)
    ap.add_argument("--data", default=os.path.join(common.WORK, "data"))
    ap.add_argument("--out", default=os.path.join(common.ROOT, "models", "sentiment"))
    ap.add_argument("--version", default="0.2.0")
    ap.add_argument("--name", default="sori-sentiment-ko-small")
    a = ap.parse_args()
    from safetensors.numpy import load_file, save_file
    from tokenizers import Tokenizer

    model, d, args = load_run(a.run, a.data)
    calib = json.load(open(os.path.join(a.run, "calib.json")))
    os.makedirs(a.out, exist_ok=True)
    sd = {k: v.float().numpy().astype(np.float16) for k, v in model.candle_state_dict().items()}
    save_file(sd, os.path.join(a.out, "model.safetensors"), metadata={"format": "pt"})
    shutil.copyfile(os.path.join(a.data, "tokenizer.json"), os.path.join(a.out, "tokenizer.json"))
    H = model.word.weight.shape[1]
    cfg = {
        "architectures": ["BertModel"], "model_type": "bert",
        "vocab_size": int(model.word.weight.shape[0]), "hidden_size": H,
        "num_hidden_layers": len(model.layers), "num_attention_heads": model.layers[0].NH,
        "intermediate_size": int(model.layers[0].fi.weight.shape[0]), "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": int(model.pos.weight.shape[0]), "type_vocab_size": 2,
        "initializer_range": 0.02, "layer_norm_eps": 1e-12, "pad_token_id": 1,
        "position_embedding_type": "absolute", "use_cache": True, "classifier_dropout": None,
        "sori": {
            "name": a.name, "labels": common.LABELS, "emotions": common.EMOTIONS,
            "emotion_thresholds": calib["emotion_thresholds"], "pooling": "mean",
            "temperature": round(calib["temperature"], 4), "max_len": args.get("max_len", 128),
            "version": a.version,
        },
    }
    with open(os.path.join(a.out, "config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=1, ensure_ascii=False)

    # ---- verify: exported files -> numpy forward vs training model (fp32) ----
    sd2 = load_file(os.path.join(a.out, "model.safetensors"))
    assert all(v.dtype == np.float16 for v in sd2.values())
    tok = Tokenizer.from_file(os.path.join(a.out, "tokenizer.json"))
    worst = 0.0
    with torch.no_grad():
        for t in VERIFY_TEXTS:
            ids = tok.encode(t).ids
            ref_s, ref_e, _ = model(torch.tensor([ids]), torch.ones(1, len(ids), dtype=torch.long))
            s, e = np_forward(sd2, cfg, np.array(ids))
            ps = lambda z: np.exp(z - z.max()) / np.exp(z - z.max()).sum()  # noqa: E731
            diff = max(np.abs(ps(s) - ps(ref_s[0].numpy())).max(),
                       np.abs(1 / (1 + np.exp(-e)) - 1 / (1 + np.exp(-ref_e[0].numpy()))).max())
            worst = max(worst, float(diff))
            print(f"{common.LABELS[int(s.argmax())]:8s} {ps(s / cfg['sori']['temperature']).round(3)} {t}")
    print(f"max |prob diff| exported(F16, numpy) vs training model(fp32): {worst:.2e}")
    if worst > 2e-3:
        sys.exit("export verification failed")
    size = os.path.getsize(os.path.join(a.out, "model.safetensors"))
    print(f"model.safetensors {size/1e6:.1f} MB, {sum(v.size for v in sd2.values())/1e6:.2f}M params")


if __name__ == "__main__":
    main()
