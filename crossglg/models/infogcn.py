"""`infogcn`: the InfoGCN encoder as published (Chi et al., CVPR 2022), in this
project's encoder interface; the paper's base encoder.

- Input: the k-th mode representation `(I - A^k) x` of each frame's joints (`A` the
  outward adjacency of the skeleton, k >= 1), a per-joint linear 3->64, a learned joint position embedding,
  and a batch norm over (persons, joints, channels) (`data_bn`).
- 9 encoding blocks (widths 64,64,64,128(/2),128,128,256(/2),256,256): a
  self-attention graph convolution (SA-GC: for **every frame**, a joint self-attention
  over `heads` heads from layer-normed features, multiplied by a learned shared
  topology initialised to the identity; one 1x1 convolution per head; batch norm, a
  down-projection residual, ReLU), a multi-scale temporal convolution (kernel 5,
  dilations 1 and 2, a max-pool and a 1x1 branch) and the block residual.
- The information-bottleneck head (`InfoBottleneckHead`: fc, then mu and logvar, a
  latent sample with a noise ratio, a linear decoder) and its losses (`ib_losses`:
  MMD of class means to orthogonal class priors, the norm of the latent mean) are
  options of the task (`model.classifier.kind: ib`).

CrossGLG plugs in as into any encoder here: the JID re-weights joints after the SA-GC
step of the blocks after `jid_after`, and the joint tokens come from the last block.

Parameters at NTU settings (3 heads, k=1, 2 persons): encoder 1,344,011; with the IB
head over 100 classes 1,567,087, the published model's counts.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from ..data.layout import NTU_BONES, NUM_JOINTS
from .blocks import DEFAULT_STRIDES, DEFAULT_WIDTHS, GraphBlock
from .encoder import SkeletonEncoder


def kth_mode(num_joints: int = NUM_JOINTS, bones=NTU_BONES, k: int = 1) -> torch.Tensor:
    """`I - A^k` `(V, V)` with `A` the binary outward adjacency (row: parent, column:
    child): applied to a frame's joints it gives each joint minus its k-th descendant
    sum, InfoGCN's input representation."""
    a = np.zeros((num_joints, num_joints), np.float64)
    for child, parent in bones:
        a[parent, child] = 1.0
    return torch.from_numpy((np.eye(num_joints) - np.linalg.matrix_power(a, k)).astype(np.float32))


def _conv_init(conv: nn.Conv2d) -> None:
    nn.init.kaiming_normal_(conv.weight, mode="fan_out")
    if conv.bias is not None:
        nn.init.zeros_(conv.bias)


def _bn_init(bn: nn.BatchNorm2d | nn.BatchNorm1d, scale: float = 1.0) -> None:
    nn.init.constant_(bn.weight, scale)
    nn.init.zeros_(bn.bias)


