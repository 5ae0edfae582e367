"""Writing files so that a reader sees the old content or the new, never half: every
file crossglg writes (caches, descriptions, galleries, results, plots) goes through
here. The data go to a hidden temporary file beside the target, are flushed to disk,
and replace the target in one `os.replace`; on any failure the temporary file is
removed and the target is left as it was."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np


def atomic_write_with(path: str | Path, write: Callable[[BinaryIO], None]) -> Path:
    """Call `write(fh)` on a temporary binary file, then move it onto `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | Path, data: str | bytes) -> Path:
    """Write text (UTF-8) or bytes atomically."""
    raw = data if isinstance(data, bytes) else data.encode("utf-8")
    return atomic_write_with(path, lambda fh: fh.write(raw))


def atomic_save_npy(path: str | Path, array: np.ndarray) -> Path:
    """`np.save` atomically."""
    buf = io.BytesIO()
    np.save(buf, array)
    return atomic_write_text(path, buf.getvalue())


def atomic_save_figure(fig, path: str | Path, **savefig_args) -> Path:
    """A matplotlib figure as PNG, atomically."""
    return atomic_write_with(path, lambda fh: fig.savefig(fh, format="png", **savefig_args))


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of a file's bytes, read in 1 MiB chunks."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
