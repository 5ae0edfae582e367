"""Per-class text features for training: the frozen joint-sentence embeddings and
the JID targets of the auxiliary classes, in classifier order."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..data.layout import NTU_JOINTS
from .embeddings import EmbeddingCache
from .schema import k_gt, load_descriptions


@dataclass
class TextFeatures:
    joint_emb: torch.Tensor  # (A, V, D) one sentence per joint
    k_gt: torch.Tensor  # (A, V), rows sum to 1
    encoder: str


def class_text_features(dataset: str, labels: list[int], encoder: str, descriptions: str | None = None,
                        cache_dir: str | None = None, progress: bool = False) -> TextFeatures:
    """Text features of 0-based `labels` (all from the cache; encoded once if missing)."""
    desc = load_descriptions(dataset, descriptions)
    missing = [c + 1 for c in labels if c + 1 not in desc]
    if missing:
        raise KeyError(f"the descriptions of {dataset} have no class {missing[:5]}")
    chosen = [desc[c + 1] for c in labels]
    cache = EmbeddingCache(encoder, cache_dir)
    joint_texts = [d.joints[j] for d in chosen for j in NTU_JOINTS]
    joints = cache.get(joint_texts, progress=progress).reshape(len(chosen), len(NTU_JOINTS), -1)
    kg = np.stack([k_gt(d.key_joints) for d in chosen])
    return TextFeatures(torch.from_numpy(np.ascontiguousarray(joints)), torch.from_numpy(kg), encoder)
