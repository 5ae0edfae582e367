"""The training task: a thin LightningModule around `models.network.CrossGLGNet` that
does the steps and the optimiser. The network lives in `self.net`; the classes' text
is handed in with `connect(text)` (the `ConnectText` callback does it from the
DataModule for `fit` and `validate`); the one-shot evaluation and its report are the
`eval.evaluation.OneShotEvaluation` callback, which the task adds itself.
"""

from __future__ import annotations

from pathlib import Path

import lightning as L
import torch

from .errors import CheckpointError
from .eval.evaluation import OneShotEvaluation
from .eval.oneshot import OneShotResult
from .models.checkpoint import CHECKPOINT_VERSION, read_checkpoint
from .models.network import CrossGLGNet
from .schedule import ramp
from .settings import (
    GROUPS,
    ClassifierConfig,
    EncoderConfig,
    EvaluationConfig,
    GuidanceConfig,
    OptimiserConfig,
    as_group,
    to_dicts,
)
from .text.features import datamodule_text


class ConnectText(L.Callback):
    """Computes the auxiliary classes' text features from the DataModule's settings
    (`text.features.datamodule_text`) and hands them to the task before training, and
    before a standalone `validate` where the DataModule has a text encoder (the
    text-leak probe reads it; the one-shot evaluation itself never does)."""

    def setup(self, trainer, pl_module, stage: str) -> None:
        if not pl_module.net.uses_text or pl_module.joint_text is not None:
            return
        has_text = getattr(getattr(trainer.datamodule, "hparams", None), "text_encoder", None) is not None
        if stage == "fit" or (stage == "validate" and has_text):
            pl_module.connect(datamodule_text(trainer.datamodule))


