"""The encoder interface that CrossGLG plugs into.

An encoder maps skeletons `(N, C, T, V, M)` through a stem and a sequence of blocks,
each `(B, C_in, T, V) -> (B, C_out, T', V)` with `B = N * M` (persons folded into the
batch). A block applies its spatial (graph) step, then — when given — multiplies the
features per joint by `joint_weight (B, V)`, then its temporal step. That one hook is
all the JID needs, so any encoder written this way takes CrossGLG unchanged:

    class MyEncoder(SkeletonEncoder):
        def __init__(self, in_channels=3, num_joints=25):
            super().__init__()
            self.stem = ...                       # (B, C, T, V) -> (B, C0, T, V)
            self.blocks = nn.ModuleList([...])    # each: forward(h, joint_weight=None)
            self.widths = [...]                   # output channels of each block

and `model.encoder.name: mypackage.MyEncoder` in a config.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import torch
from einops import rearrange, reduce
from torch import nn


@dataclass
class EncoderOutput:
    pooled: torch.Tensor  # (N, C_last) mean over time, joints and persons
    joint_tokens: torch.Tensor  # (N, V, C_last) last block, mean over time and persons
    k_out: torch.Tensor | None  # (N, V) JID importance, when a JID was given


def joint_tokens(h: torch.Tensor, persons: int) -> torch.Tensor:
    """`(N * M, C, T, V)` -> `(N, V, C)`: mean over time and persons."""
    return reduce(h, "(n m) c t v -> n v c", "mean", m=persons)


class SkeletonEncoder(nn.Module):
    """Base class: subclasses set `stem`, `blocks` and `widths`."""

    stem: nn.Module
    blocks: nn.ModuleList
    widths: list[int]

    @property
    def out_channels(self) -> int:
        return self.widths[-1]

    def embed_input(self, x: torch.Tensor) -> torch.Tensor:
        """`(N, C, T, V, M)` -> `(N * M, C0, T, V)`: persons folded, then the stem. An
        encoder whose stem needs the persons apart (InfoGCN's batch norm over persons,
        joints and channels) overrides this."""
        return self.stem(rearrange(x, "n c t v m -> (n m) c t v"))

    def forward(
        self, x: torch.Tensor, jid: nn.Module | None = None, jid_after: int = 5, jid_mix: float = 1.0
    ) -> EncoderOutput:
        """`x (N, C, T, V, M)`. With `jid`, the JID reads the features after block
        `jid_after` (1-based) and its `k_out (N, V)` re-weights the joints of every
        later block by `V * k_out` (uniform importance = identity); `jid_mix` in [0, 1]
        blends that with the identity, `1 + jid_mix (V k_out - 1)` (the ramp of
        `GuidanceConfig.jid_ramp_epochs`; 0 leaves the blocks unweighted)."""
        n, _, _, v, m = x.shape
        h = self.embed_input(x)
        k_out, weight = None, None
        for i, block in enumerate(self.blocks, 1):
            h = block(h, joint_weight=weight)
            if jid is not None and i == jid_after:
                k_out = jid(joint_tokens(h, m))
                w = v * k_out if jid_mix == 1.0 else 1.0 + jid_mix * (v * k_out - 1.0)
                weight = torch.repeat_interleave(w, m, dim=0)
        pooled = reduce(h, "(n m) c t v -> n c", "mean", m=m)
        return EncoderOutput(pooled, joint_tokens(h, m), k_out)


ENCODERS = {
    "infogcn": "crossglg.models.infogcn.InfoGCN",
    "infogcn_lite": "crossglg.models.infogcn_lite.InfoGCNLite",
    "stgcn": "crossglg.models.stgcn.STGCN",
    "ctrgcn": "crossglg.models.ctrgcn.CTRGCN",
}


def encoder_class(name: str) -> type:
    """The class of an encoder by registry name (`infogcn`, `infogcn_lite`, `stgcn`, `ctrgcn`) or dotted class path."""
    path = ENCODERS.get(name, name)
    module, _, cls = path.rpartition(".")
    if not module:
        raise KeyError(f"unknown encoder {name!r}; known: {', '.join(ENCODERS)} or a dotted class path")
    return getattr(importlib.import_module(module), cls)


def build_encoder(name: str, **kwargs) -> SkeletonEncoder:
    """An encoder by registry name (`infogcn`, `infogcn_lite`, `stgcn`, `ctrgcn`) or dotted class path."""
    path = ENCODERS.get(name, name)
    enc = encoder_class(name)(**kwargs)
    if not isinstance(enc, SkeletonEncoder):
        raise TypeError(f"{path} is not a crossglg.models.encoder.SkeletonEncoder")
    return enc
