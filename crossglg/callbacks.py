"""Lightning callbacks: the scheduled distillation from the cross-modal branch
(teacher) to the text-free skeleton branch (student), and the writer of `predict`'s
outputs."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.callbacks import BasePredictionWriter

from .io import atomic_save_npy, atomic_write_text
from .eval.evaluation import gather_in_order
from .eval.oneshot import cosine, exemplars_by_class


class Distillation(L.Callback):
    """Sets the model's `distill_weight` at the start of every training epoch: 0
    before `start_epoch`, then rising linearly to `max_weight` over `warmup_epochs`.
    The loss itself (logit KL at the model's temperature plus feature cosine, teacher
    detached) lives in `CrossGLGNet.distillation_loss`; it needs the cross-modal branch (`l2g`)."""

    def __init__(self, max_weight: float = 1.0, start_epoch: int = 0, warmup_epochs: int = 10):
        self.max_weight, self.start_epoch, self.warmup_epochs = max_weight, start_epoch, warmup_epochs

    def weight_at(self, epoch: int) -> float:
        if epoch < self.start_epoch:
            return 0.0
        ramp = (epoch - self.start_epoch + 1) / max(1, self.warmup_epochs)
        return self.max_weight * min(1.0, ramp)

    def on_fit_start(self, trainer, pl_module) -> None:
        if pl_module.net.interaction is None:
            raise ValueError("Distillation needs the cross-modal branch: set model.guidance.l2g: true")

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        pl_module.distill_weight = self.weight_at(trainer.current_epoch)
        pl_module.log("train/distill_weight", pl_module.distill_weight, on_epoch=True, on_step=False)


class OneShotPredictionWriter(BasePredictionWriter):
    """What `python -m crossglg predict` writes: every evaluation sample embedded by the
    text-free branch, and each sample's nearest exemplar.

    `<out>/predictions.csv` (sample name, true novel class, exemplar or query, predicted
    class, cosine similarity to that exemplar, whether right) and `<out>/embeddings.npy`
    `(N, C)` in the same row order; `<out>` is the trainer's log dir unless given. Under
    DDP the shards are gathered (without padding) and rank 0 writes. Both files are
    written atomically."""

    def __init__(self, out_dir: str | None = None):
        super().__init__(write_interval="epoch")
        self.out_dir = out_dir

    def write_on_epoch_end(self, trainer, pl_module, predictions, batch_indices) -> None:
        outs = predictions[0] if predictions and isinstance(predictions[0], list) else predictions
        feats, y, idx, ex = (torch.cat([o[k] for o in outs]) for k in ("features", "y", "index", "exemplar"))
        gathered = gather_in_order(pl_module, feats.float(), y, idx, ex)  # a collective: every rank
        out = Path(self.out_dir or trainer.log_dir or trainer.default_root_dir)  # log_dir too is a collective
        if trainer.is_global_zero:
            self._write(trainer, out, *(t.cpu() for t in gathered))

    def _write(self, trainer, out: Path, feats: torch.Tensor, y: torch.Tensor, idx: torch.Tensor,
               ex: torch.Tensor) -> None:
        dm = trainer.datamodule
        out.mkdir(parents=True, exist_ok=True)
        names = [dm.cache.names[int(dm.eval_set.indices[int(i)])] for i in idx]
        classes = dm.novel_class_names()
        ex_rows = exemplars_by_class(y, ex)
        best, nearest = cosine(feats, feats[ex_rows]).max(1)
        pred = y[ex_rows[nearest]]
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["sample", "true", "role", "predicted", "similarity", "correct"])
        for i in range(len(idx)):
            w.writerow([names[i], classes[int(y[i])], "exemplar" if ex[i] else "query", classes[int(pred[i])],
                        f"{float(best[i]):.4f}", int(pred[i] == y[i])])
        atomic_write_text(out / "predictions.csv", buf.getvalue())
        atomic_save_npy(out / "embeddings.npy", feats.numpy())
        queries = ~ex
        acc = float((pred == y)[queries].float().mean())
        print(f"{out / 'predictions.csv'}: {int(queries.sum())} queries, one-shot top-1 {acc:.3f}; "
              f"embeddings {tuple(feats.shape)} in {out / 'embeddings.npy'}", flush=True)
