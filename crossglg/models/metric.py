"""A metric objective for the one-shot embedding: supervised contrastive loss (Khosla
et al., NeurIPS 2020). One-shot recognition is a nearest-neighbour search by cosine, so
the embedding itself is trained to put recordings of one class together and others
apart, beside the classifier's cross-entropy."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def supervised_contrastive(embedding: torch.Tensor, labels: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
    """`embedding (N, C)`, `labels (N,)` -> the mean over anchors that have a positive
    (another sample of their class in the batch) of
    `-mean_p log(exp(s_ap / t) / sum_{k != a} exp(s_ak / t))`, `s` the cosine similarity.
    0 (with a gradient of 0) when no anchor has a positive."""
    z = F.normalize(embedding.float(), dim=1)
    logits = z @ z.T / temperature
    n = len(labels)
    self_mask = torch.eye(n, dtype=torch.bool, device=z.device)
    logits = logits.masked_fill(self_mask, float("-inf"))
    log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    positive = (labels[:, None] == labels[None, :]) & ~self_mask
    count = positive.sum(1)
    anchors = count > 0
    if not anchors.any():
        return embedding.sum() * 0.0
    mean_log_prob = log_prob.masked_fill(~positive, 0.0).sum(1)[anchors] / count[anchors]
    return -mean_log_prob.mean()
