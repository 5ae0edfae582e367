"""`ctrgcn`: the CTR-GCN encoder as published (Chen et al., ICCV 2021, "Channel-wise
Topology Refinement Graph Convolution for Skeleton-Based Action Recognition"), in this
project's encoder interface.

- Input: a batch norm over (persons, joints, channels) of the raw coordinates
  (`data_bn`), then the persons folded into the batch; no embedding.
- 10 blocks (widths 64,64,64,64,128(/2),128,128,256(/2),256,256), each:
  - the CTR-GC graph convolution (`CTRGraphConv`): one channel-wise topology
    refinement (`ChannelTopologyRefinement`) per subset of the skeleton graph
    (self, inward, outward). Each turns the time-averaged joint features into a
    per-channel `(C_out, V, V)` topology, `alpha * refinement + A_k`, where `A_k` is
    a learnable adjacency initialised from the subset and `alpha` (shared by the
    subsets, 0 at start) scales the refinement; the sum over subsets, batch norm, the
    down-projection residual, ReLU;
  - the JID's per-joint hook;
  - the multi-scale temporal convolution (InfoGCN's `TemporalBranches`, which is
    CTR-GCN's: kernel 5 with dilations 1 and 2, a max-pool and a 1x1 branch);
  - the block residual (none in the first block, a strided 1x1 convolution + BN where
    the shape changes) and ReLU.

CrossGLG plugs in as into any encoder here: the JID re-weights joints after the CTR-GC
step of the blocks after `jid_after`, and the joint tokens come from the last block.

Parameters at NTU settings (3 channels, 25 joints, 2 persons): encoder 1,431,252; with
the 120-class linear classifier 1,462,092, the published model's counts.
"""

from __future__ import annotations

import torch
from einops import rearrange, reduce
from torch import nn

from ..data.layout import NTU_BONES, NUM_JOINTS
from .blocks import GraphBlock
from .encoder import SkeletonEncoder
from .graph import spatial_partitions
from .infogcn import TemporalBranches

CTRGCN_WIDTHS = (64, 64, 64, 64, 128, 128, 128, 256, 256, 256)


def widening_strides(widths) -> list[int]:
    """CTR-GCN's temporal strides: 2 in each block (after the first) that widens, 1
    elsewhere; `(1, 1, 1, 1, 2, 1, 1, 2, 1, 1)` for the published widths."""
    return [1] + [2 if co > ci else 1 for ci, co in zip(widths[:-1], widths[1:])]


def _init_conv(conv: nn.Conv2d) -> None:
    nn.init.kaiming_normal_(conv.weight, mode="fan_out")
    nn.init.zeros_(conv.bias)


def _init_bn(bn: nn.BatchNorm1d | nn.BatchNorm2d, scale: float = 1.0) -> None:
    nn.init.constant_(bn.weight, scale)
    nn.init.zeros_(bn.bias)


