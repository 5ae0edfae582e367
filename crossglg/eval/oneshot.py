"""One-shot classification of embedded samples: nearest exemplar by cosine (the
primary metric), distribution calibration (Yang et al., ICLR 2021), and N-way K-shot
episodes with a 95 % interval. Inputs are features from the text-free branch."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torchmetrics.functional.classification import multiclass_accuracy, multiclass_confusion_matrix

from ..errors import ProtocolError


def cosine(queries: torch.Tensor, exemplars: torch.Tensor) -> torch.Tensor:
    """`queries (Q, C)`, `exemplars (K, C)` -> cosine similarities `(Q, K)`."""
    return F.normalize(queries, dim=1) @ F.normalize(exemplars, dim=1).T


def nearest_exemplar(queries: torch.Tensor, exemplars: torch.Tensor) -> torch.Tensor:
    """`queries (Q, C)`, `exemplars (K, C)` -> index of the most cosine-similar exemplar `(Q,)`."""
    return cosine(queries, exemplars).argmax(1)


def exemplars_by_class(targets: torch.Tensor, exemplar: torch.Tensor) -> torch.Tensor:
    """Row numbers of the exemplars, ordered so that class `c`'s exemplar is at position `c`."""
    ex_idx = torch.nonzero(exemplar).flatten()
    return ex_idx[torch.argsort(targets[ex_idx])]


@dataclass
class OneShotResult:
    top1: float
    num_queries: int
    num_classes: int
    per_class: list[float] = field(default_factory=list)
    confusion: np.ndarray | None = None
    calibrated_top1: float | None = None
    episode_mean: float | None = None
    episode_ci95: float | None = None
    episode_setting: str = ""
    exemplar_avg_top1: float | None = None  # mean over random exemplar draws
    exemplar_avg_std: float | None = None  # standard deviation over the draws
    key_mass: float | None = None  # JID importance on the text's key joints
    key_mass_uniform: float | None = None  # the same for uniform importance
    floor: float | None = None  # raw-coordinate floor, protocol exemplars
    floor_exemplar_avg: float | None = None  # the floor averaged over the same draws
    leak_probe: dict | None = None  # text_leak_probe's accuracies
    epoch: int | None = None  # the epoch (0-based) whose weights were evaluated; None: not from a fit or checkpoint
    class_names: list[str] = field(default_factory=list)  # the evaluated (novel) classes, in label order
    importance: np.ndarray | None = None  # (K, V) mean JID importance per evaluated class; None without a JID
    final: bool = False  # a full evaluation of the weights a run ends with (plots and the record are written)
    step: int | None = None  # the optimiser steps the evaluated weights had taken

    def line(self) -> str:
        return oneshot_line(self.top1, self.num_queries, self.num_classes)


def oneshot_line(top1: float, queries: int, classes: int) -> str:
    """The one-shot result line, of an evaluation or of a run record."""
    return f"one-shot top-1: {top1:.3f} ({queries} queries, {classes} novel classes)"


def evaluate_oneshot(features: torch.Tensor, targets: torch.Tensor, exemplar: torch.Tensor) -> OneShotResult:
    """Features of exemplars and queries (`exemplar` marks the former; each exemplar's
    target is its class position) -> nearest-exemplar accuracy, per class and confusion."""
    order = exemplars_by_class(targets, exemplar)
    k = len(order)
    q = ~exemplar
    if not bool(q.any()):
        raise ProtocolError(
            f"no queries to evaluate: all {len(targets)} recordings of the {k} evaluated classes are their "
            "exemplars (the data has one recording per class; a one-shot evaluation needs more)"
        )
    pred = nearest_exemplar(features[q], features[order])
    tq = targets[q]
    top1 = float(multiclass_accuracy(pred, tq, num_classes=k, average="micro"))
    per = multiclass_accuracy(pred, tq, num_classes=k, average="none")
    cm = multiclass_confusion_matrix(pred, tq, num_classes=k).cpu().numpy()
    return OneShotResult(top1, int(q.sum()), k, [float(v) for v in per], cm)


def tukey(x: np.ndarray, beta: float = 0.5) -> np.ndarray:
    return np.power(np.maximum(x, 0), beta) if beta != 0 else np.log(np.maximum(x, 1e-12))


