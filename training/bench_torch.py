"""Times the committed sentiment network in PyTorch, for a side-by-side with `sori bench`.

The same weights, the same reviews (NSMC's first N, as `sori bench --reviews N
--with-sentiment` reads them) and the same batching idea (sorted by length, 64 a batch), on
all the machine's cores: what a Python stack would get from this model without sori. Only the
transformer is timed (sori's figure also includes the n-gram companion, which costs little).

    $SORI_WORK/venv/bin/python training/bench_torch.py --reviews 4000
    cargo run --release -- bench --reviews 4000 --with-sentiment
"""
import argparse
import gzip
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from infer import encode, load_exported, logits_for  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read_reviews(path, n):
    texts = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        col = f.readline().rstrip("\n").split("\t").index("text")
        for line in f:
            cols = line.rstrip("\n").split("\t")
            texts.append(cols[col] if col < len(cols) else "")
            if len(texts) >= n:
                break
    return [t for t in texts if t.strip()]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reviews", type=int, default=4000)
    ap.add_argument("--model-dir", default=os.path.join(ROOT, "models/sentiment"))
    ap.add_argument("--corpus", default=os.path.join(ROOT, "../shared/corpora/nsmc-raw/reviews.tsv.gz"))
    # bf16 autocast only pays on CPUs with native bf16 (AVX-512 BF16 / AMX); on AVX2-only
    # CPUs it is emulated and ~7x slower than f32, so it is timed only when asked for.
    ap.add_argument("--bf16", action="store_true", help="also time bf16 autocast")
    args = ap.parse_args()
    torch.set_num_threads(os.cpu_count())
    model, tok, cfg = load_exported(args.model_dir)
    texts = read_reviews(args.corpus, args.reviews)
    print(f"model {cfg['sori']['name']}-{cfg['sori']['version']}, {len(texts)} reviews, "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for precision in ("f32", "bf16") if args.bf16 else ("f32",):
        logits_for(model, encode(tok, texts[:64]))
        start = time.perf_counter()
        seqs = encode(tok, texts)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            logits_for(model, seqs)
        seconds = time.perf_counter() - start
        print(f"PyTorch {precision:<5} tokenize+encode+heads {seconds:8.2f}s {len(texts) / seconds:8.0f} docs/s")


if __name__ == "__main__":
    main()
