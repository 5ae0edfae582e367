"""The training callback: the scheduled distillation from the cross-modal branch
(teacher) to the text-free skeleton branch (student)."""

from __future__ import annotations

import lightning as L

from .eval import evaluation
from .schedule import ramp


class Distillation(L.Callback):
    """Sets the model's `distill_weight` at the start of every training epoch: 0
    before `start_epoch`, then rising linearly to `max_weight` over `warmup_epochs`.
    The loss itself (logit KL at the model's temperature plus feature cosine, teacher
    detached) lives in `CrossGLGNet.distillation_loss`; it needs the cross-modal branch (`l2g`)."""

    def __init__(self, max_weight: float = 1.0, start_epoch: int = 0, warmup_epochs: int = 10):
        self.max_weight, self.start_epoch, self.warmup_epochs = max_weight, start_epoch, warmup_epochs

    def weight_at(self, epoch: int) -> float:
        """The weight during 0-based `epoch`: as at that epoch's end (a warm-up of `w`
        epochs reaches `max_weight` in the last of them)."""
        return self.max_weight * ramp(epoch + 1, self.start_epoch, max(1, self.warmup_epochs))

    def on_fit_start(self, trainer, pl_module) -> None:
        if pl_module.net.interaction is None:
            raise ValueError("Distillation needs the cross-modal branch: set model.guidance.l2g: true")

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        pl_module.distill_weight = self.weight_at(trainer.current_epoch)
        pl_module.log("train/distill_weight", pl_module.distill_weight, on_epoch=True, on_step=False)


#: The writer of `predict`'s outputs lives with the evaluation; this name stays for
#: configs that list it here.
OneShotPredictionWriter = evaluation.OneShotPredictionWriter
