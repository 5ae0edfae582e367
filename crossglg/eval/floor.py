"""The no-learning floor that a trained model must beat: nearest exemplar by cosine on the
raw coordinates (centred on the spine-middle joint of frame 0 as the cache stores
them, resampled to a fixed number of frames, flattened)."""

from __future__ import annotations

import numpy as np

from ..data.transforms import resize_time


def raw_features(cache, indices, frames: int = 32) -> np.ndarray:
    """`(len(indices), 3 * frames * 25 * 2)` flattened, resampled raw coordinates."""
    return np.stack([resize_time(cache[int(i)], frames).reshape(-1) for i in indices])


def nearest_exemplar(queries: np.ndarray, exemplars: np.ndarray) -> np.ndarray:
    """Index of the most cosine-similar exemplar for each query row."""
    q = queries / np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-12)
    e = exemplars / np.maximum(np.linalg.norm(exemplars, axis=1, keepdims=True), 1e-12)
    return np.argmax(q @ e.T, axis=1)


def raw_coordinate_floor(cache, split, frames: int = 32) -> float:
    """Top-1 accuracy of the floor on a protocol split."""
    pred = nearest_exemplar(raw_features(cache, split.query_idx, frames), raw_features(cache, split.exemplar_idx, frames))
    return float((pred == split.query_targets).mean())


def raw_coordinate_floor_averaged(cache, split, draws: int = 200, frames: int = 32) -> float:
    """The floor's top-1 averaged over the same random exemplar draws as
    `crossglg.eval.oneshot.exemplar_averaged_top1` (evaluation order: the protocol's
    exemplars, then the queries)."""
    import torch

    from .oneshot import exemplar_averaged_top1

    idx = np.concatenate([split.exemplar_idx, split.query_idx])
    targets = np.concatenate([np.arange(len(split.exemplar_idx)), split.query_targets])
    feats = torch.from_numpy(raw_features(cache, idx, frames))
    return float(exemplar_averaged_top1(feats, torch.from_numpy(targets), draws).mean())
