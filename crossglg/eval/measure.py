"""The one-shot evaluation of embedded samples, as one function over arrays: nearest
exemplar (per class, confusion), exemplar-averaged top-1, the JID's key-joint mass,
the raw-coordinate floor on the same split, episodes and distribution calibration.
It runs no model: the caller embeds (`eval.evaluation.OneShotEvaluation` gathers what
the task's steps embed)."""

from __future__ import annotations

import torch

from ..settings import EvaluationConfig
from .context import EvalContext
from .floor import raw_coordinate_floor, raw_coordinate_floor_averaged
from .oneshot import (
    OneShotResult,
    distribution_calibration,
    episode_accuracy,
    evaluate_oneshot,
    exemplar_averaged_top1,
    key_joint_mass,
)


def measure(
    feats: torch.Tensor,
    y: torch.Tensor,
    exemplar: torch.Tensor,
    k_out: torch.Tensor,
    ctx: EvalContext,
    settings: EvaluationConfig,
    stage: str = "validate",
    final: bool = True,
    base: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> OneShotResult:
    """Args:
    feats `(N, C)`, y `(N,)`, exemplar `(N,)` bool: the evaluation samples' embeddings,
        targets (novel-class positions) and which are exemplars, in evaluation order.
    k_out `(N, V)`: the JID's joint importance per sample, or `(N, 0)` without a JID.
    ctx: the data's evaluation context. settings: what to measure.
    stage: `validate` or `test` (episodes and calibration are measured at test).
    final: an evaluation of the weights a run ends with (the floor is measured then).
    base: `(features (B, C), labels (B,))` of the auxiliary samples, for calibration.
    """
    feats, y, exemplar, k_out = feats.float().cpu(), y.cpu(), exemplar.cpu(), k_out.float().cpu()
    res = evaluate_oneshot(feats, y, exemplar)
    res.final = final
    res.class_names = list(ctx.class_names) or [str(i) for i in range(res.num_classes)]
    s = settings
    if s.exemplar_draws:
        accs = exemplar_averaged_top1(feats, y, s.exemplar_draws)
        res.exemplar_avg_top1, res.exemplar_avg_std = float(accs.mean()), float(accs.std(ddof=1))
    if k_out.shape[1]:
        if ctx.key_mask is not None:
            res.key_mass, res.key_mass_uniform = key_joint_mass(k_out, ctx.key_mask[y])
        res.importance = torch.stack([k_out[y == c].mean(0) for c in range(res.num_classes)]).numpy()
    if final and ctx.split is not None:  # the no-learning floor on the same split
        res.floor = raw_coordinate_floor(ctx.cache, ctx.split)
        if s.exemplar_draws:
            res.floor_exemplar_avg = raw_coordinate_floor_averaged(ctx.cache, ctx.split, s.exemplar_draws)
    if stage == "test":
        res.episode_mean, res.episode_ci95 = episode_accuracy(feats, y, s.n_way, s.k_shot, episodes=s.episodes)
        res.episode_setting = f"{s.n_way}-way {s.k_shot}-shot"
        if s.calibration_at_test and base is not None:
            f, t, e = feats.numpy(), y.numpy(), exemplar.numpy()
            pred = distribution_calibration(f[e], t[e], f[~e], base[0].numpy(), base[1].numpy())
            res.calibrated_top1 = float((pred == t[~e]).mean())
    return res


def metrics_of(stage: str, res: OneShotResult) -> dict[str, float]:
    """What a logger gets of a result: `<stage>/oneshot_top1` and, where measured, the
    exemplar-averaged top-1, the episode accuracy and the calibrated top-1."""
    out = {f"{stage}/oneshot_top1": res.top1}
    for key, value in (
        ("exemplar_avg_top1", res.exemplar_avg_top1),
        ("episode_acc", res.episode_mean),
        ("calibrated_top1", res.calibrated_top1),
    ):
        if value is not None:
            out[f"{stage}/{key}"] = value
    return out
