"""MediaPipe's pose model file (`pose_landmarker_full.task`): where it is found, and its
one download.

The model is looked for, in order: the path given (`--pose-model PATH`), the environment
variable `CROSSGLG_POSE_MODEL`, then the user cache (`$CROSSGLG_CACHE`, default
`~/.cache/crossglg`, file `pose_landmarker_full.task`). When none holds it, MediaPipe's
published model is downloaded once into the cache, atomically (a partial download never
takes the file's name), with a progress bar. `CROSSGLG_POSE_MODEL_URL` replaces the address.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from pathlib import Path

from ..errors import CrossGLGError

MODEL_FILE = "pose_landmarker_full.task"
MODEL_URL = (
    "https://storage.googleapis.com/mediapipe-models/pose_landmarker/pose_landmarker_full/float16/latest/"
    "pose_landmarker_full.task"
)


class PoseModelError(CrossGLGError, RuntimeError):
    """The pose model is missing and cannot be fetched, or is not a model file. Not a
    ValueError: it concerns every video, so a command stops instead of skipping each."""


def cache_dir() -> Path:
    """The user cache for the pose model and extracted skeletons."""
    return Path(os.environ.get("CROSSGLG_CACHE") or Path.home() / ".cache" / "crossglg")


def pose_model_path(given: str | Path | None = None, download: bool = True) -> Path:
    """The pose model file (see the module's docstring for the order looked in)."""
    for source, value in (("--pose-model", given), ("CROSSGLG_POSE_MODEL", os.environ.get("CROSSGLG_POSE_MODEL"))):
        if value:
            path = Path(value).expanduser()
            if not path.is_file():
                raise PoseModelError(f"{path}: no pose model file here (given by {source})")
            return path
    cached = cache_dir() / MODEL_FILE
    if cached.is_file():
        return cached
    if not download:
        raise PoseModelError(f"no pose model at {cached}; give --pose-model PATH")
    return fetch(os.environ.get("CROSSGLG_POSE_MODEL_URL") or MODEL_URL, cached)


def fetch(url: str, dest: Path) -> Path:
    """Download `url` to `dest` atomically, with a progress bar."""
    from tqdm import tqdm

    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    try:
        with urllib.request.urlopen(url, timeout=30) as r, open(part, "wb") as f:
            total = int(r.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=f"downloading {dest.name}") as bar:
                for chunk in iter(lambda: r.read(1 << 16), b""):
                    f.write(chunk)
                    bar.update(len(chunk))
        if part.stat().st_size < 1 << 20:
            raise PoseModelError(f"{url}: gave {part.stat().st_size} bytes, not a pose model")
        os.replace(part, dest)
    except (urllib.error.URLError, OSError) as e:
        raise PoseModelError(
            f"the pose model is not at {dest} and could not be downloaded from {url} ({e}); download it on a "
            f"machine with internet and give --pose-model PATH (or set CROSSGLG_POSE_MODEL)"
        ) from None
    finally:
        part.unlink(missing_ok=True)
    return dest
