"""The no-learning floor that a trained model must beat: nearest exemplar by cosine on the
raw coordinates (centred on the spine-middle joint of frame 0 as the cache stores
them, resampled to a fixed number of frames, flattened)."""

from __future__ import annotations

import numpy as np
import torch

from ..data.transforms import resize_time
from .oneshot import exemplar_averaged_top1, nearest_exemplar


def raw_features(cache, indices, frames: int = 32) -> np.ndarray:
    """`(len(indices), 3 * frames * 25 * 2)` flattened, resampled raw coordinates."""
    return np.stack([resize_time(cache[int(i)], frames).reshape(-1) for i in indices])


def raw_coordinate_floor(cache, split, frames: int = 32) -> float:
    """Top-1 accuracy of the floor on a protocol split."""
    queries, exemplars = (
        torch.from_numpy(raw_features(cache, ix, frames)) for ix in (split.query_idx, split.exemplar_idx)
    )
    pred = nearest_exemplar(queries, exemplars).numpy()
    return float((pred == split.query_targets).mean())


def raw_coordinate_floor_averaged(cache, split, draws: int = 200, frames: int = 32) -> float:
    """The floor's top-1 averaged over the same random exemplar draws as
    `crossglg.eval.oneshot.exemplar_averaged_top1` (evaluation order: the protocol's
    exemplars, then the queries)."""
    idx = np.concatenate([split.exemplar_idx, split.query_idx])
    targets = np.concatenate([np.arange(len(split.exemplar_idx)), split.query_targets])
    feats = torch.from_numpy(raw_features(cache, idx, frames))
    return float(exemplar_averaged_top1(feats, torch.from_numpy(targets), draws).mean())
