"""The training task: a thin LightningModule around `models.network.CrossGLGNet` that
does the steps and the optimiser. The network lives in `self.net`; the classes' text
is handed in with `connect(text)` (the `ConnectText` callback does it from the
DataModule during `fit`); the one-shot evaluation and its report are the
`eval.evaluation.OneShotEvaluation` callback, which the task adds itself.
"""

from __future__ import annotations

from pathlib import Path

import lightning as L
import torch

from .eval.evaluation import OneShotEvaluation
from .eval.oneshot import OneShotResult
from .models.checkpoint import (CHECKPOINT_VERSION, network_arguments, read_checkpoint, upgrade_state_dict)
from .models.network import ARCHITECTURE, LOSS, CrossGLGNet
from .text.features import datamodule_text


class ConnectText(L.Callback):
    """Computes the auxiliary classes' text features from the DataModule's settings
    (`text.features.datamodule_text`) and hands them to the task before training."""

    def setup(self, trainer, pl_module, stage: str) -> None:
        if stage == "fit" and pl_module.net.uses_text and pl_module.joint_text is None:
            pl_module.connect(datamodule_text(trainer.datamodule))


class CrossGLG(L.LightningModule):
    """Args (all in the config under `model:`):
        num_classes: auxiliary classes (linked from the data).
        text_dim: sentence-embedding size (linked from `data.text_encoder`, read from its configuration).
        encoder / encoder_args: `infogcn`, `infogcn_lite`, `stgcn` or a dotted class path, and its arguments.
        g2l / l2g: the JID (global-to-local) and the cross-modal interaction (local-to-global).
        jid_after: the block (1-based) after which the JID reads features.
        w_cal / w_c: loss weights of L_cal and L_c.
        cal_per_joint_scale: L_cal on `V * k` (project default) or on `k` (the paper's literal form).
        distill_temperature / distill_feature_weight: the optional distillation (its
            weight is scheduled by `crossglg.callbacks.Distillation`; 0 without it).
        lr, momentum, weight_decay, warmup_epochs, milestones, gamma: SGD (Nesterov) schedule.
        eval_episodes / eval_n_way / eval_k_shot: the episode metric at test.
        calibration_at_test: also report distribution calibration at test.
        fusion: how the cross-modal branch fuses text and skeleton, `gathered` (default:
            only what the text queries gather from the skeleton reaches the classifier)
            or `residual` (the paper's wording; the text itself reaches the classifier,
            which then names the class without the skeleton); see `models/interaction.py`.
        text_swap: probability, per training sample, that the cross-modal branch gets a
            random other auxiliary class's text while `L_c` keeps the true label, so the
            label cannot be read from the text (default 0.5; 0 with `residual` is the paper).
        exemplar_draws: random exemplar sets for the exemplar-averaged top-1 (0 = off).
        head: the shared classifier, `mlp` (Linear-ReLU-Dropout-Linear) or `ib`, InfoGCN's
            information-bottleneck head (`models/infogcn.py`) with its losses weighted by
            `ib_lambda1` (latent-mean norm) and `ib_lambda2` (MMD to class priors).
        embedding: the one-shot embedding, `pooled` (the encoder's pooled feature) or
            `latent_mean` (the IB head's mu; needs `head: ib`).
        persons: bodies per sample (linked from `data.persons`); given to encoders that
            size a layer by it (InfoGCN's `data_bn`) unless `encoder_args` sets `num_persons`.
        leak_probe: run the text-leak probe on the auxiliary samples at the end of fit.
    """

    def __init__(self, num_classes: int = 0, text_dim: int = 384, encoder: str = "infogcn",
                 encoder_args: dict | None = None, in_channels: int = 3, num_joints: int = 25,
                 g2l: bool = True, l2g: bool = True, jid_after: int = 5, jid_hidden: int = 256,
                 interaction_depth: int = 2, interaction_heads: int = 4, dropout: float = 0.1,
                 w_cal: float = 0.5, w_c: float = 0.2, label_smoothing: float = 0.1, cal_per_joint_scale: bool = True,
                 distill_temperature: float = 4.0, distill_feature_weight: float = 1.0,
                 lr: float = 0.1, momentum: float = 0.9, weight_decay: float = 5e-4, warmup_epochs: int = 5,
                 milestones: list[int] | None = None, gamma: float = 0.1,
                 eval_episodes: int = 600, eval_n_way: int = 5, eval_k_shot: int = 1,
                 calibration_at_test: bool = True, plots: bool = True, fusion: str = "gathered",
                 text_swap: float = 0.5, exemplar_draws: int = 200, leak_probe: bool = True,
                 head: str = "mlp", ib_noise_ratio: float = 0.1, ib_lambda1: float = 1e-4, ib_lambda2: float = 0.1,
                 embedding: str = "pooled", persons: int = 2):
        super().__init__()
        self.save_hyperparameters()
        h = self.hparams
        self.net = CrossGLGNet(**{k: h[k] for k in ARCHITECTURE + LOSS})
        self.distill_weight = 0.0  # set by the Distillation callback
        self.register_buffer("joint_text", None, persistent=False)  # (A, V, D), set by connect
        self.register_buffer("k_gt", None, persistent=False)  # (A, V)
        self.results: dict[str, OneShotResult] = {}  # filled by OneShotEvaluation

    def connect(self, text) -> None:
        """Give the task the auxiliary classes' text (`text.features.TextFeatures`:
        `joint_emb (A, V, D)`, `k_gt (A, V)`), as non-persistent buffers: checkpoints
        never hold text, and inference never needs it."""
        self.net.check_text(text.joint_emb, text.k_gt)
        self.register_buffer("joint_text", text.joint_emb.float().to(self.device), persistent=False)
        self.register_buffer("k_gt", text.k_gt.float().to(self.device), persistent=False)

    def configure_callbacks(self):
        h = self.hparams
        return [ConnectText(), OneShotEvaluation(h.exemplar_draws, h.eval_episodes, h.eval_n_way, h.eval_k_shot,
                                                 h.calibration_at_test, h.leak_probe, h.plots)]

    def forward(self, x: torch.Tensor):
        """Text-free branch: `x (N, C, T, V, M)` -> EncoderOutput."""
        return self.net(x)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The one-shot embedding `(N, C)`: encoder + JID, no text."""
        return self.net.embed(x)

    def training_step(self, batch, batch_idx):
        parts = self.net.losses(batch["x"], batch["y"], self.joint_text, self.k_gt, self.distill_weight)
        self.log_dict({f"train/{k}": v for k, v in parts.items()}, prog_bar=False, on_epoch=True, on_step=False,
                      batch_size=len(batch["y"]), sync_dist=True)
        self.log("loss", parts["loss"], prog_bar=True, on_step=True, on_epoch=False, logger=False)
        return parts["loss"]

    def configure_optimizers(self):
        h = self.hparams
        opt = torch.optim.SGD(self.parameters(), lr=h.lr, momentum=h.momentum, nesterov=True, weight_decay=h.weight_decay)

        def factor(epoch: int) -> float:
            if epoch < h.warmup_epochs:
                return (epoch + 1) / h.warmup_epochs
            return h.gamma ** sum(epoch >= m for m in (h.milestones or [90, 100]))

        sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "epoch"}}

    def _eval_step(self, batch) -> dict[str, torch.Tensor]:
        out = self.net(batch["x"])
        k = out.k_out.float() if out.k_out is not None else out.pooled.new_zeros(len(out.pooled), 0)
        return {"embedding": self.net.embedding_of(out).float(), "y": batch["y"], "index": batch["index"],
                "exemplar": batch["exemplar"], "k_out": k}

    def validation_step(self, batch, batch_idx):
        return self._eval_step(batch)

    def test_step(self, batch, batch_idx):
        return self._eval_step(batch)

    def predict_step(self, batch, batch_idx):
        return {"features": self.embed(batch["x"]), "y": batch["y"], "index": batch["index"],
                "exemplar": batch["exemplar"]}

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["crossglg_version"] = CHECKPOINT_VERSION

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        version = checkpoint.get("crossglg_version", CHECKPOINT_VERSION)
        checkpoint["state_dict"] = upgrade_state_dict(checkpoint["state_dict"], version)


def load_task(path: str | Path, map_location: str = "cpu") -> CrossGLG:
    """The task of a checkpoint (for `Trainer.test`/`predict` in Python), built from the
    checkpoint's hyper-parameters; reads every version `load_inference_model` reads."""
    import inspect

    ckpt = read_checkpoint(path, map_location)
    version = ckpt["crossglg_version"]
    accepted = inspect.signature(CrossGLG.__init__).parameters
    hp = {k: v for k, v in ckpt.get("hyper_parameters", {}).items() if k in accepted}
    hp.update(network_arguments(hp, version))
    task = CrossGLG(**hp)
    task.load_state_dict(upgrade_state_dict(ckpt["state_dict"], version), strict=True)
    return task.eval()
