"""Transforms on one sample `(C, T, V, M)`: temporal crop and resize, random
rotation, and the bone and motion streams. Each random transform takes a numpy
Generator, so a fixed seed reproduces the same batch."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .layout import NTU_PARENT

STREAMS = ("joint", "bone", "motion", "bone_motion")


def resize_time(x: np.ndarray, length: int) -> np.ndarray:
    """Linear interpolation along time: `(C, T, V, M)` -> `(C, length, V, M)`."""
    t = x.shape[1]
    if t == length:
        return x.copy()
    if t == 1:
        return np.repeat(x, length, axis=1)
    pos = np.linspace(0, t - 1, length)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, t - 1)
    w = (pos - lo)[None, :, None, None].astype(x.dtype)
    return x[:, lo] * (1 - w) + x[:, hi] * w


def crop_resize(
    x: np.ndarray, length: int, rng: np.random.Generator | None = None, min_ratio: float = 0.5, test_ratio: float = 0.95
) -> np.ndarray:
    """Random crop of `min_ratio`..100 % of the frames (train, with `rng`) or the
    central `test_ratio` (test, `rng=None`), resized to `length` frames."""
    t = x.shape[1]
    if rng is None:
        keep = max(1, int(round(t * test_ratio)))
        start = (t - keep) // 2
    else:
        keep = max(1, int(round(t * rng.uniform(min_ratio, 1.0))))
        start = int(rng.integers(0, t - keep + 1))
    return resize_time(x[:, start : start + keep], length)


def rx(t: float) -> np.ndarray:
    """Rotation by `t` radians about the x axis (right-handed)."""
    c, s = np.cos(t), np.sin(t)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def ry(t: float) -> np.ndarray:
    """Rotation by `t` radians about the y axis (right-handed)."""
    c, s = np.cos(t), np.sin(t)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def rz(t: float) -> np.ndarray:
    """Rotation by `t` radians about the z axis (right-handed)."""
    c, s = np.cos(t), np.sin(t)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def rotation_matrix(ax: float, ay: float, az: float) -> np.ndarray:
    """`rz(az) @ ry(ay) @ rx(ax)`."""
    return rz(az) @ ry(ay) @ rx(ax)


def random_rotate(x: np.ndarray, rng: np.random.Generator, max_angle: float = 0.3) -> np.ndarray:
    """Rotate every frame by one random rotation (angles uniform in +-max_angle rad)."""
    r = rotation_matrix(*rng.uniform(-max_angle, max_angle, 3)).astype(x.dtype)
    return np.einsum("ij,jtvm->itvm", r, x)


def to_stream(x: np.ndarray, stream: str) -> np.ndarray:
    """`joint` (as is), `bone` (joint minus its parent), `motion` (frame difference),
    `bone_motion`."""
    if stream not in STREAMS:
        raise ValueError(f"unknown stream {stream!r}; known: {', '.join(STREAMS)}")
    if stream in ("bone", "bone_motion"):
        x = x - x[:, :, list(NTU_PARENT)]
    if stream in ("motion", "bone_motion"):
        m = np.zeros_like(x)
        m[:, :-1] = x[:, 1:] - x[:, :-1]
        x = m
    return x


@dataclass(frozen=True)
class SampleTransform:
    """The transform pipeline of one split: crop/resize, rotation (train), stream."""

    window: int = 64
    train: bool = True
    rotation: float = 0.3
    min_crop: float = 0.5
    test_crop: float = 0.95
    stream: str = "joint"
    persons: int = 2

    def __call__(self, x: np.ndarray, rng: np.random.Generator | None) -> np.ndarray:
        x = x[..., : self.persons]
        if self.train and rng is not None:
            x = crop_resize(x, self.window, rng, self.min_crop)
            if self.rotation > 0:
                x = random_rotate(x, rng, self.rotation)
        else:
            x = crop_resize(x, self.window, None, test_ratio=self.test_crop)
        return np.ascontiguousarray(to_stream(x, self.stream), dtype=np.float32)
