"""Sanity check of the converted fp32 weights: a full 12-layer mE5-small forward pass with e5's
"query: " prefix should rank a paraphrase above an unrelated sentence."""
import sys

import numpy as np
import torch
from tokenizers import Tokenizer

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import common  # noqa: E402
from model import from_pretrained  # noqa: E402

ckpt = torch.load(sys.argv[1], weights_only=False)
m = from_pretrained(ckpt, np.arange(ckpt["config"]["VOC"]), layers=12, drop=0.0).eval()
tok = Tokenizer.from_file(common.find_tokenizer_json())
pairs = [
    ("배송이 정말 빨라서 좋았어요", "택배가 아주 빨리 도착해서 만족합니다", "오늘 서울 날씨는 흐리고 비가 온다"),
    ("The battery dies after one hour.", "Battery life is terrible, it lasts an hour.", "I like to cook pasta on Sundays."),
    ("앱이 자꾸 튕겨요", "어플이 계속 강제 종료됩니다", "이 호텔은 바다 전망이 멋지다"),
]
ok = 0
for a, b, c in pairs:
    encs = [tok.encode("query: " + t).ids for t in (a, b, c)]
    L = max(len(e) for e in encs)
    ids = torch.tensor([e + [1] * (L - len(e)) for e in encs])
    mask = (ids != 1).long()
    with torch.no_grad():
        v = torch.nn.functional.normalize(m.encode(ids, mask), dim=-1)
    s_para, s_unrel = float(v[0] @ v[1]), float(v[0] @ v[2])
    ok += s_para > s_unrel
    print(f"{s_para:.3f} (paraphrase) vs {s_unrel:.3f} (unrelated): {a}")
print(f"{ok}/{len(pairs)} paraphrases ranked above unrelated")
sys.exit(0 if ok == len(pairs) else 1)
