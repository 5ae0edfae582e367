"""The CrossGLG network as a plain `nn.Module`: one encoder and one classifier shared
by a text-free skeleton branch and a text-guided cross-modal branch.

Skeleton branch (text-free, the only one at inference): encoder (+ JID re-weighting
after block `jid_after`) -> pooled feature -> classifier -> `L_s`.
Cross-modal branch (training only): the per-joint text tokens of a class attend to
the skeleton's joint tokens -> the same classifier -> `L_c`.
`L = L_s + w_cal * L_cal + w_c * L_c (+ distill_weight * L_kd)`, the paper's weights
1, 0.5, 0.2. `g2l=False` removes the JID, `l2g=False` the interaction; both off is the
plain encoder. The text is an argument of `losses`, never state of the network:
`joint_text (A, V, D)` (one sentence embedding per auxiliary class and joint) and
`k_gt (A, V)` (the JID's targets from the text's key joints).
"""

from __future__ import annotations

import inspect

import torch
import torch.nn.functional as F
from torch import nn

from ..settings import ClassifierConfig, EncoderConfig, GuidanceConfig, as_group
from .encoder import EncoderOutput, build_encoder, encoder_class
from .infogcn import InfoBottleneckHead, ib_losses
from .interaction import CrossModalInteraction
from .jid import JointImportance, calibration_loss
from .metric import supervised_contrastive


