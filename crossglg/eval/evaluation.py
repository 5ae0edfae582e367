"""The one-shot evaluation of a run, as a Lightning callback: it collects what the
task's validation/test steps embed, gathers the shards of all ranks in evaluation
order, computes the metrics (nearest exemplar, exemplar-averaged top-1, JID key-joint
mass, floor, episodes, calibration, text-leak probe), logs them and keeps them in
`task.results[stage]`, from which the run writes its record and plots once
(`train.CrossGLGCLI`, `eval/report.py`); the callback itself writes no file. It also
makes the last epoch of every fit a validation epoch, and keeps nothing of Lightning's
sanity check. The task adds it itself (`configure_callbacks`). Also
`predict`'s writer, `OneShotPredictionWriter`, which `python -m crossglg predict` adds.

A step's output: `{"embedding" (N, C), "y" (N,), "index" (N,), "exemplar" (N,) bool,
"k_out" (N, V) or (N, 0)}`.
"""

from __future__ import annotations

from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.callbacks import BasePredictionWriter

from ..settings import EvaluationConfig
from ..text.features import key_joint_mask
from .floor import raw_coordinate_floor, raw_coordinate_floor_averaged
from .oneshot import (
    OneShotResult,
    distribution_calibration,
    episode_accuracy,
    evaluate_oneshot,
    exemplar_averaged_top1,
    key_joint_mass,
)
from .probe import probe_loader, text_leak_probe
from .report import write_predictions


def gather_rows(module: L.LightningModule, t: torch.Tensor) -> torch.Tensor:
    """All ranks' rows, without padding duplicates (shards may differ in size)."""
    if module.trainer.world_size == 1:
        return t
    sizes = module.all_gather(torch.tensor([t.shape[0]], device=module.device)).flatten()
    pad = torch.zeros((int(sizes.max()) - t.shape[0], *t.shape[1:]), dtype=t.dtype, device=t.device)
    g = module.all_gather(torch.cat([t, pad]))
    return torch.cat([g[r, : int(sizes[r])] for r in range(len(sizes))])


def gather_in_order(module: L.LightningModule, feats, y, idx, ex, *extra) -> tuple[torch.Tensor, ...]:
    """Evaluation outputs of all ranks, in evaluation-set order (by `idx`); `ex` as bool.
    A collective under DDP: every rank must call it."""
    feats, y, idx, ex, *extra = (gather_rows(module, t) for t in (feats, y, idx, ex.to(torch.uint8), *extra))
    order = torch.argsort(idx)
    return (feats[order], y[order], idx[order], ex[order].bool(), *(t[order] for t in extra))


