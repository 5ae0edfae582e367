"""Recordings from other sensors and 3D pose estimators, read into the NTU layout the
models use: `(3, T, 25, 2)` float32, metres, Kinect camera axes (x towards the
sensor's left, so a person facing the sensor has their left side at -x; y up; z away
from the sensor), centred on the spine-middle joint of the first frame.

Layouts (`LAYOUTS`; the README has the joint-by-joint table):
- `ntu`: NTU RGB+D `.skeleton` files.
- `kinect1`: the 20 Kinect v1 joints in the Kinect SDK order (hip centre first), as
  UTKinect-Action3D publishes them, from plain text; also UTD-MHAD `.mat` files.
- `msr20`: the same 20 joints in MSR Action3D's order (right shoulder first).
- `h36m17`: Human3.6M's 17 joints in camera space (x right, y down, z forward), as 3D
  pose lifters (VideoPose3D, MotionBERT) write them: `.npy` `(T, 17, 3)` or `(M, T, 17, 3)`.
- `mediapipe33`: MediaPipe Pose world landmarks (33 joints, metres, x right, y down,
  z forward), from `.npy` `(T, 33, 3|4)`, CSV or JSON (`read_mediapipe_table`).
- `array`: `.npy`/`.npz` already in NTU order and axes, `(T, 25, 3)` or `(M, T, 25, 3)`.
- videos (`.mp4`, `.mov`, ...): MediaPipe Pose first (`crossglg.video`, the `video` extra),
  then `mediapipe33`.

An NTU joint that a layout lacks is the mean of its nearest source joints (a hand
tip from the wrist, a neck from the shoulders and ears, ...). Units are found from
the body: the torso (base of spine to spine at shoulders) must be 0.2-1.5 m long in
metres, centimetres or millimetres. 2D input is refused. Frames where tracking was lost
(joints all zero, or missing) are trimmed, interpolated or cut out, with a warning
(`lost_tracking`).
"""

from __future__ import annotations

import csv
import io
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from einops import rearrange

from ..errors import SkeletonFormatError
from ..video import is_video
from .layout import MAX_BODIES, NTU_JOINTS, NUM_JOINTS, centre_on_spine
from .lost_tracking import repair_lost_frames

log = logging.getLogger(__name__)

MIN_FRAMES = 2
BASE, SHOULDERS = 0, 20  # NTU base of spine, spine at shoulders (the torso's ends)


@dataclass(frozen=True)
class Layout:
    """A source skeleton: its joint names, for each NTU joint (in order) the source
    joints whose mean gives it, and its axes as a sign per axis to Kinect's."""

    name: str
    joints: tuple[str, ...]
    sources: tuple[tuple[int, ...], ...]  # one tuple per NTU joint
    axis_signs: tuple[float, float, float] = (1.0, 1.0, 1.0)

    def matrix(self) -> np.ndarray:
        """`(25, J)`: NTU joints as weighted means of the source joints."""
        w = np.zeros((NUM_JOINTS, len(self.joints)), np.float32)
        for v, src in enumerate(self.sources):
            w[v, list(src)] = 1.0 / len(src)
        return w

    def to_ntu(self, xyz: np.ndarray) -> np.ndarray:
        """`(M, T, J, 3)` in this layout's axes -> `(M, T, 25, 3)` in Kinect axes."""
        return np.einsum("vj,mtjc->mtvc", self.matrix(), xyz) * np.asarray(self.axis_signs, np.float32)


KINECT1_JOINTS = (
    "hip center",
    "spine",
    "shoulder center",
    "head",
    "left shoulder",
    "left elbow",
    "left wrist",
    "left hand",
    "right shoulder",
    "right elbow",
    "right wrist",
    "right hand",
    "left hip",
    "left knee",
    "left ankle",
    "left foot",
    "right hip",
    "right knee",
    "right ankle",
    "right foot",
)
_K = {n: i for i, n in enumerate(KINECT1_JOINTS)}


def _kinect_sources(index: dict[str, int]) -> tuple[tuple[int, ...], ...]:
    k = index
    limbs = [k[f"{s} {p}"] for s in ("left", "right") for p in ("shoulder", "elbow", "wrist", "hand")]
    legs = [k[f"{s} {p}"] for s in ("left", "right") for p in ("hip", "knee", "ankle", "foot")]
    return (
        (k["hip center"],),
        (k["spine"],),
        (k["shoulder center"],),
        (k["head"],),
        *((j,) for j in limbs),
        *((j,) for j in legs),
        (k["shoulder center"],),
        (k["left hand"],),
        (k["left hand"],),
        (k["right hand"],),
        (k["right hand"],),
    )


