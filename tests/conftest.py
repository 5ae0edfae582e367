import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("WANDB_MODE", "offline")

import numpy as np
import pytest

from crossglg.data.datasets import SHARED_DATA
from crossglg.data.ntu import format_ntu_skeleton

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


@pytest.fixture(scope="session")
def builtin_cache(tmp_path_factory):
    """The built-in data set generated and prepared once per test session."""
    from crossglg.data.datamodule import ensure_cache

    root = tmp_path_factory.mktemp("data")
    return ensure_cache("builtin", root, workers=2, progress=False)
