"""What a one-shot evaluation leaves behind: `oneshot_<stage>.json`, the confusion
matrix and JID joint-importance PNGs (also sent to loggers that take images), and the
result lines on the console; and what `predict` leaves: `predictions.csv` and
`embeddings.npy`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import torch

from ..io import atomic_save_npy, atomic_write_text
from .oneshot import OneShotResult, cosine, exemplars_by_class


def summary(stage: str, res: OneShotResult, exemplar_draws: int) -> dict:
    """The JSON record of one evaluation."""
    return {"stage": stage, "epoch": res.epoch, "top1": res.top1, "queries": res.num_queries,
            "classes": res.num_classes, "per_class": res.per_class, "calibrated_top1": res.calibrated_top1,
            "episode_mean": res.episode_mean, "episode_ci95": res.episode_ci95,
            "exemplar_avg_top1": res.exemplar_avg_top1, "exemplar_avg_std": res.exemplar_avg_std,
            "exemplar_draws": exemplar_draws, "floor": res.floor, "floor_exemplar_avg": res.floor_exemplar_avg,
            "key_mass": res.key_mass, "key_mass_uniform": res.key_mass_uniform, "leak_probe": res.leak_probe}


def write_artifacts(stage: str, res: OneShotResult, out: Path, k_out: torch.Tensor, y: torch.Tensor,
                    class_names: list[str], exemplar_draws: int, plots: bool = True,
                    loggers=()) -> None:
    """`out/oneshot_<stage>.json` always; with `plots`, `confusion_<stage>.png` and
    (when the model has a JID, `k_out (N, V)`) `joint_importance_<stage>.png`."""
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / f"oneshot_{stage}.json", json.dumps(summary(stage, res, exemplar_draws), indent=1))
    if not plots:
        return
    from .plots import confusion_png, importance_heatmap_png

    images = {"confusion": confusion_png(res.confusion, class_names, out / f"confusion_{stage}.png",
                                         f"one-shot top-1 {res.top1:.3f} ({res.num_queries} queries)")}
    if k_out.shape[1]:
        per_class = torch.stack([k_out[y == c].mean(0) for c in range(res.num_classes)]).cpu().numpy()
        images["joint_importance"] = importance_heatmap_png(
            per_class, class_names, out / f"joint_importance_{stage}.png", "JID importance per novel class (mean k_out)")
    for lg in loggers:
        if hasattr(lg, "log_image"):
            for key, path in images.items():
                lg.log_image(key=f"{stage}/{key}", images=[str(path)])


def result_lines(res: OneShotResult, exemplar_draws: int) -> list[str]:
    """The one-shot line and the indented lines under it."""
    extra = []
    if res.calibrated_top1 is not None:
        extra.append(f"distribution calibration: {res.calibrated_top1:.3f}")
    if res.episode_mean is not None:
        extra.append(f"{res.episode_setting} episodes: {res.episode_mean:.3f} +- {res.episode_ci95:.3f}")
    if res.exemplar_avg_top1 is not None:
        extra.append(f"exemplar-averaged top-1 ({exemplar_draws} draws): "
                     f"{res.exemplar_avg_top1:.3f} +- {res.exemplar_avg_std:.3f} (sd over draws)")
    if res.key_mass is not None:
        extra.append(f"JID mass on the text's key joints (novel classes): {res.key_mass:.3f} "
                     f"(uniform {res.key_mass_uniform:.3f})")
    if res.leak_probe is not None:
        p = res.leak_probe
        extra.append(f"text-leak probe, cross-modal top-1 on auxiliary samples: own {p['own']:.3f}, "
                     f"another class's skeleton {p['shuffled']:.3f}, zero skeleton {p['zero']:.3f}")
    if res.floor is not None:
        extra.append(f"floor (raw coordinates, no learning): {res.floor:.3f}"
                     + (f", exemplar-averaged {res.floor_exemplar_avg:.3f}" if res.floor_exemplar_avg else ""))
    return [res.line()] + [f"  {e}" for e in extra]


def print_result(res: OneShotResult, exemplar_draws: int) -> None:
    from lightning.pytorch.utilities import rank_zero_only

    if rank_zero_only.rank == 0:
        print("\n".join(result_lines(res, exemplar_draws)), flush=True)


def write_predictions(out: Path, feats: torch.Tensor, y: torch.Tensor, ex: torch.Tensor, names: list[str],
                      classes: list[str]) -> None:
    """`predict`'s files: `out/predictions.csv` (sample name, true novel class, exemplar
    or query, predicted class, cosine similarity to that exemplar, whether right) and
    `out/embeddings.npy` `(N, C)` in the same row order, both atomically; and the line
    that says where they are. `feats (N, C)`, `y (N,)` novel-class positions, `ex (N,)`
    bool, `names` per row, `classes` the novel classes' names."""
    out.mkdir(parents=True, exist_ok=True)
    ex_rows = exemplars_by_class(y, ex)
    best, nearest = cosine(feats, feats[ex_rows]).max(1)
    pred = y[ex_rows[nearest]]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["sample", "true", "role", "predicted", "similarity", "correct"])
    for i in range(len(y)):
        w.writerow([names[i], classes[int(y[i])], "exemplar" if ex[i] else "query", classes[int(pred[i])],
                    f"{float(best[i]):.4f}", int(pred[i] == y[i])])
    atomic_write_text(out / "predictions.csv", buf.getvalue())
    atomic_save_npy(out / "embeddings.npy", feats.numpy())
    queries = ~ex
    acc = float((pred == y)[queries].float().mean())
    print(f"{out / 'predictions.csv'}: {int(queries.sum())} queries, one-shot top-1 {acc:.3f}; "
          f"embeddings {tuple(feats.shape)} in {out / 'embeddings.npy'}", flush=True)
