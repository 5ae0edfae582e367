"""Cross-modal interaction (local-to-global guidance; training only).

Text tokens: the frozen embeddings of the per-joint motion sentences of each
sample's class `(N, V, D_text)`, projected to the encoder width (plus a learned
joint position). Skeleton tokens: the last block's features averaged over time and
persons `(N, V, C)`. Each block: self-attention among the text tokens;
cross-attention with text tokens as queries and skeleton joint tokens as keys and
values; fusion; an MLP; with residuals and layer norms. The mean over tokens is the
cross-modal global feature `(N, C)`.

Two fusions (`fusion`):

- `"residual"`, the paper's wording taken literally: what the queries gather is
  added to the text tokens, so the text itself sits on the residual path up to the
  global feature. The text is the true class's text, so a classifier trained on this
  feature can read the class from the text alone (measured with
  `crossglg.eval.probe.text_leak_probe`: shuffled skeleton tokens keep the accuracy).
- `"gathered"`: the text only forms the queries. The tokens that reach the global
  feature are built from what the queries gather from the skeleton (cross-attention
  values are skeleton features), fused with the text only inside the queries of the
  next block. With zero skeleton tokens the feature carries no class.
"""

from __future__ import annotations

import torch
from torch import nn

FUSIONS = ("residual", "gathered")


class InteractionBlock(nn.Module):
    def __init__(self, dim: int, heads: int = 4, mlp_ratio: float = 2.0, dropout: float = 0.1):
        super().__init__()
        self.norm_self = nn.LayerNorm(dim)
        self.self_attn = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.norm_q, self.norm_kv = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.cross_attn = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.norm_mlp = nn.LayerNorm(dim)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, dim))

    def forward(self, text: torch.Tensor, skel: torch.Tensor, gathered: torch.Tensor | None = None):
        """`text (N, V, C)`, `skel (N, V, C)`; `gathered (N, V, C)` or None (residual fusion).

        Residual fusion returns the updated text tokens; gathered fusion returns
        `(text, gathered)`, the text stream (queries only) and the skeleton stream."""
        t = self.norm_self(text)
        text = text + self.self_attn(t, t, t, need_weights=False)[0]
        kv = self.norm_kv(skel)
        if gathered is None:
            text = text + self.cross_attn(self.norm_q(text), kv, kv, need_weights=False)[0]
            return text + self.mlp(self.norm_mlp(text))
        q = self.norm_q(text + gathered)
        gathered = gathered + self.cross_attn(q, kv, kv, need_weights=False)[0]
        return text, gathered + self.mlp(self.norm_mlp(gathered))


class CrossModalInteraction(nn.Module):
    def __init__(
        self,
        text_dim: int,
        dim: int,
        num_joints: int = 25,
        depth: int = 2,
        heads: int = 4,
        dropout: float = 0.1,
        fusion: str = "residual",
    ):
        super().__init__()
        if fusion not in FUSIONS:
            raise ValueError(f"fusion must be one of {FUSIONS}, got {fusion!r}")
        self.fusion = fusion
        self.proj = nn.Linear(text_dim, dim)
        self.pos = nn.Parameter(torch.randn(1, num_joints, dim) * 0.02)
        self.blocks = nn.ModuleList([InteractionBlock(dim, heads, dropout=dropout) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)

    def forward(self, text: torch.Tensor, skel: torch.Tensor) -> torch.Tensor:
        """`text (N, V, D_text)`, `skel (N, V, C)` -> `(N, C)`."""
        h = self.proj(text) + self.pos
        if self.fusion == "residual":
            for block in self.blocks:
                h = block(h, skel)
            return self.norm(h).mean(1)
        g = torch.zeros_like(h)
        for block in self.blocks:
            h, g = block(h, skel, g)
        return self.norm(g).mean(1)
