"""PKU-MMD (phase II) continuous recordings, cut into action segments.

A skeleton file holds one long recording: each row one frame of 150 values, two
people x 25 joints (NTU / Kinect v2 layout) x (x, y, z), the second person
zero-filled when absent. Its label file (same file name, in the label folder) has
one row per action: `action_id, start_frame, end_frame, confidence`.

Segments are cut as `frames[start:end]` (0-based start, exclusive end, the slicing
the field's PKU-MMD preprocessing uses) and named `<recording>_<k>`, k the 1-based row
of the label file (`A10N01-L_5` is the 5th action of recording `A10N01-L`). A label
row that points past the recording's end is an error naming the label file and row.
Each segment is centred like NTU (spine-middle joint of its first frame), and
frames where nobody is present are dropped.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import SkeletonFormatError
from .layout import MAX_BODIES, NUM_JOINTS, centre_on_spine


def parse_pku_skeleton(text: str, path: str = "<memory>") -> np.ndarray:
    """Rows of 150 values -> `(T, 2, 25, 3)` float64."""
    rows = [ln for ln in text.splitlines()]
    if not any(r.strip() for r in rows):
        raise SkeletonFormatError(path, "empty file")
    out = []
    for i, row in enumerate(rows):
        if not row.strip():
            continue
        fields = row.split()
        if len(fields) != 150:
            raise SkeletonFormatError(
                path, f"row has {len(fields)} values, expected 150 (2 people x 25 joints x 3)", i + 1
            )
        try:
            vals = np.array(fields, dtype=np.float64)
        except ValueError:
            bad = next(f for f in fields if not _is_float(f))
            raise SkeletonFormatError(path, f"non-numeric value {bad!r}", i + 1) from None
        if not np.isfinite(vals).all():
            raise SkeletonFormatError(path, "NaN or Inf coordinate", i + 1)
        out.append(vals)
    return np.stack(out).reshape(-1, MAX_BODIES, NUM_JOINTS, 3)


def _is_float(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def parse_pku_labels(text: str, num_frames: int, path: str = "<memory>") -> list[tuple[int, int, int]]:
    """Label rows -> `(action_id, start, end)`; checks they lie inside the recording."""
    segs = []
    for i, row in enumerate(text.splitlines()):
        if not row.strip():
            continue
        fields = [f.strip() for f in row.replace(",", " ").split()]
        if len(fields) < 3:
            raise SkeletonFormatError(
                path, f"label row has {len(fields)} fields, expected action_id,start,end,confidence", i + 1
            )
        try:
            action, start, end = (int(float(f)) for f in fields[:3])
        except ValueError:
            raise SkeletonFormatError(path, f"non-numeric label field in {row.strip()!r}", i + 1) from None
        if not 0 <= start < end:
            raise SkeletonFormatError(path, f"segment [{start}, {end}) is empty or negative", i + 1)
        if end > num_frames:
            raise SkeletonFormatError(
                path, f"segment ends at frame {end}, past the recording's end ({num_frames} frames)", i + 1
            )
        segs.append((action, start, end))
    if not segs:
        raise SkeletonFormatError(path, "label file has no rows")
    return segs


def centre_segment(seg: np.ndarray) -> np.ndarray | None:
    """`(T, M, V, 3)` -> centred `(3, T', V, M)` float32 without empty frames, or None if empty."""
    present = np.abs(seg).sum(axis=(2, 3)) > 0  # (T, M)
    keep = present.any(1)
    seg, present = seg[keep], present[keep]
    if len(seg) == 0:
        return None
    return centre_on_spine(seg, present)


def label_path_for(skeleton_path: str | os.PathLike, label_dir: str | os.PathLike) -> Path:
    return Path(label_dir) / Path(skeleton_path).name


def read_pku_recording(skeleton_path: str | os.PathLike, label_path: str | os.PathLike, data: bytes | None = None):
    """Cut one recording into segments: a list of `(name, action_id, array (3, T, 25, 2))`."""
    skeleton_path, label_path = str(skeleton_path), str(label_path)
    if data is None:
        data = Path(skeleton_path).read_bytes()
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as e:
        raise SkeletonFormatError(skeleton_path, f"not a text file (undecodable byte at offset {e.start})") from None
    frames = parse_pku_skeleton(text, skeleton_path)
    if not os.path.exists(label_path):
        raise SkeletonFormatError(skeleton_path, f"no label file (looked for {label_path})")
    segs = parse_pku_labels(Path(label_path).read_text(), len(frames), label_path)
    video = Path(skeleton_path).stem
    out = []
    for k, (action, start, end) in enumerate(segs, 1):
        arr = centre_segment(frames[start:end])
        if arr is None:
            raise SkeletonFormatError(label_path, f"segment {k} [{start}, {end}) has no body in any frame", k)
        out.append((f"{video}_{k}", action, arr))
    return out
