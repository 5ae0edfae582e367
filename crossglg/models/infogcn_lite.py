"""`infogcn_lite`: an InfoGCN-style encoder with per-sample attention (the project's
first encoder; 0.91x InfoGCN's FLOPs).

The same 9 blocks, widths 64,64,64,128(/2),128,128,256(/2),256,256 and multi-scale
temporal convolutions as InfoGCN (Chi et al., CVPR 2022; `infogcn.py` is the faithful
one), but not the same network:

- the joint self-attention is computed once per sample, from time-averaged features,
  and added (scaled by a learned `alpha`, 0 at start) to K=3 learned topologies
  initialised from the skeleton's self/inward/outward subsets; InfoGCN computes it for
  every frame and multiplies it with a shared topology;
- no k-th mode input `(I - A^k) x` and no batch norm over (persons, joints, channels):
  the stem is a per-joint linear, a joint position embedding and a batch norm over
  channels, with persons folded into the batch;
- no information-bottleneck head (the task's classifier follows the encoder).

At NTU settings it has 1,332,660 parameters (InfoGCN's encoder: 1,344,011) and 0.91x
InfoGCN's FLOPs. Against the authors' published InfoGCN code its training step took
0.74-0.78x and its inference 0.71-0.73x the time on a CPU (batch 16, T=64, M=2), but
against this project's `infogcn` (same batch, same run, `make bench`) it is slower:
1.19x the training step and 1.28x the inference time, its K=3 value projections
costing more than per-frame attention saves. All results measured before the
faithful encoder existed used this one.
"""

from __future__ import annotations

import math

import torch
from einops import rearrange
from torch import nn

from .blocks import GraphBlock, GraphEncoder, conv_bn, residual_path


class JointEmbedding(nn.Module):
    """Per-joint linear `C -> width`, learned joint position embedding, batch norm:
    `(B, C, T, V) -> (B, width, T, V)`."""

    def __init__(self, in_channels: int, width: int, num_joints: int):
        super().__init__()
        self.linear = nn.Linear(in_channels, width)
        self.pos = nn.Parameter(torch.randn(1, num_joints, width) * 0.02)
        self.bn = nn.BatchNorm2d(width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.linear(rearrange(x, "b c t v -> b t v c")) + self.pos
        return torch.relu(self.bn(rearrange(h, "b t v c -> b c t v")))


class SelfAttentionGraphConv(nn.Module):
    """Graph convolution over K learned topologies (initialised from the skeleton's
    self/inward/outward subsets) plus a per-sample joint self-attention."""

    def __init__(self, cin: int, cout: int, partitions: torch.Tensor, attn_dim: int | None = None):
        super().__init__()
        k = partitions.shape[0]
        self.k, self.cout = k, cout
        self.d = attn_dim or max(8, cin // 8)
        self.topology = nn.Parameter(partitions.clone())
        self.qk = nn.Conv2d(cin, 2 * k * self.d, 1)
        self.alpha = nn.Parameter(torch.zeros(1))
        self.value = nn.Conv2d(cin, cout * k, 1)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k = rearrange(self.qk(x.mean(2, keepdim=True)), "b (two k d) 1 v -> two b k d v", two=2, k=self.k)
        attn = torch.softmax(torch.einsum("bkdv,bkdw->bkvw", q, k) / math.sqrt(self.d), dim=-1)
        a = self.topology[None] + self.alpha * attn  # (B, K, V, V): row = receiving joint
        val = rearrange(self.value(x), "b (k c) t v -> b k c t v", k=self.k)
        return self.bn(torch.einsum("bkctv,bkwv->bctw", val, a))


class MultiScaleTemporalConv(nn.Module):
    """Parallel temporal branches (dilated convolutions, max-pool, 1x1), concatenated."""

    def __init__(self, cin: int, cout: int, stride: int = 1, kernel: int = 5, dilations=(1, 2)):
        super().__init__()
        nb = len(dilations) + 2
        bc = cout // nb
        self.branches = nn.ModuleList(
            [
                nn.Sequential(
                    conv_bn(cin, bc),
                    nn.ReLU(inplace=True),
                    conv_bn(bc, bc, (kernel, 1), (stride, 1), ((kernel - 1) * d // 2, 0), (d, 1)),
                )
                for d in dilations
            ]
            + [
                nn.Sequential(
                    conv_bn(cin, bc),
                    nn.ReLU(inplace=True),
                    nn.MaxPool2d((3, 1), (stride, 1), (1, 0)),
                    nn.BatchNorm2d(bc),
                ),
                conv_bn(cin, cout - bc * (nb - 1), stride=(stride, 1)),
            ]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([b(x) for b in self.branches], dim=1)


class InfoGCNBlock(GraphBlock):
    """Spatial step (SA-GC), optional per-joint re-weighting, temporal step, residual."""

    def __init__(self, cin: int, cout: int, partitions: torch.Tensor, stride: int = 1, residual: bool = True):
        super().__init__()
        self.gcn = SelfAttentionGraphConv(cin, cout, partitions)
        self.gcn_res = nn.Identity() if cin == cout else conv_bn(cin, cout)
        self.tcn = MultiScaleTemporalConv(cout, cout, stride)
        self.residual = residual_path(cin, cout, stride, residual)

    def spatial(self, h: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.gcn(h) + self.gcn_res(h))


class InfoGCNLite(GraphEncoder):
    stem_cls = JointEmbedding
    block_cls = InfoGCNBlock