class CrossGLGNet(nn.Module):
    """Args: `num_classes` (auxiliary classes), `text_dim` (sentence-embedding size),
    `persons` (bodies per sample; given to encoders that size a layer by it, InfoGCN's
    `data_bn`, unless `encoder.args` sets `num_persons`), and the groups `encoder`,
    `guidance` and `classifier` of `crossglg.settings` (instances or dicts)."""

    def __init__(
        self,
        num_classes: int,
        text_dim: int = 384,
        persons: int = 2,
        encoder: EncoderConfig | dict | None = None,
        guidance: GuidanceConfig | dict | None = None,
        classifier: ClassifierConfig | dict | None = None,
    ):
        super().__init__()
        if num_classes <= 0:
            raise ValueError("num_classes must be set (the task takes it from its data's auxiliary classes)")
        enc, self.guidance = as_group(EncoderConfig, encoder), as_group(GuidanceConfig, guidance)
        g, c = self.guidance, as_group(ClassifierConfig, classifier)
        self.classifier_config = c
        self.jid_after, self.head_kind, self.embedding = g.jid_after, c.kind, c.embedding
        self.text_dim = text_dim
        self.jid_mix = 1.0  # the JID re-weighting's share; the task ramps it (GuidanceConfig.jid_ramp_epochs)
        enc_args = dict(enc.args)
        if "num_persons" in inspect.signature(encoder_class(enc.name)).parameters:
            enc_args.setdefault("num_persons", persons)
        self.encoder = build_encoder(enc.name, in_channels=enc.in_channels, num_joints=enc.num_joints, **enc_args)
        if not 1 <= g.jid_after < len(self.encoder.blocks):
            raise ValueError(f"jid_after={g.jid_after} must name a block before the last ({len(self.encoder.blocks)})")
        width = self.encoder.out_channels
        self.jid = JointImportance(self.encoder.widths[g.jid_after - 1], g.jid_hidden) if g.g2l else None
        self.interaction = (
            CrossModalInteraction(
                text_dim, width, enc.num_joints, g.interaction_depth, g.interaction_heads, c.dropout, g.fusion
            )
            if g.l2g
            else None
        )
        if c.kind == "mlp":
            self.classifier = nn.Sequential(
                nn.Linear(width, width), nn.ReLU(inplace=True), nn.Dropout(c.dropout), nn.Linear(width, num_classes)
            )
        elif c.kind == "ib":
            self.classifier = InfoBottleneckHead(width, num_classes, c.ib_noise_ratio)
        else:
            raise ValueError(f"model.classifier.kind must be 'mlp' or 'ib', got {c.kind!r}")
        if c.embedding not in ("pooled", "latent_mean") or (c.embedding == "latent_mean" and c.kind != "ib"):
            raise ValueError(f"model.classifier.embedding {c.embedding!r}: 'pooled', or 'latent_mean' with kind: ib")

    @property
    def uses_text(self) -> bool:
        return self.jid is not None or self.interaction is not None

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def forward(self, x: torch.Tensor) -> EncoderOutput:
        """Text-free branch: `x (N, C, T, V, M)` -> EncoderOutput (pooled `(N, C)`,
        joint tokens `(N, V, C)`, `k_out (N, V)` or None)."""
        return self.encoder(x, jid=self.jid, jid_after=self.jid_after, jid_mix=self.jid_mix)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The one-shot embedding `(N, C)`: encoder + JID, no text."""
        return self.embedding_of(self.forward(x))

    def embedding_of(self, out: EncoderOutput) -> torch.Tensor:
        """The one-shot embedding of an encoder output: pooled, or the IB head's mu."""
        if self.embedding == "latent_mean":
            return self.classifier.latent(out.pooled)[1]
        return out.pooled

    def check_text(self, joint_text: torch.Tensor | None, k_gt: torch.Tensor | None) -> None:
        """A clear error when the text does not fit the network (or is missing)."""
        if self.interaction is not None:
            if joint_text is None:
                raise ValueError(
                    "the cross-modal branch (l2g) needs the classes' joint text: connect it "
                    "(task.connect(text); the task does it in setup with model.text.encoder set)"
                )
            if joint_text.shape[-1] != self.text_dim:
                raise ValueError(
                    f"text embeddings have {joint_text.shape[-1]} dims, the model expects "
                    f"{self.text_dim}: set model.text_dim"
                )
        if self.jid is not None and k_gt is None:
            raise ValueError(
                "the JID (g2l) needs the classes' key-joint targets k_gt: connect them "
                "(task.connect(text); the task does it in setup with model.text.encoder set)"
            )

    def losses(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        joint_text: torch.Tensor | None = None,
        k_gt: torch.Tensor | None = None,
        distill_weight: float = 0.0,
    ) -> dict[str, torch.Tensor]:
        """The loss parts and their weighted sum `loss` (plus `acc_s`) of a batch
        `x (N, C, T, V, M)`, `y (N,)` (auxiliary class positions), given the classes'
        `joint_text (A, V, D)` and `k_gt (A, V)`. In training mode the cross-modal branch
        gets another class's text with probability `text_swap` (the label stays)."""
        g, c = self.guidance, self.classifier_config
        self.check_text(joint_text, k_gt)
        out = self.forward(x)
        if self.head_kind == "ib":
            z, _, _ = self.classifier.latent(out.pooled)
            logits_s = self.classifier.decoder(z)
            parts = {"loss_s": F.cross_entropy(logits_s, y, label_smoothing=c.label_smoothing)}
            parts["loss_mmd"], parts["loss_zmean"] = ib_losses(z, y, self.classifier.z_prior)
            total = parts["loss_s"] + c.ib_lambda2 * parts["loss_mmd"] + c.ib_lambda1 * parts["loss_zmean"]
        else:
            logits_s = self.classifier(out.pooled)
            parts = {"loss_s": F.cross_entropy(logits_s, y, label_smoothing=c.label_smoothing)}
            total = parts["loss_s"]
        if c.supcon_weight > 0:
            parts["loss_supcon"] = supervised_contrastive(self.embedding_of(out), y, c.supcon_temperature)
            total = total + c.supcon_weight * parts["loss_supcon"]
        if self.jid is not None:
            parts["loss_cal"] = calibration_loss(out.k_out, k_gt[y], g.cal_per_joint_scale)
            total = total + g.w_cal * parts["loss_cal"]
        if self.interaction is not None:
            text_y = y
            classes = joint_text.shape[0]
            if self.training and g.text_swap > 0 and classes > 1:
                other = (y + torch.randint(1, classes, y.shape, device=y.device)) % classes  # any class but y
                text_y = torch.where(torch.rand(y.shape, device=y.device) < g.text_swap, other, y)
            feat_c = self.interaction(joint_text[text_y], out.joint_tokens)
            logits_c = self.classifier(feat_c)
            parts["loss_c"] = F.cross_entropy(logits_c, y, label_smoothing=c.label_smoothing)
            total = total + g.w_c * parts["loss_c"]
            if distill_weight > 0:
                parts["loss_kd"] = self.distillation_loss(logits_s, out.pooled, logits_c, feat_c)
                total = total + distill_weight * parts["loss_kd"]
        parts["loss"] = total
        parts["acc_s"] = (logits_s.argmax(1) == y).float().mean()
        return parts

    def distillation_loss(self, logits_s, feat_s, logits_c, feat_c) -> torch.Tensor:
        """Cross-modal teacher (detached) -> skeleton student: logit KL at temperature
        `t` (times t^2) plus `distill_feature_weight` x (1 - cosine) of the features."""
        t = self.guidance.distill_temperature
        kd = (
            F.kl_div(F.log_softmax(logits_s / t, 1), F.softmax(logits_c.detach() / t, 1), reduction="batchmean") * t * t
        )
        return kd + self.guidance.distill_feature_weight * (1 - F.cosine_similarity(feat_s, feat_c.detach())).mean()


def count_parameters(module: nn.Module | None) -> int:
    return 0 if module is None else sum(p.numel() for p in module.parameters())