class OneShotEvaluation(L.Callback):
    """Args: `settings`, a `crossglg.settings.EvaluationConfig` (exemplar draws, episodes,
    calibration, leak probe, plots). Results land in `pl_module.results[stage]`."""

    def __init__(self, settings: EvaluationConfig | None = None):
        s = settings or EvaluationConfig()
        self.exemplar_draws, self.episodes, self.n_way, self.k_shot = s.exemplar_draws, s.episodes, s.n_way, s.k_shot
        self.calibration_at_test, self.leak_probe = s.calibration_at_test, s.leak_probe
        self._rows: list[dict] = []
        self._mask_key, self._mask = None, None  # the key-joint mask, read once per data module

    def _key_mask(self, dm) -> torch.Tensor | None:
        """`(K, V)` key joints of the evaluated classes, read once per data module."""
        if getattr(dm, "protocol", None) is None:
            return None
        descriptions = getattr(getattr(dm, "hparams", None), "descriptions", None)
        key = (dm.dataset_name, tuple(dm.protocol.novel), descriptions)
        if self._mask_key != key:
            self._mask_key, self._mask = key, key_joint_mask(dm.dataset_name, list(dm.protocol.novel), descriptions)
        return self._mask

    # -- collection -----------------------------------------------------------------
    def _collect(self, outputs) -> None:
        if outputs is not None:
            self._rows.append({k: v.detach() for k, v in outputs.items()})

    def on_validation_batch_end(self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0):
        self._collect(outputs)

    def on_test_batch_end(self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0):
        self._collect(outputs)

    def on_train_epoch_start(self, trainer, pl_module):
        # the last epoch is always validated, whatever check_val_every_n_epoch says: a fit's
        # result is a full evaluation of the weights it ends with
        if trainer.max_epochs is not None and trainer.current_epoch == trainer.max_epochs - 1:
            if trainer.check_val_every_n_epoch is not None and trainer.enable_validation:
                trainer.check_val_every_n_epoch = 1

    def on_validation_epoch_end(self, trainer, pl_module):
        if trainer.sanity_checking:  # a few batches of untrained weights: measured by nothing, kept nowhere
            self._rows = []
            return
        res = self.finish(trainer, pl_module, "validate")
        pl_module.log("val_top1", res.top1, prog_bar=True, rank_zero_only=True)

    def on_test_epoch_end(self, trainer, pl_module):
        self.finish(trainer, pl_module, "test")

    # -- metrics --------------------------------------------------------------------
    def finish(self, trainer, pl_module, stage: str) -> OneShotResult:
        rows, self._rows = self._rows, []
        cat = {k: torch.cat([r[k] for r in rows]) for k in rows[0]}
        feats, y, _, ex, k_out = gather_in_order(
            pl_module, cat["embedding"].float(), cat["y"], cat["index"], cat["exemplar"], cat["k_out"].float()
        )
        res = evaluate_oneshot(feats, y, ex)
        # a validate/test run's trainer counts from 0: the weights' epoch is their checkpoint's
        res.epoch = trainer.current_epoch if trainer.state.fn == "fit" else pl_module.checkpoint_epoch
        metrics = {f"{stage}/oneshot_top1": res.top1}
        dm = trainer.datamodule
        # final: a fit's last epoch, or a standalone validate/test (its weights are final)
        # final: a fit's last epoch (a known number of epochs), or a standalone validate/test
        last_epoch = trainer.max_epochs is not None and 0 <= trainer.max_epochs - 1 <= trainer.current_epoch
        final = trainer.state.fn != "fit" or last_epoch
        res.step = trainer.global_step
        res.final = final
        if self.exemplar_draws:
            accs = exemplar_averaged_top1(feats, y, self.exemplar_draws)
            res.exemplar_avg_top1, res.exemplar_avg_std = float(accs.mean()), float(accs.std(ddof=1))
            metrics[f"{stage}/exemplar_avg_top1"] = res.exemplar_avg_top1
        mask = self._key_mask(dm) if k_out.shape[1] else None
        if mask is not None:
            res.key_mass, res.key_mass_uniform = key_joint_mass(k_out.cpu(), mask[y.cpu()])
        if final and getattr(dm, "split", None) is not None:  # the no-learning floor on the same split
            res.floor = raw_coordinate_floor(dm.cache, dm.split)
            if self.exemplar_draws:
                res.floor_exemplar_avg = raw_coordinate_floor_averaged(dm.cache, dm.split, self.exemplar_draws)
        net = pl_module.net
        if (
            stage == "validate"
            and final
            and self.leak_probe
            and net.interaction is not None
            and pl_module.joint_text is not None
            and dm is not None
        ):
            res.leak_probe = text_leak_probe(net, pl_module.joint_text, probe_loader(dm.aux_eval_dataloader().dataset))
        if stage == "test":
            res.episode_mean, res.episode_ci95 = episode_accuracy(
                feats, y, self.n_way, self.k_shot, episodes=self.episodes
            )
            res.episode_setting = f"{self.n_way}-way {self.k_shot}-shot"
            metrics[f"{stage}/episode_acc"] = res.episode_mean
            if self.calibration_at_test:
                res.calibrated_top1 = calibrated_top1(net, dm, feats, y, ex)
                metrics[f"{stage}/calibrated_top1"] = res.calibrated_top1
        pl_module.log_dict(metrics, rank_zero_only=True)
        pl_module.results[stage] = res
        if stage == "validate" and trainer.state.fn == "fit":
            point = {"epoch": res.epoch, "top1": res.top1, "exemplar_avg_top1": res.exemplar_avg_top1}
            pl_module.curve = [p for p in pl_module.curve if p["epoch"] != point["epoch"]] + [point]
        res.class_names = dm.novel_class_names() if dm is not None else [str(i) for i in range(res.num_classes)]
        if k_out.shape[1]:
            k, t = k_out.cpu(), y.cpu()
            res.importance = torch.stack([k[t == c].mean(0) for c in range(res.num_classes)]).numpy()
        return res


class OneShotPredictionWriter(BasePredictionWriter):
    """What `python -m crossglg predict` writes (`report.write_predictions`): every
    evaluation sample embedded by the text-free branch, and each sample's nearest
    exemplar, in `<out>` (the trainer's log dir unless given). Under DDP the shards are
    gathered (without padding) and rank 0 writes."""

    def __init__(self, out_dir: str | None = None):
        super().__init__(write_interval="epoch")
        self.out_dir = out_dir

    def write_on_epoch_end(self, trainer, pl_module, predictions, batch_indices) -> None:
        outs = predictions[0] if predictions and isinstance(predictions[0], list) else predictions
        feats, y, idx, ex = (torch.cat([o[k] for o in outs]) for k in ("features", "y", "index", "exemplar"))
        gathered = gather_in_order(pl_module, feats.float(), y, idx, ex)  # a collective: every rank
        out = Path(self.out_dir or trainer.log_dir or trainer.default_root_dir)  # log_dir too is a collective
        if trainer.is_global_zero:
            dm = trainer.datamodule
            feats, y, idx, ex = (t.cpu() for t in gathered)
            names = [dm.cache.names[int(dm.eval_set.indices[int(i)])] for i in idx]
            write_predictions(out, feats, y, ex, names, dm.novel_class_names())


@torch.no_grad()
def calibrated_top1(net, dm, feats: torch.Tensor, y: torch.Tensor, ex: torch.Tensor) -> float:
    """Distribution calibration with the auxiliary classes' embeddings as the base."""
    base, base_y = [], []
    for batch in dm.aux_eval_dataloader():
        base.append(net.embed(batch["x"].to(net.device)).float().cpu())
        base_y.append(batch["y"])
    base, base_y = torch.cat(base).numpy(), torch.cat(base_y).numpy()
    f, t, e = feats.cpu().numpy(), y.cpu().numpy(), ex.cpu().numpy()
    pred = distribution_calibration(f[e], t[e], f[~e], base, base_y)
    return float((pred == t[~e]).mean())