def distribution_calibration(
    support: np.ndarray,
    support_labels: np.ndarray,
    queries: np.ndarray,
    base_features: np.ndarray,
    base_labels: np.ndarray,
    beta: float = 0.5,
    k: int = 2,
    alpha: float = 0.21,
    num_sampled: int = 750,
    seed: int = 0,
) -> np.ndarray:
    """Free-lunch distribution calibration: each Tukey-transformed support feature is
    calibrated with the mean and covariance of its `k` nearest auxiliary classes,
    `num_sampled` features are drawn per support sample, and a logistic regression on
    support + drawn features classifies the queries. Features must be non-negative
    (the encoder's pooled ReLU features are). Returns predicted labels."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(seed)
    base = tukey(base_features.astype(np.float64), beta)
    classes = np.unique(base_labels)
    means = np.stack([base[base_labels == c].mean(0) for c in classes])
    covs = np.stack([np.cov(base[base_labels == c], rowvar=False) for c in classes])
    sup = tukey(support.astype(np.float64), beta)
    xs, ys = [sup], [support_labels]
    for f, y in zip(sup, support_labels):
        near = np.argsort(((means - f) ** 2).sum(1))[:k]
        mean = np.concatenate([means[near], f[None]]).mean(0)
        cov = covs[near].mean(0) + alpha
        xs.append(rng.multivariate_normal(mean, cov, size=num_sampled, method="cholesky" if _is_pd(cov) else "eigh"))
        ys.append(np.full(num_sampled, y))
    clf = LogisticRegression(max_iter=1000).fit(np.concatenate(xs), np.concatenate(ys))
    return clf.predict(tukey(queries.astype(np.float64), beta))


def _is_pd(m: np.ndarray) -> bool:
    try:
        np.linalg.cholesky(m)
        return True
    except np.linalg.LinAlgError:
        return False


def episode_accuracy(
    features: torch.Tensor,
    labels: torch.Tensor,
    n_way: int = 5,
    k_shot: int = 1,
    n_query: int = 5,
    episodes: int = 600,
    seed: int = 0,
) -> tuple[float, float]:
    """Mean accuracy and 95 % half-interval of nearest-prototype classification over
    random N-way K-shot episodes drawn from the labelled samples."""
    rng = np.random.default_rng(seed)
    feats = F.normalize(features, dim=1)
    labels_np = labels.cpu().numpy()
    by_class = {int(c): np.flatnonzero(labels_np == c) for c in np.unique(labels_np)}
    usable = [c for c, ix in by_class.items() if len(ix) >= k_shot + 1]
    n_way = min(n_way, len(usable))
    accs = []
    for _ in range(episodes):
        classes = rng.choice(usable, n_way, replace=False)
        protos, qs, qy = [], [], []
        for j, c in enumerate(classes):
            ix = rng.permutation(by_class[int(c)])
            protos.append(feats[ix[:k_shot]].mean(0))
            take = ix[k_shot : k_shot + n_query]
            qs.append(feats[take])
            qy += [j] * len(take)
        pred = nearest_exemplar(torch.cat(qs), torch.stack(protos)).cpu().numpy()
        accs.append(float((pred == np.array(qy)).mean()))
    accs = np.array(accs)
    return float(accs.mean()), float(1.96 * accs.std(ddof=1) / np.sqrt(len(accs))) if len(accs) > 1 else 0.0


def exemplar_draws(targets: np.ndarray, draws: int = 200, seed: int = 0) -> np.ndarray:
    """`draws` random exemplar sets: row `d` holds, for each class `c` (0..K-1), the row
    number of one sample of class `c`. Seeded, so every checkpoint evaluated on the same
    samples sees the same draws (a paired comparison). `(draws, K)`."""
    rng = np.random.default_rng(seed)
    by_class = [np.flatnonzero(targets == c) for c in range(int(targets.max()) + 1)]
    if any(len(ix) < 2 for ix in by_class):
        raise ValueError("every class needs at least two samples (an exemplar and a query)")
    return np.stack([[rng.choice(ix) for ix in by_class] for _ in range(draws)])


def exemplar_averaged_top1(
    features: torch.Tensor, targets: torch.Tensor, draws: int = 200, seed: int = 0
) -> np.ndarray:
    """Nearest-exemplar top-1 for each of `draws` random exemplar sets (one sample per
    class as its exemplar; every other sample a query). One-shot accuracy depends
    heavily on which exemplar a class gets; the mean over draws removes that noise.
    `features (N, C)` of all samples of the evaluated classes, `targets (N,)` -> `(draws,)`."""
    t = targets.cpu().numpy()
    sets = exemplar_draws(t, draws, seed)
    f = F.normalize(features.float(), dim=1)
    sim = (f @ f.T).cpu().numpy()  # (N, N), computed once for all draws
    accs = np.empty(len(sets))
    for d, ex in enumerate(sets):
        is_q = np.ones(len(t), bool)
        is_q[ex] = False
        pred = sim[np.ix_(is_q, ex)].argmax(1)
        accs[d] = float((pred == t[is_q]).mean())
    return accs


def key_joint_mass(k_out: torch.Tensor, key_mask: torch.Tensor) -> tuple[float, float]:
    """How much JID importance falls on the text's key joints: mean over samples of
    `sum_j k_out[j] * key[j]`, and what uniform importance would give (`|key| / V`).
    `k_out (N, V)`, `key_mask (N, V)` (1 on the key joints of each sample's class)."""
    mass = (k_out * key_mask).sum(1).mean()
    uniform = (key_mask.sum(1) / key_mask.shape[1]).mean()
    return float(mass), float(uniform)
