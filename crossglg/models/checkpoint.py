"""Rebuilding a trained run from its checkpoint (Lightning's format), the one way every
tool and benchmark does it.

A checkpoint stores the task's constructor arguments as its hyper-parameters (the
settings groups of `crossglg.settings` as dicts, plus `num_classes`, `text_dim`,
`persons`) and the DataModule's; `Checkpoint` reads the file once and rebuilds the
network (`network()`, for text-free inference), its evaluation transform's settings
(`data`) or the whole task (`crossglg.task.load_task`). Files that are not crossglg
checkpoints, or were written by a pre-release crossglg with another layout, get one
clear error naming the file.
"""

from __future__ import annotations

import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path

import torch

from ..errors import CheckpointError
from ..settings import GROUPS
from .network import CrossGLGNet

CHECKPOINT_VERSION = 5
#: What a checkpoint's hyper-parameters give the network (the rest is the task's).
NETWORK_KEYS = ("num_classes", "text_dim", "persons", "encoder", "guidance", "classifier")


@dataclass
class Checkpoint:
    """A crossglg checkpoint, read once: `path`, the task's constructor arguments
    `hparams`, the DataModule's `data` settings, the `state_dict` and the `epoch`."""

    path: Path
    hparams: dict
    data: dict
    state_dict: dict
    epoch: int | None

    def network(self) -> CrossGLGNet:
        """The trained network for inference (text-free, in eval mode)."""
        net = CrossGLGNet(**{k: v for k, v in self.hparams.items() if k in NETWORK_KEYS})
        net.load_state_dict(
            {k[len("net.") :]: v for k, v in self.state_dict.items() if k.startswith("net.")}, strict=True
        )
        return net.eval()


def read_checkpoint(path: str | Path, map_location: str = "cpu") -> Checkpoint:
    """The checkpoint at `path`, or a CheckpointError naming the file and what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such checkpoint")
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except (RuntimeError, EOFError, OSError, zipfile.BadZipFile, pickle.UnpicklingError, ValueError) as e:
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise CheckpointError(
            f"{path}: not a readable crossglg checkpoint (damaged or another format: {reason})"
        ) from None
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt:
        raise CheckpointError(f"{path}: not a readable crossglg checkpoint (no state_dict)")
    version = ckpt.get("crossglg_version")
    if version != CHECKPOINT_VERSION:
        raise CheckpointError(
            f"{path}: checkpoint version {version}, this crossglg reads version {CHECKPOINT_VERSION} "
            f"only (a pre-release layout: train the model again)"
        )
    hparams = {k: v for k, v in (ckpt.get("hyper_parameters") or {}).items() if k in GROUPS or k in NETWORK_KEYS}
    return Checkpoint(
        path, hparams, dict(ckpt.get("datamodule_hyper_parameters") or {}), ckpt["state_dict"], ckpt.get("epoch")
    )


def export_checkpoint(src: str | Path, dst: str | Path) -> Path:
    """A slim copy of a training checkpoint for inference and distribution: the weights,
    the task's and the data's settings, the version and the epoch, without the optimiser's
    and the loops' state (a third of the size); written atomically. It serves `enroll`,
    `recognize`, `evaluate` and `test`, not a resumed fit."""
    from ..io import atomic_write_with

    read_checkpoint(src)  # a clear error for a file that is not one
    ckpt = torch.load(src, map_location="cpu", weights_only=True)
    keep = ("state_dict", "hyper_parameters", "datamodule_hyper_parameters", "crossglg_version", "epoch")
    slim = {k: ckpt[k] for k in keep if k in ckpt}
    slim["state_dict"] = {k: v.clone() for k, v in slim["state_dict"].items()}
    return atomic_write_with(dst, lambda f: torch.save(slim, f))


def load_inference_model(path: str | Path, map_location: str = "cpu") -> CrossGLGNet:
    """A trained network for inference (text-free, in eval mode), from a checkpoint."""
    return read_checkpoint(path, map_location).network()
