#!/usr/bin/env python3
"""Times mecab-ko and Kiwi on the reviews `sori bench` reads, for a side-by-side figure.

`sori bench --reviews N` prints sori's own morphology time (one thread, NSMC's first N
reviews); this script analyses the same N reviews with the two tools a Korean NLP team would
otherwise use, each on one thread, one call per review as an ingest loop makes them:

    python3 -m venv /tmp/peers
    /tmp/peers/bin/pip install mecab-ko==1.0.3 kiwipiepy==0.24.1
    /tmp/peers/bin/python scripts/bench_morph_peers.py --reviews 100000
    cargo run --release -- bench --reviews 100000

A tool that is not installed is skipped. Kiwi is also timed with its own batch API on two
worker threads, its fastest use on this machine.
"""

import argparse
import gzip
import time
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared/corpora/nsmc-raw/reviews.tsv.gz"


def read_reviews(path, n):
    texts = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        col = header.index("text")
        for line in f:
            cols = line.rstrip("\n").split("\t")
            texts.append(cols[col] if col < len(cols) else "")
            if len(texts) >= n:
                break
    return texts


def report(name, texts, seconds, tokens):
    chars = sum(len(t) for t in texts)
    print(
        f"{name:<34} {seconds:8.2f}s {len(texts) / seconds:12.0f} docs/s "
        f"{chars / seconds:14.0f} chars/s  ({tokens} morphemes)"
    )


def time_loop(name, texts, analyse):
    analyse("워밍업 문장입니다")
    start = time.perf_counter()
    tokens = sum(analyse(t) for t in texts)
    report(name, texts, time.perf_counter() - start, tokens)


def bench_mecab(texts):
    try:
        import mecab_ko
    except ImportError:
        print("mecab-ko: not installed, skipped")
        return
    tagger = mecab_ko.Tagger()
    # parse() returns one line per morpheme plus a final EOS line.
    time_loop("mecab-ko 1.0.3 (1 thread)", texts, lambda t: tagger.parse(t).count("\n") - 1)


def bench_kiwi(texts):
    try:
        import kiwipiepy
        from kiwipiepy import Kiwi
    except ImportError:
        print("kiwipiepy: not installed, skipped")
        return
    version = kiwipiepy.__version__
    # num_workers=-1: no worker threads, the caller's thread does the work. The default
    # language model (CoNg in 0.24) is the only one kiwipiepy_model ships.
    kiwi = Kiwi(num_workers=-1)
    time_loop(f"Kiwi {version} (1 thread)", texts, lambda t: len(kiwi.tokenize(t)))
    kiwi = Kiwi(num_workers=2)
    kiwi.tokenize("워밍업 문장입니다")
    start = time.perf_counter()
    tokens = sum(len(r) for r in kiwi.tokenize(texts))
    report(f"Kiwi {version} (batch, 2 threads)", texts, time.perf_counter() - start, tokens)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reviews", type=int, default=100_000)
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    args = ap.parse_args()
    texts = read_reviews(args.corpus, args.reviews)
    print(f"corpus: {args.corpus} ({len(texts)} reviews, {sum(len(t) for t in texts)} chars)")
    bench_mecab(texts)
    bench_kiwi(texts)


if __name__ == "__main__":
    main()