class FrameSelfAttention(nn.Module):
    """Per-frame joint self-attention: `(B, C, T, V)` -> `(B * T, heads, V, V)`."""

    def __init__(self, cin: int, hidden: int, heads: int):
        super().__init__()
        self.heads, self.scale = heads, hidden**-0.5
        self.ln = nn.LayerNorm(cin)
        self.to_qk = nn.Linear(cin, 2 * hidden * heads)
        nn.init.normal_(self.to_qk.weight, 0, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        qk = self.to_qk(self.ln(rearrange(x, "b c t v -> b t v c")))
        q, k = (rearrange(z, "b t v (h d) -> (b t) h v d", h=self.heads) for z in qk.chunk(2, dim=-1))
        return torch.softmax(torch.einsum("nhid,nhjd->nhij", q, k) * self.scale, dim=-1)


class SAGraphConv(nn.Module):
    """SA-GC: `(B, C_in, T, V)` -> `(B, C_out, T, V)`; per frame and head, the
    attention times the shared topology aggregates the joints, one 1x1 convolution per
    head, summed; batch norm, the down-projection residual, ReLU."""

    def __init__(self, cin: int, cout: int, num_joints: int, heads: int = 3):
        super().__init__()
        self.heads = heads
        self.shared_topology = nn.Parameter(torch.eye(num_joints).repeat(heads, 1, 1))
        self.conv_d = nn.ModuleList([nn.Conv2d(cin, cout, 1) for _ in range(heads)])
        self.down = nn.Sequential(nn.Conv2d(cin, cout, 1), nn.BatchNorm2d(cout)) if cin != cout else nn.Identity()
        self.bn = nn.BatchNorm2d(cout)
        self.attn = FrameSelfAttention(cin, cin // 8, heads)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                _conv_init(m)
            elif isinstance(m, nn.BatchNorm2d):
                _bn_init(m)
        _bn_init(self.bn, 1e-6)
        for conv in self.conv_d:  # InfoGCN's branch init: fan scaled by the heads
            n, k1, k2 = conv.weight.shape[0], conv.weight.shape[1], conv.weight.shape[2]
            nn.init.normal_(conv.weight, 0, math.sqrt(2.0 / (n * k1 * k2 * heads)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = x.shape[2]
        a = self.attn(x) * self.shared_topology[None]  # (B*T, H, V, V)
        feat = rearrange(x, "b c t v -> (b t) v c")
        out = 0
        for h, conv in enumerate(self.conv_d):
            z = rearrange(a[:, h] @ feat, "(b t) v c -> b c t v", t=t)
            out = out + conv(z)
        return torch.relu(self.bn(out) + self.down(x))


class TemporalBranches(nn.Module):
    """InfoGCN's multi-scale temporal convolution (residual-free): dilated kernel-5
    branches, a max-pool branch and a 1x1 branch, concatenated."""

    def __init__(self, cin: int, cout: int, stride: int = 1, kernel: int = 5, dilations=(1, 2)):
        super().__init__()
        nb = len(dilations) + 2
        if cout % nb:
            raise ValueError(f"InfoGCN's temporal convolution needs widths divisible by {nb} (got {cout})")
        bc = cout // nb

        def pw() -> list[nn.Module]:
            return [nn.Conv2d(cin, bc, 1), nn.BatchNorm2d(bc), nn.ReLU(inplace=True)]

        self.branches = nn.ModuleList(
            [
                nn.Sequential(
                    *pw(),
                    nn.Conv2d(bc, bc, (kernel, 1), (stride, 1), ((kernel - 1) * d // 2, 0), (d, 1)),
                    nn.BatchNorm2d(bc),
                )
                for d in dilations
            ]
            + [
                nn.Sequential(*pw(), nn.MaxPool2d((3, 1), (stride, 1), (1, 0)), nn.BatchNorm2d(bc)),
                nn.Sequential(nn.Conv2d(cin, bc, 1, (stride, 1)), nn.BatchNorm2d(bc)),
            ]
        )
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                _conv_init(m)
            elif isinstance(m, nn.BatchNorm2d):
                _bn_init(m)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([b(x) for b in self.branches], dim=1)


class EncodingBlock(GraphBlock):
    """SA-GC, the JID's per-joint hook, the temporal convolution, the residual (a
    strided 1x1 convolution + BN when the shape changes), ReLU."""

    def __init__(self, cin: int, cout: int, num_joints: int, heads: int = 3, stride: int = 1):
        super().__init__()
        self.gcn = SAGraphConv(cin, cout, num_joints, heads)
        self.tcn = TemporalBranches(cout, cout, stride)
        if cin == cout and stride == 1:
            self.residual = nn.Identity()
        else:
            self.residual = nn.Sequential(nn.Conv2d(cin, cout, 1, (stride, 1)), nn.BatchNorm2d(cout))
            _conv_init(self.residual[0])
            _bn_init(self.residual[1])

    def spatial(self, h: torch.Tensor) -> torch.Tensor:
        return self.gcn(h)


class InfoGCN(SkeletonEncoder):
    """InfoGCN's encoder. `num_persons` sizes `data_bn` (2 for NTU, 1 for single-person
    data), `k` the k-th mode input, `heads` the SA-GC heads."""

    def __init__(
        self,
        in_channels: int = 3,
        num_joints: int = NUM_JOINTS,
        widths=DEFAULT_WIDTHS,
        strides=DEFAULT_STRIDES,
        heads: int = 3,
        k: int = 1,
        num_persons: int = 2,
        bones=NTU_BONES,
    ):
        super().__init__()
        if len(widths) != len(strides):
            raise ValueError("widths and strides need one entry per block")
        self.widths, self.num_persons = list(widths), num_persons
        w0 = widths[0]
        if k < 1:
            raise ValueError(f"k={k}: the k-th mode input needs k >= 1 (I - A^0 is zero)")
        self.register_buffer("mode", kth_mode(num_joints, bones, k), persistent=False)
        self.to_joint_embedding = nn.Linear(in_channels, w0)
        self.pos_embedding = nn.Parameter(torch.randn(1, num_joints, w0))
        self.data_bn = nn.BatchNorm1d(num_persons * w0 * num_joints)
        _bn_init(self.data_bn)
        self.stem = nn.Identity()  # the stem is `embed_input` (it needs the persons apart)
        cins = [w0] + list(widths[:-1])
        self.blocks = nn.ModuleList(
            [EncodingBlock(ci, co, num_joints, heads, s) for ci, co, s in zip(cins, widths, strides)]
        )

    def embed_input(self, x: torch.Tensor) -> torch.Tensor:
        """`(N, C, T, V, M)` -> `(N * M, 64, T, V)`: k-th mode, joint embedding,
        position embedding, batch norm over (persons, joints, channels)."""
        n, _, t, v, m = x.shape
        if m != self.num_persons:
            raise ValueError(f"InfoGCN was built for {self.num_persons} person(s) (data_bn), the input has {m}")
        h = self.mode @ rearrange(x, "n c t v m -> (n m t) v c")
        h = self.to_joint_embedding(h) + self.pos_embedding
        h = self.data_bn(rearrange(h, "(n m t) v c -> n (m v c) t", m=m, t=t))
        return rearrange(h, "n (m v c) t -> (n m) c t v", m=m, v=v)


class InfoBottleneckHead(nn.Module):
    """InfoGCN's classifier: fc + ReLU + dropout, then `mu` and `logvar`, a latent
    sample `z = mu + eps * exp(noise_ratio * logvar)` in training (`mu` in
    evaluation), a linear decoder. `forward` returns logits; `latent` returns
    `(z, mu, logvar)`. Orthogonal class priors `z_prior (classes, dim)` (a buffer)."""

    def __init__(
        self, dim: int, num_classes: int, noise_ratio: float = 0.1, dropout: float = 0.0, prior_gain: float = 3.0
    ):
        super().__init__()
        self.noise_ratio = noise_ratio
        self.fc = nn.Linear(dim, dim)
        self.fc_mu = nn.Linear(dim, dim)
        self.fc_logvar = nn.Linear(dim, dim)
        self.decoder = nn.Linear(dim, num_classes)
        self.drop = nn.Dropout(dropout)
        nn.init.orthogonal_(self.fc_mu.weight)
        nn.init.xavier_uniform_(self.fc_logvar.weight, gain=nn.init.calculate_gain("relu"))
        nn.init.normal_(self.decoder.weight, 0, math.sqrt(2.0 / num_classes))
        prior = torch.empty(num_classes, dim)
        nn.init.orthogonal_(prior, gain=prior_gain)
        self.register_buffer("z_prior", prior)

    def latent(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        h = self.drop(F.relu(self.fc(x)))
        mu, logvar = self.fc_mu(h), self.fc_logvar(h)
        if self.training:
            std = torch.clamp(logvar.mul(self.noise_ratio).exp(), max=100)
            z = mu + torch.randn_like(std) * std
        else:
            z = mu
        return z, mu, logvar

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.latent(x)[0])


def ib_losses(z: torch.Tensor, y: torch.Tensor, z_prior: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """InfoGCN's regularisers: the MSE between each present class's mean latent and its
    prior (the MMD term, weight lambda2 = 0.1) and the L2 norm of the batch's mean
    latent (weight lambda1 = 1e-4). `z (N, D)`, `y (N,)`, `z_prior (A, D)`."""
    classes = torch.unique(y)
    onehot = (y[None, :] == classes[:, None]).float()  # (K, N)
    means = onehot @ z / onehot.sum(1, keepdim=True)
    return F.mse_loss(means, z_prior[classes]), z.mean(0).norm(p=2)