MSR20_JOINTS = (
    "right shoulder",
    "left shoulder",
    "shoulder center",
    "spine",
    "right hip",
    "left hip",
    "hip center",
    "right elbow",
    "left elbow",
    "right wrist",
    "left wrist",
    "right hand",
    "left hand",
    "right knee",
    "left knee",
    "right ankle",
    "left ankle",
    "right foot",
    "left foot",
    "head",
)

H36M17_JOINTS = (
    "pelvis",
    "right hip",
    "right knee",
    "right ankle",
    "left hip",
    "left knee",
    "left ankle",
    "spine",
    "thorax",
    "neck/nose",
    "head top",
    "left shoulder",
    "left elbow",
    "left wrist",
    "right shoulder",
    "right elbow",
    "right wrist",
)

MEDIAPIPE33_JOINTS = (
    "nose",
    "left eye inner",
    "left eye",
    "left eye outer",
    "right eye inner",
    "right eye",
    "right eye outer",
    "left ear",
    "right ear",
    "mouth left",
    "mouth right",
    "left shoulder",
    "right shoulder",
    "left elbow",
    "right elbow",
    "left wrist",
    "right wrist",
    "left pinky",
    "right pinky",
    "left index",
    "right index",
    "left thumb",
    "right thumb",
    "left hip",
    "right hip",
    "left knee",
    "right knee",
    "left ankle",
    "right ankle",
    "left heel",
    "right heel",
    "left foot index",
    "right foot index",
)

CAMERA_TO_KINECT = (-1.0, -1.0, 1.0)  # x right, y down, z forward -> x left, y up, z forward (a rotation)

LAYOUTS: dict[str, Layout] = {
    "kinect1": Layout("kinect1", KINECT1_JOINTS, _kinect_sources(_K)),
    "msr20": Layout("msr20", MSR20_JOINTS, _kinect_sources({n: i for i, n in enumerate(MSR20_JOINTS)})),
    "h36m17": Layout(
        "h36m17",
        H36M17_JOINTS,
        (
            (0,),
            (7,),
            (8, 9),
            (10,),
            (11,),
            (12,),
            (13,),
            (13,),
            (14,),
            (15,),
            (16,),
            (16,),
            (4,),
            (5,),
            (6,),
            (6,),
            (1,),
            (2,),
            (3,),
            (3,),
            (8,),
            (13,),
            (13,),
            (16,),
            (16,),
        ),
        CAMERA_TO_KINECT,
    ),
    "mediapipe33": Layout(
        "mediapipe33",
        MEDIAPIPE33_JOINTS,
        (
            (23, 24),
            (11, 12, 23, 24),
            (11, 12, 7, 8),
            (7, 8),
            (11,),
            (13,),
            (15,),
            (17, 19),
            (12,),
            (14,),
            (16,),
            (18, 20),
            (23,),
            (25,),
            (27,),
            (31,),
            (24,),
            (26,),
            (28,),
            (32,),
            (11, 12),
            (19,),
            (21,),
            (20,),
            (22,),
        ),
        CAMERA_TO_KINECT,
    ),
    "array": Layout("array", NTU_JOINTS, tuple((v,) for v in range(NUM_JOINTS))),
}
LAYOUT_NAMES = ("ntu", *LAYOUTS)
BY_JOINT_COUNT = {17: "h36m17", 25: "array", 33: "mediapipe33"}  # 20 is kinect1 or msr20: ask
EXTENSIONS = {".skeleton": "ntu", ".mat": "kinect1", ".csv": "mediapipe33", ".json": "mediapipe33"}
#: The files each layout is read from.
READS = {
    "ntu": (".skeleton",),
    "kinect1": (".txt", ".mat", ".npy", ".npz"),
    "msr20": (".txt", ".npy", ".npz"),
    "h36m17": (".npy", ".npz"),
    "mediapipe33": (".npy", ".npz", ".csv", ".json"),
    "array": (".npy", ".npz"),
}


def _fail(path, problem: str):
    raise SkeletonFormatError(str(path), problem)


def _ask_layout(path, why: str):
    _fail(path, f"{why}; give --layout ({', '.join(LAYOUT_NAMES)})")


# -- reading each format into (M, T, J, 3) -------------------------------------------
def _read_text(path: Path, joints: int = 20) -> np.ndarray:
    """One joint per line (`x y z` or `x y z confidence`), or one frame per line
    (`3 * joints` numbers, optionally after a frame number)."""
    try:
        rows = [ln.replace(",", " ").split() for ln in path.read_text().splitlines() if ln.strip()]
        values = [[float(v) for v in r] for r in rows]
    except (UnicodeDecodeError, ValueError) as e:
        _fail(path, f"not a table of numbers ({e})")
    widths = {len(r) for r in values}
    if len(widths) != 1:
        _fail(path, f"rows of different lengths {sorted(widths)}")
    width = widths.pop()
    a = np.asarray(values, np.float64)
    if width in (3, 4):
        if len(a) % joints:
            _fail(path, f"{len(a)} joint lines is not a whole number of {joints}-joint frames")
        return a[:, :3].reshape(1, -1, joints, 3)
    if width in (3 * joints, 3 * joints + 1):
        return a[:, width - 3 * joints :].reshape(1, -1, joints, 3)
    _fail(
        path,
        f"{width} numbers per line: expected 3 or 4 (one joint per line) or {3 * joints} "
        f"(one frame per line, optionally after a frame number)",
    )


