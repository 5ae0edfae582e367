"""Reading crossglg checkpoints (Lightning's format) for text-free inference.

Version 4 stores the settings as the groups of `crossglg.settings` (`encoder`,
`guidance`, `classifier`, `optimiser`, `evaluation`); versions 1-3 stored them as flat
arguments, which `settings.grouped` maps onto the groups. Versions 3 and 4 store the
network under `net.`; versions 1 and 2 (written before the network and the training
task were apart) stored it at the top level, and version 1 called today's
`infogcn_lite` `infogcn`. All four load; other versions and files that are not
crossglg checkpoints are refused with a one-line error.
"""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import torch

from .network import CrossGLGNet
from ..errors import CheckpointError
from ..settings import GROUPS, grouped

CHECKPOINT_VERSION = 4
READABLE_VERSIONS = (1, 2, 3, 4)
#: What a checkpoint's hyper-parameters give the network (the rest is the task's).
NETWORK_KEYS = ("num_classes", "text_dim", "persons", "encoder", "guidance", "classifier")


def read_checkpoint(path: str | Path, map_location: str = "cpu") -> dict:
    """The checkpoint dict, or a CheckpointError naming the file and what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such checkpoint")
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except (RuntimeError, EOFError, OSError, zipfile.BadZipFile, pickle.UnpicklingError, ValueError) as e:
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise CheckpointError(f"{path}: not a readable crossglg checkpoint (damaged or another format: {reason})") from None
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt:
        raise CheckpointError(f"{path}: not a readable crossglg checkpoint (no state_dict)")
    version = ckpt.get("crossglg_version")
    if version not in READABLE_VERSIONS:
        raise CheckpointError(f"{path}: checkpoint version {version}, this crossglg reads versions "
                              f"{', '.join(map(str, READABLE_VERSIONS))}")
    return ckpt


def upgrade_state_dict(state: dict, version: int) -> dict:
    """A version 1/2 state dict (network at the top level) in version 3's layout."""
    if version >= 3:
        return state
    return {k if k.startswith("net.") else f"net.{k}": v for k, v in state.items()}


def task_arguments(hparams: dict, version: int) -> dict:
    """The task's constructor arguments (settings as groups) from a checkpoint's
    hyper-parameters of any readable version."""
    hp = dict(hparams)
    if version < 4:
        if version == 1 and hp.get("encoder", "infogcn") == "infogcn":
            hp["encoder"] = "infogcn_lite"
        hp = grouped(hp)
        if "milestones" in hp.get("optimiser", {}) and hp["optimiser"]["milestones"] is None:
            del hp["optimiser"]["milestones"]  # versions 1-3 wrote None for the default
    return {k: v for k, v in hp.items() if k in GROUPS or k in NETWORK_KEYS}


def network_arguments(hparams: dict, version: int) -> dict:
    """The network's constructor arguments from a checkpoint's hyper-parameters."""
    return {k: v for k, v in task_arguments(hparams, version).items() if k in NETWORK_KEYS}


def load_inference_model(path: str | Path, map_location: str = "cpu") -> CrossGLGNet:
    """A trained network for inference (text-free, in eval mode), from a checkpoint."""
    ckpt = read_checkpoint(path, map_location)
    version = ckpt["crossglg_version"]
    net = CrossGLGNet(**network_arguments(ckpt.get("hyper_parameters", {}), version))
    state = upgrade_state_dict(ckpt["state_dict"], version)
    net.load_state_dict({k[len("net."):]: v for k, v in state.items() if k.startswith("net.")}, strict=True)
    return net.eval()