class ChannelTopologyRefinement(nn.Module):
    """CTR-GC for one subset: `x (B, C_in, T, V)`, `a (V, V)` -> `(B, C_out, T, V)`.

    Two 1x1 reductions to `rel` channels, averaged over time, give per joint pair
    `tanh(q_u - k_v)` `(B, rel, V, V)`; a 1x1 expansion to `C_out` channels, scaled by
    `alpha`, refines the shared topology `a` per channel; each channel of the value
    projection `(B, C_out, T, V)` aggregates its joints over its own topology (row `u`
    receives from column `v`)."""

    def __init__(self, cin: int, cout: int, rel: int):
        super().__init__()
        self.query = nn.Conv2d(cin, rel, 1)
        self.key = nn.Conv2d(cin, rel, 1)
        self.value = nn.Conv2d(cin, cout, 1)
        self.expand = nn.Conv2d(rel, cout, 1)

    def forward(self, x: torch.Tensor, a: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
        q = reduce(self.query(x), "b r t v -> b r v", "mean")
        k = reduce(self.key(x), "b r t v -> b r v", "mean")
        pairs = torch.tanh(rearrange(q, "b r u -> b r u 1") - rearrange(k, "b r v -> b r 1 v"))
        topology = self.expand(pairs) * alpha + a  # (B, C_out, V, V)
        return torch.einsum("bcuv,bctv->bctu", topology, self.value(x))


class CTRGraphConv(nn.Module):
    """CTR-GC graph convolution (CTR-GCN's `unit_gcn`): `(B, C_in, T, V)` -> `(B, C_out, T, V)`;
    one CTR-GC per subset of `partitions (K, V, V)`, each over its own learnable
    adjacency (a buffer when not `adaptive`) and the shared refinement scale `alpha`,
    summed; batch norm (initial scale 1e-6), the down-projection residual, ReLU.

    `rel` is the reduced width of the refinement: `cin // 8`, or 8 for the block that
    reads the raw coordinates (`raw_input`; the published rule for 3 or 9 channels)."""

    def __init__(self, cin: int, cout: int, partitions: torch.Tensor, adaptive: bool = True, raw_input: bool = False):
        super().__init__()
        rel = 8 if raw_input else max(1, cin // 8)
        self.refine = nn.ModuleList([ChannelTopologyRefinement(cin, cout, rel) for _ in range(partitions.shape[0])])
        if adaptive:
            self.adjacency = nn.Parameter(partitions.clone())
        else:
            self.register_buffer("adjacency", partitions.clone())
        self.alpha = nn.Parameter(torch.zeros(1))
        self.bn = nn.BatchNorm2d(cout)
        self.down = nn.Sequential(nn.Conv2d(cin, cout, 1), nn.BatchNorm2d(cout)) if cin != cout else nn.Identity()
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                _init_conv(m)
            elif isinstance(m, nn.BatchNorm2d):
                _init_bn(m)
        _init_bn(self.bn, 1e-6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = sum(ctr(x, a, self.alpha) for ctr, a in zip(self.refine, self.adjacency))
        return torch.relu(self.bn(y) + self.down(x))


class CTRGCNBlock(GraphBlock):
    """CTR-GCN's `TCN_GCN_unit`: CTR-GC, the JID's per-joint hook, the multi-scale
    temporal convolution, the residual (none when not `residual`; a strided 1x1
    convolution + BN when the shape changes), ReLU."""

    def __init__(
        self,
        cin: int,
        cout: int,
        partitions: torch.Tensor,
        stride: int = 1,
        residual: bool = True,
        adaptive: bool = True,
        raw_input: bool = False,
    ):
        super().__init__()
        self.gcn = CTRGraphConv(cin, cout, partitions, adaptive, raw_input)
        self.tcn = TemporalBranches(cout, cout, stride)
        for m in self.tcn.modules():  # CTR-GCN's temporal init: BN scales drawn around 1
            if isinstance(m, nn.BatchNorm2d):
                nn.init.normal_(m.weight, 1.0, 0.02)
        if not residual:
            self.residual = None
        elif cin == cout and stride == 1:
            self.residual = nn.Identity()
        else:
            self.residual = nn.Sequential(nn.Conv2d(cin, cout, 1, (stride, 1)), nn.BatchNorm2d(cout))
            _init_conv(self.residual[0])
            _init_bn(self.residual[1])

    def spatial(self, h: torch.Tensor) -> torch.Tensor:
        return self.gcn(h)


class CTRGCN(SkeletonEncoder):
    """CTR-GCN's encoder. `num_persons` sizes `data_bn` (2 for NTU, 1 for single-person
    data); `widths` the blocks' output channels (multiples of 4), `strides` their
    temporal strides (default: 2 where a block widens, see `widening_strides`);
    `adaptive` makes the subsets' adjacencies learnable (the published default)."""

    def __init__(
        self,
        in_channels: int = 3,
        num_joints: int = NUM_JOINTS,
        widths=CTRGCN_WIDTHS,
        strides=None,
        num_persons: int = 2,
        adaptive: bool = True,
        bones=NTU_BONES,
    ):
        super().__init__()
        strides = widening_strides(widths) if strides is None else list(strides)
        if len(widths) != len(strides):
            raise ValueError("widths and strides need one entry per block")
        self.widths, self.num_persons = list(widths), num_persons
        self.data_bn = nn.BatchNorm1d(num_persons * num_joints * in_channels)
        _init_bn(self.data_bn)
        self.stem = nn.Identity()  # the stem is `embed_input` (it needs the persons apart)
        partitions = torch.from_numpy(spatial_partitions(num_joints, bones))
        cins = [in_channels] + list(widths[:-1])
        self.blocks = nn.ModuleList(
            [
                CTRGCNBlock(ci, co, partitions, s, residual=i > 0, adaptive=adaptive, raw_input=i == 0)
                for i, (ci, co, s) in enumerate(zip(cins, widths, strides))
            ]
        )

    def embed_input(self, x: torch.Tensor) -> torch.Tensor:
        """`(N, C, T, V, M)` -> `(N * M, C, T, V)`: batch norm over (persons, joints,
        channels), persons folded."""
        n, c, t, v, m = x.shape
        if m != self.num_persons:
            raise ValueError(f"CTR-GCN was built for {self.num_persons} person(s) (data_bn), the input has {m}")
        h = self.data_bn(rearrange(x, "n c t v m -> n (m v c) t"))
        return rearrange(h, "n (m v c) t -> (n m) c t v", m=m, v=v)
