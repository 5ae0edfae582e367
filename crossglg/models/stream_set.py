"""The model that inference uses: one trained checkpoint, or a stream set, several
checkpoints of one recipe trained on different input streams (joint, bone, joint motion,
bone motion) that serve as one model.

A stream set is a folder of checkpoints (`*.ckpt`), optionally with `streams.json`
naming them and their weights, `{"members": [{"checkpoint": "joint.ckpt", "weight": 1.0},
...]}`. Each member embeds a recording from its own stream; the fused embedding is the
members' L2-normalised embeddings, each scaled by the square root of its weight, side
by side, so that its cosine similarity is the weighted mean of the members' cosine
similarities (`sum_s w_s cos_s / sum_s w_s`): nearest-exemplar matching, galleries and
the one-shot evaluation work on it unchanged. A single checkpoint is a set of one whose
embedding is the network's own.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..data.transforms import SampleTransform
from ..errors import CheckpointError
from .checkpoint import read_checkpoint
from .network import CrossGLGNet

STREAMS_FILE = "streams.json"


@dataclass
class Member:
    """One checkpoint of a set: its network, its evaluation transform, its stream and weight."""

    path: Path
    net: CrossGLGNet
    transform: SampleTransform
    stream: str
    weight: float = 1.0


def member_of(path: str | Path, weight: float = 1.0) -> Member:
    """A checkpoint as a member: the network for inference and the evaluation transform
    of the data it was trained on (window, persons, stream)."""
    from ..settings import TransformConfig, as_group

    ckpt = read_checkpoint(path)
    t = as_group(TransformConfig, ckpt.data.get("transform"))
    transform = SampleTransform(window=t.window, train=False, stream=t.stream, persons=ckpt.data.get("persons", 2))
    return Member(Path(path), ckpt.network(), transform, t.stream, float(weight))


class InferenceModel:
    """One checkpoint or a stream set (see the module's docstring).

    `prepare(raw (C, T, V, M))` gives every member's input `(S, C, T', V, M')`;
    `embed(x (N, S, C, T', V, M'))` the fused embedding `(N, D)`."""

    def __init__(self, members: list[Member], source: str | Path):
        if not members:
            raise CheckpointError(f"{source}: no checkpoints (*.ckpt) in the stream set")
        if any(m.weight <= 0 for m in members):
            raise CheckpointError(f"{source}: every member's weight must be positive")
        shapes = {(m.transform.window, m.transform.persons) for m in members}
        if len(shapes) > 1:
            raise CheckpointError(
                f"{source}: the members differ in window or persons {sorted(shapes)}; "
                "a stream set is one recipe trained on several streams"
            )
        self.members, self.source = members, Path(source)

    @property
    def streams(self) -> list[str]:
        return [m.stream for m in self.members]

    @property
    def single(self) -> CrossGLGNet | None:
        """The network of a one-checkpoint model (None for a set of several)."""
        return self.members[0].net if len(self.members) == 1 else None

    @property
    def dim(self) -> int:
        return sum(m.net.encoder.out_channels for m in self.members)

    def fingerprint(self) -> str:
        """Hash of the inference weights (encoder + JID) of every member, with their
        streams and weights: galleries are tied to it."""
        from ..recognition import model_fingerprint

        if self.single is not None:
            return model_fingerprint(self.single)
        h = hashlib.sha1()
        for m in self.members:
            h.update(f"{m.stream}:{m.weight}:{model_fingerprint(m.net)}".encode())
        return h.hexdigest()[:16]

    def prepare(self, raw: np.ndarray) -> np.ndarray:
        """`raw (C, T, V, M)` -> `(S, C, T', V, M')`, one row per member's stream."""
        return np.stack([m.transform(raw, None) for m in self.members])

    @torch.no_grad()
    def embed_members(self, x: torch.Tensor) -> list[torch.Tensor]:
        """`x (N, S, C, T, V, M)` -> each member's own embedding `(N, C_s)`."""
        return [m.net.embed(x[:, s]).float() for s, m in enumerate(self.members)]

    @torch.no_grad()
    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """`x (N, S, C, T, V, M)` -> `(N, D)`: one checkpoint's embedding as it is; a
        set's members' normalised embeddings, scaled by the square roots of their weights."""
        parts = self.embed_members(x)
        if len(parts) == 1:
            return parts[0]
        return torch.cat([F.normalize(e, dim=1) * math.sqrt(m.weight) for e, m in zip(parts, self.members)], 1)


def load_inference_model(path: str | Path) -> InferenceModel:
    """A checkpoint file, or a stream-set folder (`*.ckpt`, optionally `streams.json`)."""
    path = Path(path)
    if path.is_dir():
        spec = path / STREAMS_FILE
        if spec.is_file():
            try:
                entries = json.loads(spec.read_text())["members"]
                members = [member_of(path / e["checkpoint"], e.get("weight", 1.0)) for e in entries]
            except (json.JSONDecodeError, KeyError, TypeError) as e:
                raise CheckpointError(
                    f'{spec}: not a stream set ({e}); expected {{"members": [{{"checkpoint": FILE, "weight": W}}]}}'
                ) from None
        else:
            members = [member_of(p) for p in sorted(path.glob("*.ckpt"))]
        return InferenceModel(members, path)
    return InferenceModel([member_of(path)], path)


def write_stream_set(folder: str | Path, checkpoints: dict[str, str | Path], weights: dict[str, float] | None = None):
    """Gather `checkpoints` (`{name: path}`) into a stream-set folder: each copied as
    `<name>.ckpt`, and `streams.json` with their weights (default 1); returns the folder."""
    import shutil

    from ..io import atomic_write_text

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    members = []
    for name, src in checkpoints.items():
        read_checkpoint(src)  # a clear error before anything is written
        shutil.copyfile(src, folder / f"{name}.ckpt")
        members.append({"checkpoint": f"{name}.ckpt", "weight": float((weights or {}).get(name, 1.0))})
    atomic_write_text(folder / STREAMS_FILE, json.dumps({"members": members}, indent=1))
    return folder
