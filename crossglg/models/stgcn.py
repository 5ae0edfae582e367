"""An ST-GCN-style encoder (Yan et al., AAAI 2018): fixed spatial partitions of the
skeleton graph with learnable edge importance, a 9-frame temporal convolution and
residuals. Simpler and cheaper than InfoGCN; plugs in through the same interface."""

from __future__ import annotations

import torch
from einops import rearrange
from torch import nn

from .encoder import SkeletonEncoder
from .graph import spatial_partitions
from .infogcn import DEFAULT_STRIDES, DEFAULT_WIDTHS, build_blocks, conv_bn, residual_path


class STGCNBlock(nn.Module):
    def __init__(self, cin: int, cout: int, partitions: torch.Tensor, stride: int = 1, residual: bool = True,
                 kernel: int = 9, dropout: float = 0.0):
        super().__init__()
        self.k = partitions.shape[0]
        self.register_buffer("partitions", partitions.clone())
        self.importance = nn.Parameter(torch.ones_like(partitions))
        self.value = nn.Conv2d(cin, cout * self.k, 1)
        self.bn = nn.BatchNorm2d(cout)
        self.tcn = nn.Sequential(conv_bn(cout, cout, (kernel, 1), (stride, 1), ((kernel - 1) // 2, 0)), nn.Dropout(dropout))
        self.residual = residual_path(cin, cout, stride, residual)

    def forward(self, h: torch.Tensor, joint_weight: torch.Tensor | None = None) -> torch.Tensor:
        val = rearrange(self.value(h), "b (k c) t v -> b k c t v", k=self.k)
        y = torch.relu(self.bn(torch.einsum("bkctv,kwv->bctw", val, self.partitions * self.importance)))
        if joint_weight is not None:
            y = y * joint_weight[:, None, None, :]
        y = self.tcn(y)
        if self.residual is not None:
            y = y + self.residual(h)
        return torch.relu(y)


class InputNorm(nn.Module):
    """ST-GCN's input batch norm over (channel, joint), then a 1x1 lift to the first width."""

    def __init__(self, in_channels: int, width: int, num_joints: int):
        super().__init__()
        self.bn = nn.BatchNorm1d(in_channels * num_joints)
        self.lift = nn.Conv2d(in_channels, width, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, t, v = x.shape
        x = rearrange(self.bn(rearrange(x, "b c t v -> b (v c) t")), "b (v c) t -> b c t v", v=v)
        return self.lift(x)


class STGCN(SkeletonEncoder):
    def __init__(self, in_channels: int = 3, num_joints: int = 25, widths=DEFAULT_WIDTHS, strides=DEFAULT_STRIDES):
        super().__init__()
        self.widths = list(widths)
        self.stem = InputNorm(in_channels, widths[0], num_joints)
        self.blocks = build_blocks(STGCNBlock, widths, strides, torch.from_numpy(spatial_partitions(num_joints)))
