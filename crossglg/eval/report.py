"""What a one-shot evaluation leaves behind: its JSON summary (the core of a run's
record, `crossglg.run_result`), the confusion matrix and JID joint-importance PNGs (also
sent to loggers that take images), and the result lines on the console; and what
`predict` leaves: `predictions.csv` and `embeddings.npy`."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import torch

from ..io import atomic_save_npy, atomic_write_text
from .oneshot import OneShotResult, cosine, exemplars_by_class, oneshot_line


def summary(stage: str, res: OneShotResult, exemplar_draws: int) -> dict:
    """The JSON record of one evaluation."""
    return {
        "stage": stage,
        "epoch": res.epoch,
        "top1": res.top1,
        "queries": res.num_queries,
        "classes": res.num_classes,
        "per_class": res.per_class,
        "calibrated_top1": res.calibrated_top1,
        "episode_mean": res.episode_mean,
        "episode_ci95": res.episode_ci95,
        "episode_setting": res.episode_setting,
        "exemplar_avg_top1": res.exemplar_avg_top1,
        "exemplar_avg_std": res.exemplar_avg_std,
        "exemplar_draws": exemplar_draws,
        "floor": res.floor,
        "floor_exemplar_avg": res.floor_exemplar_avg,
        "key_mass": res.key_mass,
        "key_mass_uniform": res.key_mass_uniform,
        "leak_probe": res.leak_probe,
    }


def write_plots(res: OneShotResult, out: Path, suffix: str = "", loggers=(), stage: str = "validate") -> list[Path]:
    """The figures of a final evaluation: `out/confusion<suffix>.png` and, when the model
    has a JID (`res.importance (K, V)`), `out/joint_importance<suffix>.png`; also sent,
    as `<stage>/confusion` and `<stage>/joint_importance`, to the loggers that take images."""
    from .plots import confusion_png, importance_heatmap_png

    out.mkdir(parents=True, exist_ok=True)
    names = res.class_names or [str(i) for i in range(res.num_classes)]
    images = {
        "confusion": confusion_png(
            res.confusion,
            names,
            out / f"confusion{suffix}.png",
            f"one-shot top-1 {res.top1:.3f} ({res.num_queries} queries)",
        )
    }
    if res.importance is not None:
        images["joint_importance"] = importance_heatmap_png(
            res.importance, names, out / f"joint_importance{suffix}.png", "JID importance per novel class (mean k_out)"
        )
    for lg in loggers:
        if hasattr(lg, "log_image"):
            for key, path in images.items():
                lg.log_image(key=f"{stage}/{key}", images=[str(path)])
    return list(images.values())


def result_lines(res: OneShotResult, exemplar_draws: int) -> list[str]:
    """The one-shot line and the indented lines under it."""
    return record_lines(summary("", res, exemplar_draws))


def record_lines(r: dict) -> list[str]:
    """The result lines of an evaluation's summary (or a run record that holds one)."""
    extra = []
    if r.get("calibrated_top1") is not None:
        extra.append(f"distribution calibration: {r['calibrated_top1']:.3f}")
    if r.get("episode_mean") is not None:
        extra.append(
            f"{r.get('episode_setting', 'episodes:')} episodes: {r['episode_mean']:.3f} +- {r['episode_ci95']:.3f}"
        )
    if r.get("exemplar_avg_top1") is not None:
        extra.append(
            f"exemplar-averaged top-1 ({r['exemplar_draws']} draws): "
            f"{r['exemplar_avg_top1']:.3f} +- {r['exemplar_avg_std']:.3f} (sd over draws)"
        )
    if r.get("key_mass") is not None:
        extra.append(
            f"JID mass on the text's key joints (novel classes): {r['key_mass']:.3f} "
            f"(uniform {r['key_mass_uniform']:.3f})"
        )
    if r.get("leak_probe") is not None:
        p = r["leak_probe"]
        extra.append(
            f"text-leak probe, cross-modal top-1 on auxiliary samples: own {p['own']:.3f}, "
            f"another class's skeleton {p['shuffled']:.3f}, zero skeleton {p['zero']:.3f}"
        )
    if r.get("floor") is not None:
        extra.append(
            f"floor (raw coordinates, no learning): {r['floor']:.3f}"
            + (f", exemplar-averaged {r['floor_exemplar_avg']:.3f}" if r.get("floor_exemplar_avg") else "")
        )
    return [oneshot_line(r["top1"], r["queries"], r["classes"])] + [f"  {e}" for e in extra]


def print_result(res: OneShotResult, exemplar_draws: int) -> None:
    from lightning.pytorch.utilities import rank_zero_only

    if rank_zero_only.rank == 0:
        print("\n".join(result_lines(res, exemplar_draws)), flush=True)


def write_report(
    res: OneShotResult,
    stage: str,
    out: Path,
    config: dict,
    settings,
    extra: dict | None = None,
    suffix: str = "",
    loggers=(),
) -> Path:
    """Everything a run's evaluation leaves, once: its result lines on the console, its
    record `out/result<suffix>.json` (`summary` with `extra` and the run's settings from
    `config`, `crossglg.run_result.write_result`) and, with `settings.plots`
    (`EvaluationConfig`), its figures (`write_plots`)."""
    from ..run_result import write_result

    print_result(res, settings.exemplar_draws)
    record = dict(summary(stage, res, settings.exemplar_draws), **(extra or {}))
    path = write_result(out, record, config, f"result{suffix}.json")
    if settings.plots:
        write_plots(res, out, suffix, loggers, stage)
    return path


def write_predictions(
    out: Path, feats: torch.Tensor, y: torch.Tensor, ex: torch.Tensor, names: list[str], classes: list[str]
) -> None:
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
        w.writerow(
            [
                names[i],
                classes[int(y[i])],
                "exemplar" if ex[i] else "query",
                classes[int(pred[i])],
                f"{float(best[i]):.4f}",
                int(pred[i] == y[i]),
            ]
        )
    atomic_write_text(out / "predictions.csv", buf.getvalue())
    atomic_save_npy(out / "embeddings.npy", feats.numpy())
    queries = ~ex
    acc = float((pred == y)[queries].float().mean())
    print(
        f"{out / 'predictions.csv'}: {int(queries.sum())} queries, one-shot top-1 {acc:.3f}; "
        f"embeddings {tuple(feats.shape)} in {out / 'embeddings.npy'}",
        flush=True,
    )
