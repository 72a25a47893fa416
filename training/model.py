"""A minimal BERT encoder + sentiment/emotion heads whose parameter names match
candle_transformers::models::bert::BertModel (0.9) exactly, so export is a rename-free dump."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Layer(nn.Module):
    def __init__(self, H, NH, FF, eps, drop):
        super().__init__()
        self.NH = NH
        self.q = nn.Linear(H, H)
        self.k = nn.Linear(H, H)
        self.v = nn.Linear(H, H)
        self.ao = nn.Linear(H, H)
        self.aln = nn.LayerNorm(H, eps=eps)
        self.fi = nn.Linear(H, FF)
        self.fo = nn.Linear(FF, H)
        self.oln = nn.LayerNorm(H, eps=eps)
        self.drop = drop

    def forward(self, x, mask_add):
        B, L, H = x.shape
        hd = H // self.NH

        def split(t):
            return t.view(B, L, self.NH, hd).transpose(1, 2)

        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        att = F.scaled_dot_product_attention(q, k, v, attn_mask=mask_add,
                                             dropout_p=self.drop if self.training else 0.0)
        att = att.transpose(1, 2).reshape(B, L, H)
        x = self.aln(x + F.dropout(self.ao(att), self.drop, self.training))
        h = F.gelu(self.fi(x))
        x = self.oln(x + F.dropout(self.fo(h), self.drop, self.training))
        return x


# (our attribute path, candle name) pairs for one layer
LAYER_NAMES = [
    ("q", "attention.self.query"), ("k", "attention.self.key"), ("v", "attention.self.value"),
    ("ao", "attention.output.dense"), ("aln", "attention.output.LayerNorm"),
    ("fi", "intermediate.dense"), ("fo", "output.dense"), ("oln", "output.LayerNorm"),
]


class SentimentModel(nn.Module):
    def __init__(self, vocab, H=384, layers=4, NH=12, FF=1536, maxpos=512, eps=1e-12, n_emo=8, drop=0.1):
        super().__init__()
        self.word = nn.Embedding(vocab, H)
        self.pos = nn.Embedding(maxpos, H)
        self.tok_type = nn.Embedding(2, H)
        self.eln = nn.LayerNorm(H, eps=eps)
        self.layers = nn.ModuleList([Layer(H, NH, FF, eps, drop) for _ in range(layers)])
        self.sentiment_head = nn.Linear(H, 3)
        self.emotion_head = nn.Linear(H, n_emo)
        self.drop = drop

    def encode(self, ids, mask):
        B, L = ids.shape
        pos = torch.arange(L, device=ids.device).unsqueeze(0)
        x = self.word(ids) + self.pos(pos) + self.tok_type.weight[0]
        x = F.dropout(self.eln(x), self.drop, self.training)
        mask_add = torch.zeros(B, 1, 1, L, dtype=x.dtype, device=x.device)
        mask_add = mask_add.masked_fill(~mask.bool().view(B, 1, 1, L), torch.finfo(x.dtype).min)
        for layer in self.layers:
            x = layer(x, mask_add.to(x.dtype))
        m = mask.unsqueeze(-1).to(x.dtype)
        return (x * m).sum(1) / m.sum(1).clamp(min=1.0)

    def forward(self, ids, mask):
        pooled = self.encode(ids, mask)
        p = F.dropout(pooled, self.drop, self.training)
        return self.sentiment_head(p), self.emotion_head(p), pooled

    # ---- name mapping to/from the candle/HF BERT layout ----
    def candle_state_dict(self):
        sd = {
            "embeddings.word_embeddings.weight": self.word.weight,
            "embeddings.position_embeddings.weight": self.pos.weight,
            "embeddings.token_type_embeddings.weight": self.tok_type.weight,
            "embeddings.LayerNorm.weight": self.eln.weight,
            "embeddings.LayerNorm.bias": self.eln.bias,
        }
        for i, layer in enumerate(self.layers):
            for attr, name in LAYER_NAMES:
                mod = getattr(layer, attr)
                sd[f"encoder.layer.{i}.{name}.weight"] = mod.weight
                sd[f"encoder.layer.{i}.{name}.bias"] = mod.bias
        sd["sentiment_head.weight"] = self.sentiment_head.weight
        sd["sentiment_head.bias"] = self.sentiment_head.bias
        sd["emotion_head.weight"] = self.emotion_head.weight
        sd["emotion_head.bias"] = self.emotion_head.bias
        return {k: v.detach() for k, v in sd.items()}

    def load_candle_state_dict(self, sd, strict_heads=True):
        own = self.candle_state_dict()
        with torch.no_grad():
            for k, v in own.items():
                if k not in sd:
                    if k.startswith(("sentiment_head", "emotion_head")) and not strict_heads:
                        continue
                    raise KeyError(k)
                v.copy_(sd[k].to(v.dtype))


def from_pretrained(ckpt, new2old, layers, n_emo=8, drop=0.1):
    """Build a K-layer model from the converted full mE5-small state dict, pruning the
    embedding matrix to the kept vocabulary rows (new id i = old id new2old[i])."""
    sd = dict(ckpt["state_dict"])
    c = ckpt["config"]
    m = SentimentModel(len(new2old), H=c["H"], layers=layers, NH=c["NH"], FF=c["FF"], maxpos=c["MAXP"],
                       eps=c["eps"], n_emo=n_emo, drop=drop)
    sd["embeddings.word_embeddings.weight"] = sd["embeddings.word_embeddings.weight"][torch.as_tensor(new2old)]
    sd = {k: v for k, v in sd.items()
          if not k.startswith("encoder.layer.") or int(k.split(".")[2]) < layers}
    m.load_candle_state_dict(sd, strict_heads=False)
    nn.init.normal_(m.sentiment_head.weight, std=0.02)
    nn.init.zeros_(m.sentiment_head.bias)
    nn.init.normal_(m.emotion_head.weight, std=0.02)
    nn.init.constant_(m.emotion_head.bias, -1.0)
    return m
