"""An ST-GCN-style encoder (Yan et al., AAAI 2018): fixed spatial partitions of the
skeleton graph with learnable edge importance, a 9-frame temporal convolution and
residuals. Simpler and cheaper than InfoGCN; plugs in through the same interface."""

from __future__ import annotations

import torch
from einops import rearrange
from torch import nn

from .blocks import GraphBlock, GraphEncoder, conv_bn, residual_path


class STGCNBlock(GraphBlock):
    def __init__(
        self,
        cin: int,
        cout: int,
        partitions: torch.Tensor,
        stride: int = 1,
        residual: bool = True,
        kernel: int = 9,
        dropout: float = 0.0,
    ):
        super().__init__()
        self.k = partitions.shape[0]
        self.register_buffer("partitions", partitions.clone())
        self.importance = nn.Parameter(torch.ones_like(partitions))
        self.value = nn.Conv2d(cin, cout * self.k, 1)
        self.bn = nn.BatchNorm2d(cout)
        self.tcn = nn.Sequential(
            conv_bn(cout, cout, (kernel, 1), (stride, 1), ((kernel - 1) // 2, 0)), nn.Dropout(dropout)
        )
        self.residual = residual_path(cin, cout, stride, residual)

    def spatial(self, h: torch.Tensor) -> torch.Tensor:
        val = rearrange(self.value(h), "b (k c) t v -> b k c t v", k=self.k)
        return torch.relu(self.bn(torch.einsum("bkctv,kwv->bctw", val, self.partitions * self.importance)))


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


class STGCN(GraphEncoder):
    stem_cls = InputNorm
    block_cls = STGCNBlock
