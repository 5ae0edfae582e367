"""Frames where the tracker lost the body, repaired before a recording is used.

Kinect exports write all-zero joints for a frame whose tracking was lost, and pose
estimators leave NaN where they found no person. A frame is *lost* when more than half
of the first body's joints are exactly `(0, 0, 0)` or any of its joints is not finite.
`repair_lost_frames` trims lost frames at the ends, interpolates interior gaps of at most
`MAX_GAP` frames linearly, cuts longer gaps out, and says what it did; it refuses a
recording only when fewer than `MIN_GOOD_FRAMES` good frames remain.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_GAP = 15  # frames (half a second at 30 fps): longer gaps are cut out, not invented
MIN_GOOD_FRAMES = 10


@dataclass(frozen=True)
class Repair:
    """What `repair_lost_frames` did to a recording of `frames` frames."""

    frames: int
    lost: int
    interpolated: int
    trimmed: int  # lost frames at the start and the end
    cut: int  # lost frames in interior gaps longer than MAX_GAP

    def __str__(self) -> str:
        done = [
            f"{n} {what}"
            for n, what in (
                (self.trimmed, "trimmed at the ends"),
                (self.interpolated, "interpolated"),
                (self.cut, f"cut out (gaps over {MAX_GAP} frames)"),
            )
            if n
        ]
        return f"{self.lost} of {self.frames} frames had lost tracking: {', '.join(done)}"


def lost_frames(raw: np.ndarray) -> np.ndarray:
    """`(M, T, J, 3)` -> `(T,)` bool: the frames whose first body is lost (see the module)."""
    body = raw[0]
    zero = (body == 0).all(-1).sum(-1) > body.shape[1] / 2
    return zero | ~np.isfinite(body).all((-1, -2))


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """The `[start, stop)` runs of True in a 1-D bool array."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def repair_lost_frames(raw: np.ndarray, min_good: int = MIN_GOOD_FRAMES) -> tuple[np.ndarray, Repair | None]:
    """`(M, T, J, 3)` -> the repaired `(M, T', J, 3)` and what was done (None when no frame
    was lost). Raises ValueError when fewer than `min_good` good frames remain."""
    lost = lost_frames(raw)
    if not lost.any():
        return raw, None
    good = np.flatnonzero(~lost)
    if len(good) < min_good:
        raise ValueError(
            f"{int(lost.sum())} of {len(lost)} frames had lost tracking (joints all zero, or NaN or Inf); "
            f"{len(good)} good frame(s) remain, at least {min_good} are needed"
        )
    first, last = good[0], good[-1] + 1
    out = raw[:, first:last].copy()
    inner = lost[first:last]
    keep = np.ones(len(inner), bool)
    interpolated = cut = 0
    for start, stop in _runs(inner):
        n = stop - start
        if n > MAX_GAP:
            keep[start:stop] = False
            cut += n
            continue
        w = (np.arange(1, n + 1) / (n + 1))[None, :, None, None]  # (1, n, 1, 1)
        out[:, start:stop] = (1 - w) * out[:, start - 1 : start] + w * out[:, stop : stop + 1]
        interpolated += n
    trimmed = int(lost.sum()) - interpolated - cut
    return out[:, keep], Repair(len(lost), int(lost.sum()), interpolated, trimmed, cut)
