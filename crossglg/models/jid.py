"""The Joint Importance Discriminator (global-to-local guidance).

Reads per-joint features `(N, V, C)` (block features averaged over time and
persons), scores each joint with two linear layers and a non-linearity, and returns
`k_out (N, V)`, a softmax over joints. Trained towards the class-level `k_gt` from the
text's key joints with `L_cal = MSE(k_out, k_gt)`; the encoder re-weights the joints
of its later blocks by `V * k_out`. It is the only CrossGLG part used at inference.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class JointImportance(nn.Module):
    def __init__(self, channels: int, hidden: int = 256):
        super().__init__()
        self.score = nn.Sequential(nn.Linear(channels, hidden), nn.GELU(), nn.Linear(hidden, 1))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """`tokens (N, V, C)` -> `k_out (N, V)`, rows summing to 1."""
        return torch.softmax(self.score(tokens).squeeze(-1), dim=-1)


def calibration_loss(k_out: torch.Tensor, k_gt: torch.Tensor, per_joint_scale: bool = True) -> torch.Tensor:
    """`L_cal`: mean squared error between predicted and text-derived importance.

    With `per_joint_scale` (the project's default) both are scaled by V first, the
    same `V * k` scale the re-weighting uses (uniform = 1): the raw MSE of two
    probability vectors over 25 joints is about 1e-2 at most, too weak a signal next
    to the cross-entropy (measured: k_out stays uniform). `False` is the paper's
    literal `MSE(k_out, k_gt)`."""
    if per_joint_scale:
        v = k_out.shape[-1]
        return F.mse_loss(v * k_out, v * k_gt)
    return F.mse_loss(k_out, k_gt)
