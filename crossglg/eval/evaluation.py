"""The one-shot evaluation of a run, as a Lightning callback: it collects what the
task's validation/test steps embed, gathers the shards of all ranks in evaluation
order, and hands them to `eval.measure.measure` with the data's `EvalContext`; it runs
the model only where a measure needs more than the evaluation samples' embeddings (the
text-leak probe, the calibration's base). It logs the metrics and keeps the result in
`task.results[stage]`, from which the run writes its record and plots once
(`train.CrossGLGCLI`, `eval/report.py`); the callback itself writes no file. It also
makes the last epoch of every fit a validation epoch, and keeps nothing of Lightning's
sanity check. The task adds it itself (`configure_callbacks`). Also `predict`'s
writer, `OneShotPredictionWriter`, which `python -m crossglg predict` adds.

A step's output: `{"embedding" (N, C), "y" (N,), "index" (N,), "exemplar" (N,) bool,
"k_out" (N, V) or (N, 0)}`.
"""

from __future__ import annotations

from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.callbacks import BasePredictionWriter

from ..settings import EvaluationConfig
from .context import EvalContext
from .measure import measure, metrics_of
from .oneshot import OneShotResult
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
        self.settings = settings or EvaluationConfig()
        self._rows: list[dict] = []
        self._context: tuple[object, EvalContext] | None = None  # (data module, its context), built once

    def context(self, dm, descriptions: str | None) -> EvalContext:
        if self._context is None or self._context[0] is not dm:
            self._context = (dm, EvalContext.of(dm, descriptions))
        return self._context[1]

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

    # -- measuring ------------------------------------------------------------------
    def finish(self, trainer, pl_module, stage: str) -> OneShotResult:
        rows, self._rows = self._rows, []
        cat = {k: torch.cat([r[k] for r in rows]) for k in rows[0]}
        feats, y, _, ex, k_out = gather_in_order(
            pl_module, cat["embedding"].float(), cat["y"], cat["index"], cat["exemplar"], cat["k_out"].float()
        )
        # final: a fit's last epoch (a known number of epochs), or a standalone validate/test
        last_epoch = trainer.max_epochs is not None and 0 <= trainer.max_epochs - 1 <= trainer.current_epoch
        final = trainer.state.fn != "fit" or last_epoch
        ctx = self.context(trainer.datamodule, pl_module.text.descriptions)
        net, s = pl_module.net, self.settings
        base = None
        if stage == "test" and s.calibration_at_test and ctx.aux_loader is not None:
            base = embed_all(net, ctx.aux_loader)
        res = measure(feats, y, ex, k_out, ctx, s, stage, final, base)
        # a validate/test run's trainer counts from 0: the weights' epoch is their checkpoint's
        res.epoch = trainer.current_epoch if trainer.state.fn == "fit" else pl_module.checkpoint_epoch
        res.step = trainer.global_step
        if stage == "validate" and final and s.leak_probe and net.interaction is not None:
            if pl_module.joint_text is not None and ctx.aux_loader is not None:
                res.leak_probe = text_leak_probe(net, pl_module.joint_text, probe_loader(ctx.aux_loader.dataset))
        pl_module.log_dict(metrics_of(stage, res), rank_zero_only=True)
        pl_module.results[stage] = res
        if stage == "validate" and trainer.state.fn == "fit":
            point = {"epoch": res.epoch, "top1": res.top1, "exemplar_avg_top1": res.exemplar_avg_top1}
            pl_module.curve = [p for p in pl_module.curve if p["epoch"] != point["epoch"]] + [point]
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
            ctx = EvalContext.of(trainer.datamodule)
            feats, y, idx, ex = (t.cpu() for t in gathered)
            write_predictions(out, feats, y, ex, [ctx.sample_names[int(i)] for i in idx], ctx.class_names)


@torch.no_grad()
def embed_all(net, loader) -> tuple[torch.Tensor, torch.Tensor]:
    """`(features (B, C), labels (B,))`: every sample of `loader` embedded by the text-free branch."""
    feats, labels = [], []
    for batch in loader:
        feats.append(net.embed(batch["x"].to(net.device)).float().cpu())
        labels.append(batch["y"])
    return torch.cat(feats), torch.cat(labels)
