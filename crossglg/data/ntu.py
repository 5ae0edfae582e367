"""NTU RGB+D 60/120 raw `.skeleton` files: parsing, body selection and centring.

File format (one file per sample, named `SsssCcccPpppRrrrAaaa.skeleton`): the frame
count; then per frame the body count; per body one line of 10 values (tracking id,
clipped edges, hand confidences and states, restricted, lean x, lean y, tracking
state), the joint count (25) and 25 lines of 12 values (x y z, depth x y, colour x y,
orientation w x y z, tracking state).

Body selection follows the field's usual NTU denoising:

1. bodies seen in at most `min_frames` frames are dropped (short-lived noise);
2. bodies whose x extent is wider than `spread_ratio` x their y extent in more than
   `noisy_frame_fraction` of their frames are dropped (objects, not people);
3. the rest are ranked by motion energy (sum of the per-coordinate variance over
   time); the most active takes slot 0; each following body joins the first slot
   whose frames it does not overlap (a body re-tracked under a new id continues its
   slot), or is dropped;
4. frames where no kept body is present are removed;
5. everything is centred on the spine-middle joint of the first frame (slot 0, or
   slot 1 when slot 0 is absent there); zero-filled (absent) bodies stay zero.

If a rule would drop every body, the rule is not applied (a short or unusual
recording still yields its best body).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import numpy as np

from ..errors import SkeletonFormatError
from .layout import MAX_BODIES, NUM_JOINTS, centre_on_spine

NAME_RE = re.compile(r"S(\d{3})C(\d{3})P(\d{3})R(\d{3})A(\d{3})")


@dataclass(frozen=True)
class BodySelection:
    """Parameters of body selection; recorded in every cache manifest."""

    min_frames: int = 11
    spread_ratio: float = 0.8
    noisy_frame_fraction: float = 0.69754
    max_bodies: int = MAX_BODIES


def parse_ntu_name(name: str) -> dict[str, int]:
    """`S001C002P003R002A013` -> setup, camera, performer, replication, action (all 1-based)."""
    m = NAME_RE.search(os.path.basename(name))
    if m is None:
        raise ValueError(f"{name}: not an NTU sample name (expected SsssCcccPpppRrrrAaaa)")
    s, c, p, r, a = (int(g) for g in m.groups())
    return {"setup": s, "camera": c, "performer": p, "replication": r, "action": a}


def _bad_joint_line(path, lines, start) -> SkeletonFormatError:
    """Locate the first bad line of a 25-line joint block and explain it."""
    for k in range(NUM_JOINTS):
        ln = start + k
        fields = lines[ln].split()
        if len(fields) != 12:
            return SkeletonFormatError(path, f"joint line has {len(fields)} values, expected 12", ln + 1)
        for f in fields:
            try:
                v = float(f)
            except ValueError:
                return SkeletonFormatError(path, f"non-numeric joint value {f!r}", ln + 1)
            if not np.isfinite(v):
                return SkeletonFormatError(path, f"non-finite joint value {f!r}", ln + 1)
    return SkeletonFormatError(path, "malformed joint block", start + 1)


def parse_bodies(text: str, path: str = "<memory>") -> tuple[int, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """Parse the text of a `.skeleton` file.

    Returns the frame count and, per body tracking id, `(frames (n,), xyz (n, 25, 3))`.
    Raises SkeletonFormatError naming the file and line for malformed input.
    """
    lines = text.splitlines()
    n = len(lines)
    if not text.strip():
        raise SkeletonFormatError(path, "empty file")

    def integer(i: int, what: str) -> int:
        if i >= n:
            raise SkeletonFormatError(path, f"file ends early (truncated): expected {what}", i + 1)
        s = lines[i].strip()
        try:
            return int(s)
        except ValueError:
            raise SkeletonFormatError(path, f"expected {what} (an integer), found {s[:40]!r}", i + 1) from None

    num_frames = integer(0, "the frame count")
    if num_frames < 0:
        raise SkeletonFormatError(path, f"negative frame count {num_frames}", 1)
    frames: dict[str, list[int]] = {}
    coords: dict[str, list[np.ndarray]] = {}
    i = 1
    for f in range(num_frames):
        nb = integer(i, f"the body count of frame {f + 1}")
        if nb < 0:
            raise SkeletonFormatError(path, f"negative body count {nb}", i + 1)
        i += 1
        for _ in range(nb):
            if i >= n:
                raise SkeletonFormatError(path, "file ends early (truncated): expected a body info line", i + 1)
            info = lines[i].split()
            if len(info) != 10:
                raise SkeletonFormatError(path, f"body info line has {len(info)} values, expected 10", i + 1)
            body_id = info[0]
            i += 1
            nj = integer(i, "the joint count")
            if nj != NUM_JOINTS:
                raise SkeletonFormatError(path, f"joint count is {nj}, expected {NUM_JOINTS}", i + 1)
            i += 1
            if i + NUM_JOINTS > n:
                raise SkeletonFormatError(path, "file ends early (truncated) inside a joint block", n)
            try:
                vals = np.array(" ".join(lines[i : i + NUM_JOINTS]).split(), dtype=np.float64)
            except ValueError:
                raise _bad_joint_line(path, lines, i) from None
            if vals.size != NUM_JOINTS * 12:
                raise _bad_joint_line(path, lines, i)
            xyz = vals.reshape(NUM_JOINTS, 12)[:, :3]
            if not np.isfinite(xyz).all():
                raise _bad_joint_line(path, lines, i)
            seen = frames.setdefault(body_id, [])
            if not seen or seen[-1] != f:  # a repeated id within one frame keeps its first entry
                seen.append(f)
                coords.setdefault(body_id, []).append(xyz)
            i += NUM_JOINTS
    for j in range(i, n):
        if lines[j].strip():
            raise SkeletonFormatError(path, "unexpected content after the last frame", j + 1)
    bodies = {b: (np.asarray(frames[b]), np.stack(coords[b])) for b in frames}
    return num_frames, bodies


def _noisy_by_spread(xyz: np.ndarray, sel: BodySelection) -> bool:
    x_spread = xyz[:, :, 0].max(1) - xyz[:, :, 0].min(1)
    y_spread = xyz[:, :, 1].max(1) - xyz[:, :, 1].min(1)
    noisy = x_spread > sel.spread_ratio * y_spread
    return float(noisy.mean()) > sel.noisy_frame_fraction


def select_bodies(
    num_frames: int, bodies: dict, sel: BodySelection = BodySelection(), path: str = "<memory>"
) -> np.ndarray:
    """Body selection and centring (see module doc). Returns `(3, T, 25, M)` float32."""
    if not bodies:
        raise SkeletonFormatError(path, "no body in any frame")
    ids = list(bodies)
    kept = [b for b in ids if len(bodies[b][0]) > sel.min_frames] or ids
    not_spread = [b for b in kept if not _noisy_by_spread(bodies[b][1], sel)]
    kept = not_spread or kept
    energy = {b: float(np.var(bodies[b][1].reshape(len(bodies[b][0]), -1), axis=0).sum()) for b in kept}
    kept.sort(key=lambda b: -energy[b])

    out = np.zeros((num_frames, sel.max_bodies, NUM_JOINTS, 3), dtype=np.float64)
    present = np.zeros((num_frames, sel.max_bodies), dtype=bool)
    for b in kept:
        fr, xyz = bodies[b]
        for slot in range(sel.max_bodies):
            if not present[fr, slot].any():
                out[fr, slot] = xyz
                present[fr, slot] = True
                break
    valid = present.any(1)
    out, present = out[valid], present[valid]
    return centre_on_spine(out, present)


def parse_ntu_bytes(data: bytes, path: str = "<memory>", sel: BodySelection = BodySelection()) -> np.ndarray:
    """Parse the bytes of a `.skeleton` file into `(3, T, 25, M)` float32."""
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as e:
        raise SkeletonFormatError(path, f"not a text file (undecodable byte at offset {e.start})") from None
    num_frames, bodies = parse_bodies(text, path)
    return select_bodies(num_frames, bodies, sel, path)


def read_skeleton_file(path: str | os.PathLike, sel: BodySelection = BodySelection()) -> np.ndarray:
    """Read one NTU-format `.skeleton` file (e.g. your own Kinect v2 recording).

    Returns the sample after body selection and centring as float32 `(3, T, 25, 2)`:
    xyz, frames, joints, bodies (the second body zero-filled when absent).
    Raises `SkeletonFormatError` (a ValueError) naming the file, the line and the
    problem for malformed input, and `FileNotFoundError` for a missing file.
    """
    with open(path, "rb") as fh:
        data = fh.read()
    return parse_ntu_bytes(data, str(path), sel)


def format_ntu_skeleton(frames: list[list[tuple[int | str, np.ndarray]]]) -> str:
    """Write the text of a `.skeleton` file, the inverse of `parse_bodies`.

    `frames[t]` lists the bodies of frame t as `(tracking_id, xyz (25, 3))`. Depth
    and colour pixel coordinates are projected with Kinect v2-like intrinsics;
    orientations are written as zeros and every joint as tracked (state 2).
    """
    out = [str(len(frames))]
    for bodies in frames:
        out.append(str(len(bodies)))
        for tid, xyz in bodies:
            xyz = np.asarray(xyz, dtype=np.float64)
            z = np.where(np.abs(xyz[:, 2]) < 1e-6, 1e-6, xyz[:, 2])
            depth = np.stack([256 + 365 * xyz[:, 0] / z, 212 - 365 * xyz[:, 1] / z], 1)
            colour = np.stack([960 + 1081 * xyz[:, 0] / z, 540 - 1081 * xyz[:, 1] / z], 1)
            out.append(f"{tid} 0 1 1 1 1 0 0.0 0.0 2")
            out.append(str(NUM_JOINTS))
            out.extend(
                f"{x!r} {y!r} {zz!r} {dx:.3f} {dy:.3f} {cx:.3f} {cy:.3f} 0 0 0 0 2"
                for (x, y, zz), (dx, dy), (cx, cy) in zip(xyz.tolist(), depth, colour)
            )
    return "\n".join(out) + "\n"