class CrossGLGTask(L.LightningModule):
    """Args (all in the config under `model:`):
        num_classes: auxiliary classes (linked from the data).
        text_dim: sentence-embedding size (linked from `data.text_encoder`, read from its configuration).
        persons: bodies per sample (linked from `data.persons`).
        encoder, guidance, classifier: what the network is made of (`crossglg.settings`).
        optimiser: the SGD schedule. evaluation: the one-shot evaluation's settings.
    Each group is a `crossglg.settings` dataclass; a dict of some of its fields also
    works (checkpoints store dicts).
    """

    def __init__(
        self,
        num_classes: int = 0,
        text_dim: int = 384,
        persons: int = 2,
        encoder: EncoderConfig = EncoderConfig(),
        guidance: GuidanceConfig = GuidanceConfig(),
        classifier: ClassifierConfig = ClassifierConfig(),
        optimiser: OptimiserConfig = OptimiserConfig(),
        evaluation: EvaluationConfig = EvaluationConfig(),
    ):
        super().__init__()
        groups = {
            k: as_group(GROUPS[k], v)
            for k, v in dict(
                encoder=encoder, guidance=guidance, classifier=classifier, optimiser=optimiser, evaluation=evaluation
            ).items()
        }
        self.optimiser, self.evaluation = groups["optimiser"], groups["evaluation"]
        self.save_hyperparameters(to_dicts(dict(num_classes=num_classes, text_dim=text_dim, persons=persons, **groups)))
        self.net = CrossGLGNet(
            num_classes, text_dim, persons, groups["encoder"], groups["guidance"], groups["classifier"]
        )
        self.distill_weight = 0.0  # set by the Distillation callback
        self.register_buffer("joint_text", None, persistent=False)  # (A, V, D), set by connect
        self.register_buffer("k_gt", None, persistent=False)  # (A, V)
        self.results: dict[str, OneShotResult] = {}  # filled by OneShotEvaluation
        #: the learning curve: `{epoch, top1, exemplar_avg_top1}` of each epoch's (last)
        #: validation during fit, `epoch` 0-based as in result.json
        #: (OneShotEvaluation appends); kept in checkpoints, so a resumed run keeps it
        self.curve: list[dict] = []
        self._resume_rng = None  # torch's RNG state from a checkpoint, applied when the resumed fit starts
        self.checkpoint_epoch: int | None = None  # the epoch of the checkpoint loaded last (validate/test report it)

    def connect(self, text) -> None:
        """Give the task the auxiliary classes' text (`text.features.TextFeatures`:
        `joint_emb (A, V, D)`, `k_gt (A, V)`), as non-persistent buffers: checkpoints
        never hold text, and inference never needs it."""
        self.net.check_text(text.joint_emb, text.k_gt)
        self.register_buffer("joint_text", text.joint_emb.float().to(self.device), persistent=False)
        self.register_buffer("k_gt", text.k_gt.float().to(self.device), persistent=False)

    def configure_callbacks(self):
        return [ConnectText(), OneShotEvaluation(self.evaluation)]

    def forward(self, x: torch.Tensor):
        """Text-free branch: `x (N, C, T, V, M)` -> EncoderOutput."""
        return self.net(x)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The one-shot embedding `(N, C)`: encoder + JID, no text."""
        return self.net.embed(x)

    def jid_mix_at(self, progress: float) -> float:
        """The JID re-weighting's share after `progress` epochs (fractional):
        `progress / guidance.jid_ramp_epochs`, at most 1; 1 without a ramp."""
        return ramp(progress, 0.0, self.net.guidance.jid_ramp_epochs)

    def on_fit_start(self) -> None:
        if self.trainer.ckpt_path is None:  # a fresh fit: nothing of a checkpoint loaded before carries over
            self.curve, self._resume_rng = [], None
        length, last = self.net.guidance.jid_ramp_epochs, self.trainer.max_epochs
        if self.net.jid is not None and length > 0 and last is not None and last >= 0 and length > last - 1:
            raise ValueError(
                f"model.guidance.jid_ramp_epochs={length} must end by the last epoch's start "
                f"(at most trainer.max_epochs - 1 = {last - 1}), so the saved network re-weights fully"
            )

    def on_train_batch_start(self, batch, batch_idx) -> None:
        if self.net.jid is not None:
            self.net.jid_mix = self.jid_mix_at(
                self.current_epoch + batch_idx / max(1, self.trainer.num_training_batches)
            )

    def on_train_end(self) -> None:
        self.net.jid_mix = 1.0

    def training_step(self, batch, batch_idx):
        parts = self.net.losses(batch["x"], batch["y"], self.joint_text, self.k_gt, self.distill_weight)
        self.log_dict(
            {f"train/{k}": v for k, v in parts.items()},
            prog_bar=False,
            on_epoch=True,
            on_step=False,
            batch_size=len(batch["y"]),
            sync_dist=True,
        )
        self.log("loss", parts["loss"], prog_bar=True, on_step=True, on_epoch=False, logger=False)
        if self.net.guidance.jid_ramp_epochs > 0:
            self.log("train/jid_mix", self.net.jid_mix, on_epoch=True, on_step=False, batch_size=len(batch["y"]))
        return parts["loss"]

    def configure_optimizers(self):
        h = self.optimiser
        opt = torch.optim.SGD(
            self.parameters(), lr=h.lr, momentum=h.momentum, nesterov=True, weight_decay=h.weight_decay
        )

        def factor(epoch: int) -> float:
            if epoch < h.warmup_epochs:
                return ramp(epoch + 1, 0, h.warmup_epochs)
            return h.gamma ** sum(epoch >= m for m in h.milestones)

        sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "epoch"}}

    def _eval_step(self, batch) -> dict[str, torch.Tensor]:
        out = self.net(batch["x"])
        k = out.k_out.float() if out.k_out is not None else out.pooled.new_zeros(len(out.pooled), 0)
        return {
            "embedding": self.net.embedding_of(out).float(),
            "y": batch["y"],
            "index": batch["index"],
            "exemplar": batch["exemplar"],
            "k_out": k,
        }

    def validation_step(self, batch, batch_idx):
        return self._eval_step(batch)

    def test_step(self, batch, batch_idx):
        return self._eval_step(batch)

    def predict_step(self, batch, batch_idx):
        return {
            "features": self.embed(batch["x"]),
            "y": batch["y"],
            "index": batch["index"],
            "exemplar": batch["exemplar"],
        }

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["crossglg_version"] = CHECKPOINT_VERSION
        checkpoint["crossglg_curve"] = list(self.curve)
        checkpoint["crossglg_rng"] = {
            "cpu": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state() if torch.cuda.is_initialized() else None,
        }

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        if checkpoint.get("crossglg_version") != CHECKPOINT_VERSION:
            raise CheckpointError(
                f"checkpoint version {checkpoint.get('crossglg_version')}, this crossglg reads version "
                f"{CHECKPOINT_VERSION} only (a pre-release layout: train the model again)"
            )
        self.curve = list(checkpoint.get("crossglg_curve", []))
        self._resume_rng = checkpoint.get("crossglg_rng")
        self.checkpoint_epoch = checkpoint.get("epoch")

    def on_train_start(self) -> None:
        """A resumed fit continues torch's random stream (dropout, the text swap) where the
        checkpoint left it, after the sanity check, so that with the data order (seeded per
        epoch by the samplers) a resumed run trains as one that never stopped: bit-exactly
        on CPU; on GPU as far as its kernels are deterministic (`trainer.deterministic`).
        Under DDP every rank takes rank 0's state. A checkpoint written without CUDA leaves
        a GPU's stream as seeded."""
        rng, self._resume_rng = self._resume_rng, None
        if rng is not None:
            torch.set_rng_state(rng["cpu"])
            if rng["cuda"] is not None and self.device.type == "cuda":
                torch.cuda.set_rng_state(rng["cuda"], self.device)


def load_task(path: str | Path, map_location: str = "cpu") -> CrossGLGTask:
    """The task of a checkpoint (for `Trainer.test`/`predict` in Python), built from the
    checkpoint's hyper-parameters (`models.checkpoint.read_checkpoint`)."""
    ckpt = read_checkpoint(path, map_location)
    task = CrossGLGTask(**ckpt.hparams)
    task.load_state_dict(ckpt.state_dict, strict=True)
    return task.eval()
