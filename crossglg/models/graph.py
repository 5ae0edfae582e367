"""Graph matrices of the skeleton for the graph convolutions."""

from __future__ import annotations

import numpy as np

from ..data.layout import NTU_BONES, NUM_JOINTS


def normalize(a: np.ndarray) -> np.ndarray:
    """Column-normalised `A D^-1` (zero columns stay zero)."""
    deg = a.sum(0)
    return a / np.where(deg > 0, deg, 1)[None, :]


def spatial_partitions(num_joints: int = NUM_JOINTS, bones=NTU_BONES) -> np.ndarray:
    """The three ST-GCN / InfoGCN subsets `(3, V, V)`: self, inward (child->parent)
    and outward (parent->child), each normalised."""
    eye = np.eye(num_joints, dtype=np.float32)
    inward = np.zeros((num_joints, num_joints), np.float32)
    for c, p in bones:
        inward[p, c] = 1.0  # row: receiving joint, column: sending joint
    outward = inward.T.copy()
    return np.stack([eye, normalize(inward), normalize(outward)]).astype(np.float32)
