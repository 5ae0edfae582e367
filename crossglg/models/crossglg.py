"""The CrossGLG LightningModule: a text-guided training branch and a text-free
inference branch sharing one encoder and one classifier.

Skeleton branch (text-free): encoder (+ JID re-weighting) -> pooled feature ->
shared MLP classifier -> `L_s`. Cross-modal branch (training only): per-joint text
tokens attend to the skeleton joint tokens -> the same classifier -> `L_c`.
Total `L = L_s + w_cal * L_cal + w_c * L_c (+ distill_weight * L_kd)`, the paper's
weights 1, 0.5, 0.2. `g2l=False` removes the JID, `l2g=False` the interaction; both
off is the plain encoder baseline. Validation and test embed exemplars and queries
with the skeleton branch only and classify queries by the nearest exemplar.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import lightning as L
import torch
import torch.nn.functional as F
from lightning.pytorch.utilities import rank_zero_only
from torch import nn

from ..eval.oneshot import (OneShotResult, distribution_calibration, episode_accuracy, evaluate_oneshot,
                            exemplar_averaged_top1, key_joint_mass)
from ..eval.probe import probe_loader, text_leak_probe
from .encoder import build_encoder, encoder_class
from .interaction import CrossModalInteraction
from .jid import JointImportance, calibration_loss

CHECKPOINT_VERSION = 2
#: Version 1 checkpoints were written when `infogcn` named today's `infogcn_lite`.
READABLE_VERSIONS = (1, 2)


class CrossGLG(L.LightningModule):
    """Args (all in the config under `model:`):
        num_classes: auxiliary classes (linked from the data).
        text_dim: sentence-embedding size (linked from the data's text encoder).
        encoder / encoder_args: `infogcn`, `stgcn` or a dotted class path, and its arguments.
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
        if num_classes <= 0:
            raise ValueError("num_classes must be set (it is linked from data.num_aux_classes in the CLI)")
        self.save_hyperparameters()
        self.checkpoint_version = CHECKPOINT_VERSION
        enc_args = dict(encoder_args or {})
        if "num_persons" in inspect.signature(encoder_class(encoder)).parameters:
            enc_args.setdefault("num_persons", persons)
        self.encoder = build_encoder(encoder, in_channels=in_channels, num_joints=num_joints, **enc_args)
        if not 1 <= jid_after < len(self.encoder.blocks):
            raise ValueError(f"jid_after={jid_after} must name a block before the last ({len(self.encoder.blocks)})")
        width = self.encoder.out_channels
        self.jid = JointImportance(self.encoder.widths[jid_after - 1], jid_hidden) if g2l else None
        self.interaction = CrossModalInteraction(text_dim, width, num_joints, interaction_depth, interaction_heads,
                                                 dropout, fusion) if l2g else None
        if head == "mlp":
            self.classifier = nn.Sequential(nn.Linear(width, width), nn.ReLU(inplace=True), nn.Dropout(dropout),
                                            nn.Linear(width, num_classes))
        elif head == "ib":
            from .infogcn import InfoBottleneckHead

            self.classifier = InfoBottleneckHead(width, num_classes, ib_noise_ratio)
        else:
            raise ValueError(f"head must be 'mlp' or 'ib', got {head!r}")
        if embedding not in ("pooled", "latent_mean") or (embedding == "latent_mean" and head != "ib"):
            raise ValueError(f"embedding {embedding!r}: 'pooled', or 'latent_mean' with head: ib")
        self.distill_weight = 0.0  # set by the Distillation callback
        self.results: dict[str, OneShotResult] = {}
        self._eval: list = []

    # -- the two branches ------------------------------------------------------------
    def forward(self, x: torch.Tensor):
        """Text-free branch: `x (N, C, T, V, M)` -> EncoderOutput (pooled `(N, C)`, `k_out (N, V)`)."""
        return self.encoder(x, jid=self.jid, jid_after=self.hparams.jid_after)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The inference embedding `(N, C)`: encoder + JID, no text."""
        return self.embedding_of(self.forward(x))

    def embedding_of(self, out) -> torch.Tensor:
        """The one-shot embedding of an encoder output: pooled, or the IB head's mu."""
        if self.hparams.embedding == "latent_mean":
            return self.classifier.latent(out.pooled)[1]
        return out.pooled

    def setup(self, stage: str) -> None:
        if stage == "fit" and (self.jid is not None or self.interaction is not None):
            dm = self.trainer.datamodule
            tf = dm.text_features()
            if tf.joint_emb.shape[-1] != self.hparams.text_dim and self.interaction is not None:
                raise ValueError(f"text embeddings have {tf.joint_emb.shape[-1]} dims, the model expects "
                                 f"{self.hparams.text_dim}: set model.text_dim")
            self.register_buffer("joint_text", tf.joint_emb.float(), persistent=False)
            self.register_buffer("k_gt", tf.k_gt.float(), persistent=False)

    def losses(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        h = self.hparams
        out = self.forward(x)
        if h.head == "ib":
            from .infogcn import ib_losses

            z, _, _ = self.classifier.latent(out.pooled)
            logits_s = self.classifier.decoder(z)
            parts = {"loss_s": F.cross_entropy(logits_s, y, label_smoothing=h.label_smoothing)}
            parts["loss_mmd"], parts["loss_zmean"] = ib_losses(z, y, self.classifier.z_prior)
            total = parts["loss_s"] + h.ib_lambda2 * parts["loss_mmd"] + h.ib_lambda1 * parts["loss_zmean"]
        else:
            logits_s = self.classifier(out.pooled)
            parts = {"loss_s": F.cross_entropy(logits_s, y, label_smoothing=h.label_smoothing)}
            total = parts["loss_s"]
        if self.jid is not None:
            parts["loss_cal"] = calibration_loss(out.k_out, self.k_gt[y], h.cal_per_joint_scale)
            total = total + h.w_cal * parts["loss_cal"]
        if self.interaction is not None:
            text_y = y
            if self.training and h.text_swap > 0 and self.joint_text.shape[0] > 1:
                a = self.joint_text.shape[0]
                other = (y + torch.randint(1, a, y.shape, device=y.device)) % a  # any class but y
                text_y = torch.where(torch.rand(y.shape, device=y.device) < h.text_swap, other, y)
            feat_c = self.interaction(self.joint_text[text_y], out.joint_tokens)
            logits_c = self.classifier(feat_c)
            parts["loss_c"] = F.cross_entropy(logits_c, y, label_smoothing=h.label_smoothing)
            total = total + h.w_c * parts["loss_c"]
            if self.distill_weight > 0:
                t = h.distill_temperature
                kd = F.kl_div(F.log_softmax(logits_s / t, 1), F.softmax(logits_c.detach() / t, 1),
                              reduction="batchmean") * t * t
                kd = kd + h.distill_feature_weight * (1 - F.cosine_similarity(out.pooled, feat_c.detach())).mean()
                parts["loss_kd"] = kd
                total = total + self.distill_weight * kd
        parts["loss"] = total
        parts["acc_s"] = (logits_s.argmax(1) == y).float().mean()
        return parts

    def training_step(self, batch, batch_idx):
        parts = self.losses(batch["x"], batch["y"])
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

    # -- one-shot evaluation -----------------------------------------------------------
    def _eval_step(self, batch):
        out = self.forward(batch["x"])
        k = out.k_out.float() if out.k_out is not None else out.pooled.new_zeros(len(out.pooled), 0)
        self._eval.append((self.embedding_of(out).float(), batch["y"], batch["index"], batch["exemplar"], k))

    def validation_step(self, batch, batch_idx):
        self._eval_step(batch)

    def test_step(self, batch, batch_idx):
        self._eval_step(batch)

    def predict_step(self, batch, batch_idx):
        return {"features": self.embed(batch["x"]), "y": batch["y"], "index": batch["index"],
                "exemplar": batch["exemplar"]}

    def _gather(self, t: torch.Tensor) -> torch.Tensor:
        """All ranks' rows, without padding duplicates (shards may differ in size)."""
        if self.trainer.world_size == 1:
            return t
        sizes = self.all_gather(torch.tensor([t.shape[0]], device=self.device)).flatten()
        pad = torch.zeros((int(sizes.max()) - t.shape[0], *t.shape[1:]), dtype=t.dtype, device=t.device)
        g = self.all_gather(torch.cat([t, pad]))
        return torch.cat([g[r, : int(sizes[r])] for r in range(len(sizes))])

    def gather_in_order(self, feats, y, idx, ex, *extra) -> tuple[torch.Tensor, ...]:
        """Evaluation outputs of all ranks, in evaluation-set order (by `idx`); `ex` as bool."""
        feats, y, idx, ex, *extra = (self._gather(t) for t in (feats, y, idx, ex.to(torch.uint8), *extra))
        order = torch.argsort(idx)
        return (feats[order], y[order], idx[order], ex[order].bool(), *(t[order] for t in extra))

    def _collect(self):
        feats, y, idx, ex, k = (torch.cat(z) for z in zip(*self._eval))
        self._eval = []
        return self.gather_in_order(feats, y, idx, ex, k)

    def _finish_eval(self, stage: str) -> OneShotResult:
        feats, y, idx, ex, k_out = self._collect()
        res = evaluate_oneshot(feats, y, ex)
        metrics = {f"{stage}/oneshot_top1": res.top1}
        h = self.hparams
        if h.exemplar_draws and not self.trainer.sanity_checking:
            accs = exemplar_averaged_top1(feats, y, h.exemplar_draws)
            res.exemplar_avg_top1, res.exemplar_avg_std = float(accs.mean()), float(accs.std(ddof=1))
            metrics[f"{stage}/exemplar_avg_top1"] = res.exemplar_avg_top1
        dm = self.trainer.datamodule
        if k_out.shape[1] and dm is not None and hasattr(dm, "novel_key_mask"):
            mask = dm.novel_key_mask()
            if mask is not None:
                res.key_mass, res.key_mass_uniform = key_joint_mass(k_out.cpu(), mask[y.cpu()])
        final = stage == "test" or (not self.trainer.sanity_checking and self._is_last_epoch())
        if final and dm is not None and hasattr(dm, "floor"):
            res.floor = dm.floor()
            if h.exemplar_draws and hasattr(dm, "floor_exemplar_averaged"):
                res.floor_exemplar_avg = dm.floor_exemplar_averaged(h.exemplar_draws)
        if (stage == "validate" and final and h.leak_probe and self.interaction is not None
                and hasattr(self, "joint_text") and dm is not None):
            res.leak_probe = text_leak_probe(self, probe_loader(dm.aux_eval_dataloader().dataset))
        if stage == "test":
            res.episode_mean, res.episode_ci95 = episode_accuracy(feats, y, h.eval_n_way, h.eval_k_shot,
                                                                  episodes=h.eval_episodes)
            res.episode_setting = f"{h.eval_n_way}-way {h.eval_k_shot}-shot"
            metrics[f"{stage}/episode_acc"] = res.episode_mean
            if h.calibration_at_test:
                res.calibrated_top1 = self._calibrated(feats, y, ex)
                metrics[f"{stage}/calibrated_top1"] = res.calibrated_top1
        self.log_dict(metrics, rank_zero_only=True)
        self.results[stage] = res
        out_dir = Path(self.trainer.log_dir or self.trainer.default_root_dir)  # a collective under DDP: every rank
        self._save_artifacts(stage, res, out_dir, k_out, y)
        return res

    def _calibrated(self, feats, y, ex) -> float:
        dm = self.trainer.datamodule
        base, base_y = [], []
        with torch.no_grad():
            for batch in dm.aux_eval_dataloader():
                base.append(self.embed(batch["x"].to(self.device)).float().cpu())
                base_y.append(batch["y"])
        base, base_y = torch.cat(base).numpy(), torch.cat(base_y).numpy()
        f, t, e = feats.cpu().numpy(), y.cpu().numpy(), ex.cpu().numpy()
        pred = distribution_calibration(f[e], t[e], f[~e], base, base_y)
        return float((pred == t[~e]).mean())

    @rank_zero_only
    def _save_artifacts(self, stage: str, res: OneShotResult, out: Path, k_out: torch.Tensor, y: torch.Tensor) -> None:
        out.mkdir(parents=True, exist_ok=True)
        summary = {"stage": stage, "epoch": self.current_epoch, "top1": res.top1, "queries": res.num_queries,
                   "classes": res.num_classes, "per_class": res.per_class, "calibrated_top1": res.calibrated_top1,
                   "episode_mean": res.episode_mean, "episode_ci95": res.episode_ci95,
                   "exemplar_avg_top1": res.exemplar_avg_top1, "exemplar_avg_std": res.exemplar_avg_std,
                   "exemplar_draws": self.hparams.exemplar_draws, "floor": res.floor,
                   "floor_exemplar_avg": res.floor_exemplar_avg, "key_mass": res.key_mass,
                   "key_mass_uniform": res.key_mass_uniform, "leak_probe": res.leak_probe}
        (out / f"oneshot_{stage}.json").write_text(json.dumps(summary, indent=1))
        final = stage == "test" or (not self.trainer.sanity_checking and self._is_last_epoch())
        if self.hparams.plots and final:
            dm = self.trainer.datamodule
            names = dm.novel_class_names() if dm is not None else [str(i) for i in range(res.num_classes)]
            from ..eval.plots import confusion_png

            plots = {"confusion": confusion_png(res.confusion, names, out / f"confusion_{stage}.png",
                                                f"one-shot top-1 {res.top1:.3f} ({res.num_queries} queries)")}
            if k_out.shape[1]:
                from ..eval.plots import importance_heatmap_png

                per_class = torch.stack([k_out[y == c].mean(0) for c in range(res.num_classes)]).cpu().numpy()
                plots["joint_importance"] = importance_heatmap_png(
                    per_class, names, out / f"joint_importance_{stage}.png", "JID importance per novel class (mean k_out)")
            for lg in self.loggers:
                if hasattr(lg, "log_image"):
                    for key, path in plots.items():
                        lg.log_image(key=f"{stage}/{key}", images=[str(path)])

    def _is_last_epoch(self) -> bool:
        return self.trainer.max_epochs is not None and self.current_epoch >= self.trainer.max_epochs - 1

    def on_validation_epoch_end(self):
        res = self._finish_eval("validate")
        self.log("val_top1", res.top1, prog_bar=True, rank_zero_only=True)

    def on_test_epoch_end(self):
        res = self._finish_eval("test")
        self._print_result(res)

    def on_fit_end(self):
        if "validate" in self.results:
            self._print_result(self.results["validate"])

    @rank_zero_only
    def _print_result(self, res: OneShotResult) -> None:
        extra = []
        if res.calibrated_top1 is not None:
            extra.append(f"distribution calibration: {res.calibrated_top1:.3f}")
        if res.episode_mean is not None:
            extra.append(f"{res.episode_setting} episodes: {res.episode_mean:.3f} +- {res.episode_ci95:.3f}")
        if res.exemplar_avg_top1 is not None:
            extra.append(f"exemplar-averaged top-1 ({self.hparams.exemplar_draws} draws): "
                         f"{res.exemplar_avg_top1:.3f} +- {res.exemplar_avg_std:.3f} (sd over draws)")
        if res.key_mass is not None:
            extra.append(f"JID mass on the text's key joints (novel classes): {res.key_mass:.3f} "
                         f"(uniform {res.key_mass_uniform:.3f})")
        if res.leak_probe is not None:
            p = res.leak_probe
            extra.append(f"text-leak probe, cross-modal top-1 on auxiliary samples: own {p['own']:.3f}, "
                         f"another class's skeleton {p['shuffled']:.3f}, zero skeleton {p['zero']:.3f}")
        dm = self.trainer.datamodule
        if res.floor is None and dm is not None and hasattr(dm, "floor"):
            res.floor = dm.floor()
        if res.floor is not None:
            extra.append(f"floor (raw coordinates, no learning): {res.floor:.3f}"
                         + (f", exemplar-averaged {res.floor_exemplar_avg:.3f}" if res.floor_exemplar_avg else ""))
        print(res.line(), flush=True)
        for e in extra:
            print(f"  {e}", flush=True)

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["crossglg_version"] = CHECKPOINT_VERSION


def load_inference_model(path: str | Path, map_location: str = "cpu") -> CrossGLG:
    """A trained model for inference (text-free), from a checkpoint; refuses other versions."""
    ckpt = torch.load(path, map_location=map_location, weights_only=True)
    version = ckpt.get("crossglg_version")
    if version not in READABLE_VERSIONS:
        raise ValueError(f"{path}: checkpoint version {version}, this crossglg reads versions "
                         f"{', '.join(map(str, READABLE_VERSIONS))}")
    accepted = inspect.signature(CrossGLG.__init__).parameters
    hp = {k: v for k, v in ckpt["hyper_parameters"].items() if k in accepted}  # LightningCLI adds its own keys
    if version == 1 and hp.get("encoder", "infogcn") == "infogcn":
        hp["encoder"] = "infogcn_lite"
    model = CrossGLG(**hp)
    state = {k: v for k, v in ckpt["state_dict"].items()}
    model.load_state_dict(state, strict=True)
    return model.eval()


def count_parameters(module: nn.Module | None) -> int:
    return 0 if module is None else sum(p.numel() for p in module.parameters())
