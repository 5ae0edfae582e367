"""Building blocks shared by the graph encoders (`infogcn.py`, `stgcn.py`): conv + BN,
the residual path, the block skeleton with the JID's per-joint hook, and the encoder
skeleton (stem + 9 blocks over the NTU graph)."""

from __future__ import annotations

import torch
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


class GraphBlock(nn.Module):
    """`(B, C_in, T, V) -> (B, C_out, T', V)`: the subclass's spatial step, then the
    per-joint `joint_weight (B, V)` when given (the JID's hook), the temporal step
    `self.tcn`, the residual `self.residual` and a ReLU."""

    tcn: nn.Module
    residual: nn.Module | None

    def spatial(self, h: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, h: torch.Tensor, joint_weight: torch.Tensor | None = None) -> torch.Tensor:
        y = self.spatial(h)
        if joint_weight is not None:
            y = y * joint_weight[:, None, None, :]
        y = self.tcn(y)
        if self.residual is not None:
            y = y + self.residual(h)
        return torch.relu(y)


class GraphEncoder(SkeletonEncoder):
    """A stem and blocks of the given widths and temporal strides over the skeleton's
    spatial partitions; the first block has no residual. Subclasses name `stem_cls`
    (`(in_channels, width, num_joints)`) and `block_cls` (`(cin, cout, partitions,
    stride, residual=)`)."""

    stem_cls: type[nn.Module]
    block_cls: type[GraphBlock]

    def __init__(self, in_channels: int = 3, num_joints: int = 25, widths=DEFAULT_WIDTHS, strides=DEFAULT_STRIDES):
        super().__init__()
        if len(widths) != len(strides):
            raise ValueError("widths and strides need one entry per block")
        self.widths = list(widths)
        self.stem = self.stem_cls(in_channels, widths[0], num_joints)
        partitions = torch.from_numpy(spatial_partitions(num_joints))
        cins = [widths[0]] + list(widths[:-1])
        self.blocks = nn.ModuleList(
            [
                self.block_cls(ci, co, partitions, s, residual=i > 0)
                for i, (ci, co, s) in enumerate(zip(cins, widths, strides))
            ]
        )
