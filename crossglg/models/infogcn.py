"""An InfoGCN-style encoder (Chi et al., CVPR 2022): self-attention graph
convolutions over the skeleton's own adjacency, multi-scale temporal convolutions and
residuals; 9 blocks of widths 64,64,64,128(/2),128,128,256(/2),256,256 by default
(about 1.6 M parameters at NTU settings)."""

from __future__ import annotations

import math

import torch
from einops import rearrange
from torch import nn

from .encoder import SkeletonEncoder
from .graph import spatial_partitions

DEFAULT_WIDTHS = (64, 64, 64, 128, 128, 128, 256, 256, 256)
DEFAULT_STRIDES = (1, 1, 1, 2, 1, 1, 2, 1, 1)


def conv_bn(cin: int, cout: int, kernel=(1, 1), stride=(1, 1), padding=(0, 0), dilation=(1, 1)) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, stride, padding, dilation, bias=False), nn.BatchNorm2d(cout))


def residual_path(cin: int, cout: int, stride: int, enabled: bool = True) -> nn.Module | None:
    """A block's skip connection: none, identity, or a strided 1x1 projection."""
    if not enabled:
        return None
    if cin == cout and stride == 1:
        return nn.Identity()
    return conv_bn(cin, cout, stride=(stride, 1))


def build_blocks(block, widths, strides, partitions) -> nn.ModuleList:
    """Blocks of the given widths and temporal strides; the first has no residual."""
    if len(widths) != len(strides):
        raise ValueError("widths and strides need one entry per block")
    cins = [widths[0]] + list(widths[:-1])
    return nn.ModuleList([block(ci, co, partitions, s, residual=i > 0)
                          for i, (ci, co, s) in enumerate(zip(cins, widths, strides))])


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
            [nn.Sequential(conv_bn(cin, bc), nn.ReLU(inplace=True),
                           conv_bn(bc, bc, (kernel, 1), (stride, 1), ((kernel - 1) * d // 2, 0), (d, 1)))
             for d in dilations]
            + [nn.Sequential(conv_bn(cin, bc), nn.ReLU(inplace=True),
                             nn.MaxPool2d((3, 1), (stride, 1), (1, 0)), nn.BatchNorm2d(bc)),
               conv_bn(cin, cout - bc * (nb - 1), stride=(stride, 1))])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([b(x) for b in self.branches], dim=1)


class InfoGCNBlock(nn.Module):
    """Spatial step (SA-GC), optional per-joint re-weighting, temporal step, residual."""

    def __init__(self, cin: int, cout: int, partitions: torch.Tensor, stride: int = 1, residual: bool = True):
        super().__init__()
        self.gcn = SelfAttentionGraphConv(cin, cout, partitions)
        self.gcn_res = nn.Identity() if cin == cout else conv_bn(cin, cout)
        self.tcn = MultiScaleTemporalConv(cout, cout, stride)
        self.residual = residual_path(cin, cout, stride, residual)

    def forward(self, h: torch.Tensor, joint_weight: torch.Tensor | None = None) -> torch.Tensor:
        y = torch.relu(self.gcn(h) + self.gcn_res(h))
        if joint_weight is not None:
            y = y * joint_weight[:, None, None, :]
        y = self.tcn(y)
        if self.residual is not None:
            y = y + self.residual(h)
        return torch.relu(y)


class InfoGCN(SkeletonEncoder):
    def __init__(self, in_channels: int = 3, num_joints: int = 25, widths=DEFAULT_WIDTHS, strides=DEFAULT_STRIDES):
        super().__init__()
        self.widths = list(widths)
        self.stem = JointEmbedding(in_channels, widths[0], num_joints)
        self.blocks = build_blocks(InfoGCNBlock, widths, strides, torch.from_numpy(spatial_partitions(num_joints)))
