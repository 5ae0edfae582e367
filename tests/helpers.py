"""Small shared pieces of the tests: the tiny encoder widths, a tiny network, and
tiny class texts (no model download, no data)."""

import os
from pathlib import Path

import lightning as L
import numpy as np
import torch

from crossglg.data.recordings import LAYOUTS
from crossglg.models.network import CrossGLGNet

#: The public datasets beside the repository (`../shared/data`), or `$CROSSGLG_SHARED_DATA`.
SHARED_DATA = Path(os.environ.get("CROSSGLG_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))

#: Encoder widths small enough for a CPU test (two temporal strides, as the real ones).
TINY = {"widths": [8, 8, 8, 16, 16, 16, 16, 16, 16]}
TINY_ARG = '--model.encoder_args={"widths": [8, 8, 8, 16, 16, 16, 16, 16, 16]}'


def tiny_net(**kw) -> CrossGLGNet:
    """A CrossGLG network on the tiny widths: 4 auxiliary classes, 32-dim text."""
    args = dict(num_classes=4, text_dim=32, encoder="infogcn_lite", encoder_args=TINY, jid_hidden=8,
                interaction_heads=2)
    args.update(kw)
    return CrossGLGNet(**args)


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
        RESUMED.append((trainer.current_epoch, opt.param_groups[0]["lr"],
                        {i: s["momentum_buffer"].clone() for i, s in state.items()},
                        {k: v.clone() for k, v in pl_module.state_dict().items()}))


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
