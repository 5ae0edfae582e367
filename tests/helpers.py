"""Small shared pieces of the tests: the tiny encoder widths, a tiny network and task,
the quiet CPU trainer, the built-in data module at test sizes, and tiny class texts
(no model download)."""

import os
from pathlib import Path

import lightning as L
import numpy as np
import pytest
import torch

from crossglg.data.datamodule import SkeletonDataModule
from crossglg.data.ntu import format_ntu_skeleton
from crossglg.data.recordings import LAYOUTS
from crossglg.models.network import CrossGLGNet
from crossglg.settings import ClassifierConfig, EncoderConfig, GuidanceConfig, LoaderConfig, TransformConfig
from crossglg.task import CrossGLGTask
from crossglg.text.embeddings import text_width

#: The public datasets beside the repository (`../shared/data`), or `$CROSSGLG_SHARED_DATA`.
SHARED_DATA = Path(os.environ.get("CROSSGLG_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))

UTD_DIR = SHARED_DATA / "utd-mhad" / "Skeleton"
NTU_META = SHARED_DATA / "ntu"
needs_utd = pytest.mark.skipif(not UTD_DIR.is_dir(), reason=f"UTD-MHAD not found at {UTD_DIR} (shared data absent)")
needs_ntu_meta = pytest.mark.skipif(not NTU_META.is_dir(), reason=f"NTU metadata not found at {NTU_META}")


def person(seed: int, t: int, scale: float = 1.0, offset=(0.0, 0.0, 3.0), motion: float = 0.05) -> np.ndarray:
    """A plausible upright body `(t, 25, 3)`: tall (y spread) and narrow (x spread)."""
    rng = np.random.default_rng(seed)
    base = np.stack([rng.uniform(-0.2, 0.2, 25), np.linspace(-0.9, 0.8, 25), rng.uniform(-0.1, 0.1, 25)], 1) * scale
    wave = motion * np.sin(np.linspace(0, 3, t))[:, None, None] * rng.normal(size=(1, 25, 3))
    return np.round(base[None] + wave + np.asarray(offset), 5)


def write_skeleton(path, frames) -> str:
    path.write_text(format_ntu_skeleton(frames))
    return str(path)


#: Encoder widths small enough for a CPU test (two temporal strides, as the real ones).
TINY = {"widths": [8, 8, 8, 16, 16, 16, 16, 16, 16]}
TINY_ARG = '--model.encoder.args={"widths": [8, 8, 8, 16, 16, 16, 16, 16, 16]}'


def groups(encoder: dict | None = None, guidance: dict | None = None, classifier: dict | None = None, **other) -> dict:
    """Settings groups at the test sizes (tiny widths, a small JID and interaction),
    with the given fields of each group on top."""
    return dict(
        encoder={"name": "infogcn_lite", "args": TINY, **(encoder or {})},
        guidance={"jid_hidden": 8, "interaction_heads": 2, **(guidance or {})},
        classifier=dict(classifier or {}),
        **other,
    )


def tiny_net(num_classes: int = 4, text_dim: int = 32, **settings) -> CrossGLGNet:
    """A CrossGLG network on the tiny widths: 4 auxiliary classes, 32-dim text;
    `settings` by group, e.g. `guidance={"g2l": False}` (see `groups`)."""
    g = groups(**settings)
    return CrossGLGNet(
        num_classes,
        text_dim,
        encoder=EncoderConfig(**g["encoder"]),
        guidance=GuidanceConfig(**g["guidance"]),
        classifier=ClassifierConfig(**g["classifier"]),
    )


def tiny_datamodule(cache, **kw) -> SkeletonDataModule:
    """The built-in data of the session's `builtin_cache` at test sizes (T=16, batches of
    32); `kw` flat, each setting routed to its group (`window=8`, `eval_batch_size=50`)."""
    args, transform, loader = {"cache_dir": str(cache.path)}, {"window": 16}, {"batch_size": 32}
    for k, v in kw.items():
        if k in TransformConfig.__dataclass_fields__:
            transform[k] = v
        elif k in LoaderConfig.__dataclass_fields__:
            loader[k] = v
        else:
            args[k] = v
    return SkeletonDataModule("builtin", transform=transform, loader=loader, **args)


def tiny_task(
    dm: SkeletonDataModule | None = None, text_encoder=None, embedding_cache=None, **settings
) -> CrossGLGTask:
    """A CrossGLG task on the tiny widths, with the sentence encoder `text_encoder`
    (None: no text), sized for `dm` (its classes and persons, the encoder's width) so that
    its network exists before it meets its data; `settings` by group (`guidance={...}`,
    `optimiser={...}`, `evaluation={...}`)."""
    args = groups(**settings)
    args["text"] = dict(encoder=text_encoder, embedding_cache=None if embedding_cache is None else str(embedding_cache))
    if dm is not None:
        args.update(
            num_classes=dm.count_aux_classes(),
            text_dim=text_width(text_encoder) if text_encoder else 0,
            persons=dm.hparams.persons,
        )
    return CrossGLGTask(**args)


def tiny_trainer(root, **kw) -> L.Trainer:
    """A quiet one-process CPU trainer writing under `root` (no logger, progress bar or
    model summary; the samplers shard by themselves)."""
    args = dict(
        accelerator="cpu",
        devices=1,
        default_root_dir=str(root),
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        use_distributed_sampler=False,
    )
    args.update(kw)
    return L.Trainer(**args)


def tiny_text(classes: int = 4, dim: int = 32, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """`(joint_text (A, V, D), k_gt (A, V))`: random sentence embeddings, and key joints
    8-11 (the right arm) for every class."""
    g = torch.Generator().manual_seed(seed)
    kg = torch.zeros(classes, 25)
    kg[:, [8, 9, 10, 11]] = 0.25
    return torch.randn(classes, 25, dim, generator=g), kg


#: What `RecordResume` saw: (epoch, lr, momentum buffers by parameter index, state dict).
RESUMED: list = []


class RecordResume(L.Callback):
    """A Lightning callback (given to the CLI as `helpers.RecordResume`) that records,
    at the start of each training epoch, the epoch, the learning rate, the optimiser's
    momentum buffers and the model's weights."""

    def on_train_epoch_start(self, trainer, pl_module):
        opt = trainer.optimizers[0]
        state = opt.state_dict()["state"]
        RESUMED.append(
            (
                trainer.current_epoch,
                opt.param_groups[0]["lr"],
                {i: s["momentum_buffer"].clone() for i, s in state.items()},
                {k: v.clone() for k, v in pl_module.state_dict().items()},
            )
        )


def counterparts(layout: str) -> dict[int, int]:
    """NTU joint -> the one source joint that alone gives it, where the source joint
    gives no other NTU joint by itself first (the joints a round trip must keep)."""
    owner = {}
    for v, src in enumerate(LAYOUTS[layout].sources):
        if len(src) == 1 and src[0] not in owner.values():
            owner[v] = src[0]
    return owner


def write_as(layout: str, ntu: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """The pose in a layout's joint order and axes, `(T, J, 3)`, times `scale`."""
    spec = LAYOUTS[layout]
    src = np.repeat(ntu[:, 1:2], len(spec.joints), axis=1)  # joints without a counterpart: somewhere finite
    for v, j in counterparts(layout).items():
        src[:, j] = ntu[:, v]
    return src * np.asarray(spec.axis_signs) * scale


def train_tiny_checkpoint(cache, encoder, tmp: Path, seed: int) -> Path:
    """A tiny task fitted for 2 steps; its `last.ckpt`."""
    L.seed_everything(seed)
    dm = tiny_datamodule(cache)
    m = tiny_task(dm, encoder, tmp / "emb")
    t = tiny_trainer(
        tmp,
        max_epochs=1,
        limit_train_batches=2,
        limit_val_batches=0,
        callbacks=[L.pytorch.callbacks.ModelCheckpoint(dirpath=tmp / f"ck{seed}", save_last=True)],
    )
    t.fit(m, dm)
    return tmp / f"ck{seed}" / "last.ckpt"