def _read_array(path: Path) -> np.ndarray:
    try:
        if path.suffix == ".npz":
            with np.load(path) as z:
                if not z.files:
                    _fail(path, "the .npz holds no array")
                a = z[z.files[0]]
        else:
            a = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        _fail(path, f"not a readable NumPy file ({e})")
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 3:
        a = a[None]
    if a.ndim != 4:
        _fail(path, f"array of shape {a.shape}: expected (T, J, 3) or (M, T, J, 3)")
    if a.shape[-1] == 2 or (a.shape[-1] == 3 and _looks_2d(a)):
        _fail(
            path,
            f"2D keypoints {a.shape} (x, y{' and a score' if a.shape[-1] == 3 else ''}, in pixels): "
            "crossglg needs 3D joints; lift them with a 3D pose lifter (VideoPose3D, MotionBERT) "
            "and pass its (T, 17, 3) output with --layout h36m17",
        )
    if a.shape[-1] == 4 and a.shape[-2] == 33:  # MediaPipe x, y, z, visibility
        a = a[..., :3]
    if a.shape[-1] != 3:
        _fail(path, f"array of shape {a.shape}: the last axis must hold x, y, z")
    return a


def _looks_2d(a: np.ndarray) -> bool:
    """COCO-style `(x, y, score)` in pixels: large x, y and a third column in [0, 1]."""
    rows = a[np.isfinite(a).all(-1)]  # (K, 3) finite points; the NaN check comes later
    if not len(rows):
        return False
    return bool(np.median(np.abs(rows[:, :2])) > 20 and rows[:, 2].min() >= 0 and rows[:, 2].max() <= 1)


MEDIAPIPE_NAMES = {n.replace(" ", "_").upper(): i for i, n in enumerate(MEDIAPIPE33_JOINTS)}


def read_mediapipe_table(path: Path) -> np.ndarray:
    """MediaPipe world landmarks from CSV (columns `frame, landmark, x, y, z` and
    optionally `visibility`; `landmark` is 0-32 or a MediaPipe name such as
    `LEFT_SHOULDER`) or JSON (a list of frames, each a list of 33 `[x, y, z]` or
    `{"x", "y", "z"}`, or an object with `world_landmarks`/`landmarks` holding that list).
    -> `(1, T, 33, 3)`."""
    try:
        text = path.read_text()
    except UnicodeDecodeError as e:
        _fail(path, f"not text ({e})")
    if path.suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            _fail(path, f"not valid JSON ({e})")
        frames = data.get("frames", data) if isinstance(data, dict) else data
        out = []
        for f in frames:
            pts = f.get("world_landmarks", f.get("landmarks")) if isinstance(f, dict) else f
            if not isinstance(pts, list) or len(pts) != 33:
                _fail(
                    path, f"frame {len(out)}: expected 33 landmarks, got {len(pts) if isinstance(pts, list) else pts!r}"
                )
            out.append([[p["x"], p["y"], p["z"]] if isinstance(p, dict) else p[:3] for p in pts])
        return np.asarray(out, np.float64)[None]
    rows = list(csv.DictReader(io.StringIO(text)))
    need = {"frame", "landmark", "x", "y", "z"}
    if not rows or not need <= set(rows[0]):
        _fail(
            path,
            f"CSV needs the columns {sorted(need)} (optionally visibility); found {sorted(rows[0]) if rows else []}",
        )
    frames: dict[int, np.ndarray] = {}
    for r in rows:
        lm = r["landmark"].strip()
        j = int(lm) if lm.isdigit() else MEDIAPIPE_NAMES.get(lm.upper())
        if j is None or not 0 <= j < 33:
            _fail(path, f"unknown landmark {lm!r}")
        frames.setdefault(int(r["frame"]), np.full((33, 3), np.nan))[j] = [float(r[c]) for c in "xyz"]
    return np.stack([frames[k] for k in sorted(frames)])[None]


# -- detection, conventions, the public reader ---------------------------------------
def detect_layout(path: str | Path, joints: int | None = None) -> str:
    """The layout of a file from its extension or its joint count; an error naming
    the `--layout` values where that is ambiguous."""
    path = Path(path)
    if path.suffix in EXTENSIONS:
        return EXTENSIONS[path.suffix]
    if path.suffix in (".npy", ".npz") and joints is not None:
        if joints in BY_JOINT_COUNT:
            return BY_JOINT_COUNT[joints]
        _ask_layout(path, f"{joints} joints per frame")
    _ask_layout(path, f"cannot tell the layout of a {path.suffix or 'extension-less'} file")


