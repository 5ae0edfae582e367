"""The training task: a thin LightningModule around `models.network.CrossGLGNet` that
does the steps and the optimiser. The network lives in `self.net`. The task sizes it
when it meets its data (`setup`): the classifier's outputs from the split's auxiliary
classes, the bodies per sample from the data, and the text's width from the text
features it computes there once from its `text` settings; a task rebuilt from a
checkpoint is given those sizes and builds its network at once. The one-shot evaluation
and its report are the `eval.evaluation.OneShotEvaluation` callback, which the task adds
itself.
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
    TextConfig,
    as_group,
    to_dicts,
)


class CrossGLGTask(L.LightningModule):
    """Args (all in the config under `model:`):
        encoder, guidance, classifier: what the network is made of (`crossglg.settings`).
        text: the text that guides training (`TextConfig`: sentence encoder, descriptions).
        optimiser: the SGD schedule. evaluation: the one-shot evaluation's settings.
        num_classes / text_dim / persons: the network's sizes. Leave them out: the task
            takes them from its data and text in `setup`; a checkpoint stores them.
    Each group is a `crossglg.settings` dataclass; a dict of some of its fields also
    works (checkpoints store dicts).
    """

    def __init__(
        self,
        encoder: EncoderConfig = EncoderConfig(),
        guidance: GuidanceConfig = GuidanceConfig(),
        classifier: ClassifierConfig = ClassifierConfig(),
        text: TextConfig = TextConfig(),
        optimiser: OptimiserConfig = OptimiserConfig(),
        evaluation: EvaluationConfig = EvaluationConfig(),
        num_classes: int | None = None,
        text_dim: int | None = None,
        persons: int | None = None,
    ):
        super().__init__()
        groups = {
            k: as_group(GROUPS[k], v)
            for k, v in dict(
                encoder=encoder,
                guidance=guidance,
                classifier=classifier,
                text=text,
                optimiser=optimiser,
                evaluation=evaluation,
            ).items()
        }
        self.optimiser, self.evaluation, self.text = groups["optimiser"], groups["evaluation"], groups["text"]
        self.groups = groups
        # the sizes only where given (a checkpoint's): Lightning refuses hparams that the
        # data module also has (`persons`) with another value, and None is not the data's
        sizes = dict(num_classes=num_classes, text_dim=text_dim, persons=persons)
        self.save_hyperparameters(to_dicts(dict(**groups, **{k: v for k, v in sizes.items() if v is not None})))
        self.net: CrossGLGNet | None = None
        g = groups["guidance"]
        if num_classes is not None and persons is not None and (text_dim is not None or not (g.g2l or g.l2g)):
            self.build(num_classes, text_dim or 0, persons)
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

    @property
    def uses_text(self) -> bool:
        g = self.groups["guidance"]
        return g.g2l or g.l2g

    def build(self, num_classes: int, text_dim: int, persons: int) -> None:
        """Build the network at these sizes (once), and record them for the checkpoint."""
        self.net = CrossGLGNet(
            num_classes, text_dim, persons, self.groups["encoder"], self.groups["guidance"], self.groups["classifier"]
        )
        self.hparams.update(num_classes=num_classes, text_dim=text_dim, persons=persons)

    def setup(self, stage: str) -> None:
        """Give the network the auxiliary classes' text where training needs it (`fit`),
        or where a standalone `validate` can use it (the text-leak probe; the one-shot
        evaluation never reads it), sizing the network from the data and that text unless
        it was given its sizes. Elsewhere (`test`, `predict`) no text is read: the network
        is sized from the checkpoint being loaded (`on_load_checkpoint`), or, without one,
        when evaluation starts."""
        dm = self.trainer.datamodule
        wants_text = self.uses_text and self.text.encoder is not None and self.joint_text is None
        if wants_text and (stage == "fit" or (stage == "validate" and self.evaluation.leak_probe)):
            text = self.text_features(dm)
            if self.net is None:
                self.build_for(dm, text.joint_emb.shape[-1])
            self.connect(text)
        elif stage == "fit" and self.uses_text and self.joint_text is None:
            raise ValueError("the text guidance needs a sentence encoder: set model.text.encoder")
        elif stage == "fit" and self.net is None:
            self.build_for(dm, 0)

    def build_for(self, dm, text_dim: int) -> None:
        """Build the network for data module `dm` (its auxiliary classes and bodies per
        sample) and text of width `text_dim`, where the task was not given those sizes."""
        h = self.hparams
        self.build(
            h.get("num_classes") or dm.count_aux_classes(),
            h.get("text_dim") or text_dim,
            h.get("persons") or dm.hparams.persons,
        )

    def _build_without_checkpoint(self) -> None:
        """An evaluation of weights no checkpoint gave (an untrained task): sized from
        the data, and from the text's width where the network reads text."""
        if self.net is None:
            dm = self.trainer.datamodule
            width = 0
            if self.uses_text and not self.hparams.get("text_dim"):
                if self.text.encoder is None:
                    raise ValueError("the network's text width is unknown: set model.text.encoder or model.text_dim")
                width = self.text_features(dm).joint_emb.shape[-1]
            self.build_for(dm, width)
            self.net.to(self.device)

    def on_validation_start(self) -> None:
        self._build_without_checkpoint()

    def on_test_start(self) -> None:
        self._build_without_checkpoint()

    def on_predict_start(self) -> None:
        self._build_without_checkpoint()

    def text_features(self, dm):
        """The auxiliary classes' text features (`text.features.TextFeatures`), in
        classifier order, from the task's `text` settings and `dm`'s split."""
        from .text.features import class_text_features

        if dm.split is None:
            dm.setup("fit")
        t = self.text
        classes = [int(c) for c in dm.split.aux_classes]
        return class_text_features(dm.dataset_name, classes, t.encoder, t.descriptions, t.embedding_cache)

    def connect(self, text) -> None:
        """Give the task the auxiliary classes' text (`text.features.TextFeatures`:
        `joint_emb (A, V, D)`, `k_gt (A, V)`), as non-persistent buffers: checkpoints
        never hold text, and inference never needs it."""
        self.net.check_text(text.joint_emb, text.k_gt)
        self.register_buffer("joint_text", text.joint_emb.float().to(self.device), persistent=False)
        self.register_buffer("k_gt", text.k_gt.float().to(self.device), persistent=False)

    def configure_callbacks(self):
        return [OneShotEvaluation(self.evaluation)]

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
        if self.net is None:  # sized as the checkpoint's network was (its weights load next)
            hp = checkpoint.get("hyper_parameters") or {}
            self.build(hp["num_classes"], hp["text_dim"], hp["persons"])
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
