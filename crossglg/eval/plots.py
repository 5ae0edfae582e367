"""Figures people would rather see than read: the one-shot confusion matrix, the
joint-importance map of the JID, and the learning curves of a sweep's rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..data.layout import NTU_JOINTS
from ..io import atomic_save_figure


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_png(fig, path: str | Path) -> Path:
    """Write the figure atomically and close it."""
    try:
        return atomic_save_figure(fig, path, dpi=110, bbox_inches="tight")
    finally:
        _plt().close(fig)
    return path


def confusion_png(cm: np.ndarray, names: list[str], path: str | Path, title: str = "") -> Path:
    plt = _plt()
    k = len(names)
    fig, ax = plt.subplots(figsize=(2 + 0.45 * k, 1.5 + 0.45 * k))
    norm = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    for i in range(k):
        for j in range(k):
            if cm[i, j]:
                ax.text(
                    j,
                    i,
                    int(cm[i, j]),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if norm[i, j] > 0.5 else "black",
                )
    ax.set_xticks(range(k), names, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(k), names, fontsize=7)
    ax.set_xlabel("predicted (nearest exemplar)")
    ax.set_ylabel("true class")
    ax.set_title(title, fontsize=9)
    return save_png(fig, path)


def joint_importance_png(
    k_out: np.ndarray, skeleton_xy: np.ndarray | None, path: str | Path, title: str = "", bones=None
) -> Path:
    """Bars of `k_out (V,)` per joint, and where given the skeleton `(V, 2)` with each
    joint drawn by its importance."""
    from ..data.layout import NTU_BONES

    plt = _plt()
    ncols = 2 if skeleton_xy is not None else 1
    fig, axes = plt.subplots(1, ncols, figsize=(5 * ncols + 1, 5))
    axes = np.atleast_1d(axes)
    order = np.arange(len(k_out))
    axes[0].barh(order, k_out, color=plt.cm.viridis(k_out / max(k_out.max(), 1e-9)))
    axes[0].set_yticks(order, NTU_JOINTS[: len(k_out)], fontsize=7)
    axes[0].axvline(1 / len(k_out), color="grey", ls="--", lw=0.8, label="uniform")
    axes[0].invert_yaxis()
    axes[0].set_xlabel("JID importance k_out")
    axes[0].legend(fontsize=7)
    if skeleton_xy is not None:
        ax = axes[1]
        for c, p in bones or NTU_BONES:
            ax.plot(*skeleton_xy[[c, p]].T, color="grey", lw=1)
        ax.scatter(*skeleton_xy.T, s=2000 * k_out, c=k_out, cmap="viridis", edgecolors="k", zorder=3)
        ax.set_aspect("equal")
        ax.axis("off")
    fig.suptitle(title, fontsize=9)
    return save_png(fig, path)


def importance_heatmap_png(matrix: np.ndarray, class_names: list[str], path: str | Path, title: str = "") -> Path:
    """Classes x joints heat map of JID importance `(K, V)`."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(10, 1.5 + 0.4 * len(class_names)))
    im = ax.imshow(matrix, cmap="viridis", aspect="auto")
    ax.set_xticks(range(matrix.shape[1]), NTU_JOINTS[: matrix.shape[1]], rotation=70, ha="right", fontsize=7)
    ax.set_yticks(range(len(class_names)), class_names, fontsize=7)
    fig.colorbar(im, ax=ax, fraction=0.02)
    ax.set_title(title, fontsize=9)
    return save_png(fig, path)


def learning_curves_png(
    rows: dict[str, list[dict[int, float]]], path: str | Path, title: str = "", floor: float | None = None
) -> Path:
    """One line per row: for each epoch, the mean over the row's runs (seeds) of the
    exemplar-averaged top-1, with a band of +-1 sd over them. `rows`: name -> one
    `{epoch: value}` per run; `floor` (no learning) as a dashed line."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, runs in rows.items():
        epochs = sorted({e for run in runs for e in run})
        vals = [np.array([run[e] for run in runs if e in run]) for e in epochs]
        mean = np.array([v.mean() for v in vals])
        sd = np.array([v.std(ddof=1) if len(v) > 1 else 0.0 for v in vals])
        x = np.array(epochs) + 1  # epochs trained
        ax.plot(x, mean, lw=1.5, marker="o", ms=2.5, label=f"{name} ({len(runs)} runs)")
        ax.fill_between(x, mean - sd, mean + sd, alpha=0.2)
    if floor is not None:
        ax.axhline(floor, color="grey", ls="--", lw=1, label="floor (raw coordinates)")
    ax.set_xlabel("epochs trained")
    ax.set_ylabel("exemplar-averaged one-shot top-1")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=9)
    return save_png(fig, path)