def to_metres(xyz: np.ndarray, path) -> np.ndarray:
    """Scale `(M, T, 25, 3)` to metres from the first body's torso length."""
    torso = np.nanmedian(np.linalg.norm(xyz[0, :, SHOULDERS] - xyz[0, :, BASE], axis=-1))
    for scale in (1.0, 100.0, 1000.0):
        if 0.2 <= torso / scale <= 1.5:
            return xyz / scale
    _fail(path, f"the torso is {torso:.3g} units long: not a human body in metres, centimetres or millimetres")


def read_recording(path: str | Path, layout: str | None = None, min_frames: int = MIN_FRAMES) -> np.ndarray:
    """A recording in any layout -> `(3, T, 25, 2)` float32 in NTU's layout, axes and
    units, centred on the spine-middle joint of frame 0 (as the caches store NTU data)."""
    from .ntu import read_skeleton_file

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    if layout is not None and layout not in LAYOUT_NAMES:
        raise ValueError(f"unknown layout {layout!r}; known: {', '.join(LAYOUT_NAMES)}")
    if is_video(path):  # MediaPipe Pose, then the mediapipe33 layout (crossglg.video)
        if layout not in (None, "mediapipe33"):
            _fail(path, f"a video becomes a mediapipe33 skeleton; --layout {layout} does not apply")
        from ..video.extract import video_skeleton

        return from_array(video_skeleton(path)[..., :3], "mediapipe33", min_frames, where=path)
    if layout is not None and path.suffix not in READS[layout]:
        found = EXTENSIONS.get(path.suffix)
        _fail(
            path,
            f"--layout {layout} reads {', '.join(READS[layout])} files, not {path.suffix or 'extension-less'} "
            f"ones" + (f" (a {path.suffix} file is read with --layout {found}, or without --layout)" if found else ""),
        )
    layout = layout or (EXTENSIONS.get(path.suffix) if path.suffix not in (".npy", ".npz", ".txt") else None)
    if layout == "ntu":
        return read_skeleton_file(path)
    if path.suffix == ".mat":
        from .utdmhad import parse_utd_bytes

        return parse_utd_bytes(path.read_bytes(), str(path))
    if path.suffix in (".npy", ".npz"):
        raw = _read_array(path)
        layout = layout or detect_layout(path, raw.shape[-2])
    elif path.suffix in (".csv", ".json"):
        raw = read_mediapipe_table(path)
    elif path.suffix == ".txt":
        if layout not in ("kinect1", "msr20"):
            _ask_layout(
                path,
                "a .txt file holds 20 Kinect v1 joints in the Kinect SDK order (kinect1) or in "
                "MSR Action3D's order (msr20)",
            )
        raw = _read_text(path)
    else:
        _ask_layout(path, f"cannot read a {path.suffix or 'extension-less'} file")
    return from_array(raw, layout, min_frames, where=path)


def from_array(raw: np.ndarray, layout: str, min_frames: int = MIN_FRAMES, where="<array>") -> np.ndarray:
    """Joints `(T, J, 3)` or `(M, T, J, 3)` in a layout's order, axes and any of
    metres/centimetres/millimetres -> `(3, T, 25, 2)` float32 as `read_recording` gives."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown array layout {layout!r}; known: {', '.join(LAYOUTS)}")
    spec = LAYOUTS[layout]
    raw = np.asarray(raw, np.float64)
    raw = raw[None] if raw.ndim == 3 else raw
    if raw.ndim != 4 or raw.shape[-1] != 3:
        _fail(where, f"array of shape {raw.shape}: expected (T, J, 3) or (M, T, J, 3)")
    if raw.shape[-2] != len(spec.joints):
        _fail(where, f"{raw.shape[-2]} joints per frame, the {layout} layout has {len(spec.joints)}")
    try:
        raw, repair = repair_lost_frames(raw)
    except ValueError as e:
        _fail(where, str(e))
    if repair is not None:
        log.warning("%s: %s", where, repair)
    if not np.isfinite(raw).all():
        _fail(where, "holds NaN or Inf values (a missing joint or frame?)")
    if raw.shape[1] < min_frames:
        _fail(where, f"{raw.shape[1]} frame(s); at least {min_frames} are needed")
    if raw.shape[0] > MAX_BODIES:
        _fail(where, f"{raw.shape[0]} bodies; at most {MAX_BODIES}")
    xyz = to_metres(spec.to_ntu(raw.astype(np.float32)), where)
    return centre_on_spine(rearrange(xyz, "m t v c -> t m v c"), bodies=MAX_BODIES)
