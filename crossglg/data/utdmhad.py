"""UTD-MHAD skeleton files (`a<A>_s<S>_t<T>_skeleton.mat`, Kinect v1, 20 joints).

Each file holds one variable `d_skel` of shape `(20, 3, T)` (joint, xyz, frame) in
metres. crossglg serves it in the NTU layout: the 20 joints map onto NTU's 25 by
`layout.UTD_TO_NTU` (the five NTU joints Kinect v1 lacks take their nearest
neighbour's position), the second body is zero-filled, and the sequence is centred
on the spine-middle joint of the first frame like NTU.
"""

from __future__ import annotations

import io
import os
import re

import numpy as np
from einops import rearrange

from ..errors import SkeletonFormatError
from .layout import MAX_BODIES, UTD_TO_NTU, centre_on_spine

NAME_RE = re.compile(r"a(\d+)_s(\d+)_t(\d+)")


def parse_utd_name(name: str) -> dict[str, int]:
    """`a3_s1_t2_skeleton.mat` -> action, subject, trial (1-based)."""
    m = NAME_RE.search(os.path.basename(name))
    if m is None:
        raise ValueError(f"{name}: not a UTD-MHAD sample name (expected a<A>_s<S>_t<T>)")
    a, s, t = (int(g) for g in m.groups())
    return {"action": a, "subject": s, "trial": t}


def parse_utd_bytes(data: bytes, path: str = "<memory>") -> np.ndarray:
    """Parse a UTD-MHAD `.mat` file's bytes into `(3, T, 25, 2)` float32, NTU layout."""
    import scipy.io

    try:
        mat = scipy.io.loadmat(io.BytesIO(data))
    except Exception as e:  # scipy raises several types for corrupt files
        raise SkeletonFormatError(path, f"not a readable MATLAB file ({e})") from None
    if "d_skel" not in mat:
        raise SkeletonFormatError(path, "no variable 'd_skel' in the MATLAB file")
    d = np.asarray(mat["d_skel"], dtype=np.float64)
    if d.ndim != 3 or d.shape[0] != 20 or d.shape[1] != 3:
        raise SkeletonFormatError(path, f"d_skel has shape {d.shape}, expected (20, 3, T)")
    if d.shape[2] == 0:
        raise SkeletonFormatError(path, "d_skel has no frames")
    if not np.isfinite(d).all():
        raise SkeletonFormatError(path, "d_skel holds NaN or Inf values")
    frames = rearrange(d[list(UTD_TO_NTU)], "v c t -> t 1 v c")  # one body in the NTU layout
    return centre_on_spine(frames, bodies=MAX_BODIES)
