"""A generated stand-in for NTU RGB+D 120, at any size up to the full one: recordings
with NTU-120's names, classes and structure, so that every NTU-120 code path (the
`ntu120` reader, `prepare ntu120`, the `ntu120_oneshot` protocol at every auxiliary
count, the class names and text of the 120 classes, `make reproduce`, `make tables`)
runs unchanged on it, on a machine without the real data.

**Accuracy on the stand-in means nothing.** Its 120 classes are the 24 hand-made motions
of the built-in set (`builtin`) stretched over 120 labels with a per-class variation
(mirrored, faster or repeated, with a different amplitude and posture); several classes
share a motion, and no class looks like the NTU action of its name. It exists to
measure time, memory and robustness at NTU-120's size, never to compare methods.

What it copies from NTU RGB+D 120:

- **Names** `SsssCcccPpppRrrrAaaa`: setups S001-S032, cameras C001-C003, performers
  P001-P106, replications R001-R002, classes A001-A120. A001-A060 are recorded in setups
  1-17 only and A061-A120 in setups 18-32 only, as in NTU-120. The performers of each
  setup (`PERFORMERS`, the capture plan) are not NTU's, but they give NTU's counts: 948
  recordings of each class A001-A060 and 960 of each class A061-A120, 114,480 in all, and
  every name in the official missing-skeleton list is one of them, so the full stand-in
  after that list has NTU-120's 113,945 recordings. The protocol's exemplars
  (`S001C003P008R001Axxx` for classes up to 60, `S018C003P008R001Axxx` after) are always
  the first recording of their class. No recording whose name is in the missing list is
  written.
- **Bodies**: two people in NTU's two-person classes (A050-A060 and A106-A120), one in
  the others; the capture artefacts of `synthetic` (missing frames, a body re-tracked
  under a new id, a short-lived noisy extra body).
- **Lengths**: log-normal around about 80 frames (a per-class median, times the
  performer's pace), clipped to 30-300 frames.

Size: `per_class` recordings of each class (the first ones of the class's fixed order:
the exemplar, then a shuffle of its setups, cameras, performers and replications that
does not depend on the seed, so a larger size contains a smaller one), or None for
every recording. Everything is deterministic from the seed; a recording depends on its
name and the seed only, never on the size.

Two outputs:

- `write_standin_skeletons`: NTU-format `.skeleton` files (each written atomically;
  existing files are kept, so an interrupted run resumes), which `prepare ntu120` parses:
  the parser is in the path. For small and medium sizes: the text of the full size is
  tens of GB.
- `write_standin_cache`: straight into a cache in the format `prepare ntu120` writes
  (`cache.py`), streaming one recording at a time (memory does not grow with the
  arrays), the manifest written last and atomically. Its arrays are those `prepare`
  gives from the files, bit for bit: the same body selection runs on the same bodies,
  only the text round trip is skipped. There being no source file, a sample's
  `source_size` is 0 and its `source_sha1` empty, and `params.raw_dir` names the
  generator and the seed.

`python -m crossglg generate ntu120-standin --per-class N --out DIR [--cache]`.
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np
from tqdm import tqdm

from ..io import atomic_write_text, atomic_write_with
from .builtin import BUILTIN_CLASSES
from .builtin import TWO_PERSON as BUILTIN_TWO_PERSON
from .builtin import _pose as builtin_pose
from .cache import COLUMNS, FRAME_BYTES, FRAME_SHAPE, _params
from .datasets import default_missing_list, read_missing_list
from .ntu import BodySelection, format_ntu_skeleton, parse_ntu_name, select_bodies
from .synthetic import CAMERA_YAW, D, Performer, envelope, performer_of
from .transforms import rx, ry

NUM_CLASSES = 120
NUM_CAMERAS = 3
NUM_REPLICATIONS = 2
#: 0-based labels of NTU-120's two-person classes, A050-A060 and A106-A120.
TWO_PERSON = frozenset(range(49, 60)) | frozenset(range(105, 120))
MIN_FRAMES, MAX_FRAMES = 30, 300
MEDIAN_FRAMES = 80
LENGTH_SIGMA = 0.38  # log-normal spread of a recording's length around its class's median
#: Recordings in NTU RGB+D 120 (`PERFORMERS` gives the same count), before the missing list.
FULL_SIZE = 114_480
#: Seeds the fixed order in which each class's recordings are taken (not the data's seed).
_ORDER_KEY = 20_190_120

#: The capture plan: the performers of each setup. S001-S017 (classes A001-A060) have 158
#: setup-performer pairs, S018-S032 (A061-A120) 160, NTU-120's counts; every pair of the
#: official missing-skeleton list is here, and P008 in S001 and S018 (the exemplars).
PERFORMERS: dict[int, tuple[int, ...]] = {
    1: (1, 2, 3, 4, 5, 6, 7, 8, 9, 10),
    2: (8, 10, 11, 12, 13, 14, 15, 16, 17, 18),
    3: (2, 16, 18, 19, 20, 21, 22, 23, 24),
    4: (3, 8, 20, 25, 26, 27, 28, 29, 30),
    5: (4, 10, 16, 18, 21, 31, 32, 33, 34),
    6: (1, 7, 16, 17, 22, 23, 24, 35, 36),
    7: (7, 8, 15, 18, 19, 25, 26, 27, 28),
    8: (1, 7, 8, 25, 29, 31, 32, 33, 34, 35),
    9: (7, 8, 15, 16, 17, 25, 37, 38, 39),
    10: (1, 2, 7, 8, 16, 17, 19, 25, 40),
    11: (1, 2, 8, 15, 16, 17, 18, 19, 25, 27, 28),
    12: (8, 15, 16, 17, 18, 19, 25, 27, 28),
    13: (3, 4, 8, 15, 17, 18, 25, 27, 28),
    14: (5, 6, 7, 8, 15, 19, 25, 27, 39),
    15: (7, 8, 9, 10, 11, 15, 16, 17, 25),
    16: (8, 12, 13, 14, 15, 19, 25, 39, 40),
    17: (7, 8, 15, 16, 17, 18, 19, 20, 21),
    18: (8, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50),
    19: (42, 46, 49, 51, 52, 53, 54, 55, 56, 57, 58),
    20: (41, 44, 54, 59, 60, 61, 62, 63, 64, 65, 66),
    21: (55, 57, 58, 59, 67, 68, 69, 70, 71, 72, 73),
    22: (61, 63, 64, 65, 67, 74, 75, 76, 77, 78, 79),
    23: (55, 59, 61, 63, 64, 80, 81, 82, 83, 84, 85),
    24: (62, 63, 67, 86, 87, 88, 89, 90, 91, 92, 93),
    25: (55, 56, 59, 94, 95, 96, 97, 98, 99, 100, 101),
    26: (44, 69, 70, 74, 75, 102, 103, 104, 105, 106),
    27: (41, 42, 43, 44, 45, 79, 80, 82, 84, 86),
    28: (41, 42, 46, 47, 48, 49, 50, 51, 73, 87),
    29: (8, 41, 43, 44, 48, 51, 67, 74, 80, 88, 89, 90),
    30: (44, 52, 53, 54, 55, 56, 57, 58, 59, 91),
    31: (42, 43, 44, 51, 60, 61, 62, 67, 82, 97),
    32: (63, 64, 65, 66, 67, 68, 69, 70, 71, 72),
}

#: Per-class posture offsets (degrees): a class adds two of these, ramped in and out.
_OFFSETS = {
    "head": (-15, 20),
    "pitch": (-12, 15),
    "roll": (-12, 12),
    "twist": (-25, 25),
    "la1a": (0, 35),
    "ra1a": (0, 35),
    "la2f": (0, 60),
    "ra2f": (0, 60),
    "ll1f": (0, 25),
}


# -- names ----------------------------------------------------------------------------
def setups_of(action: int) -> range:
    """The setups of class `action` (0-based): 1-17 for A001-A060, 18-32 for A061-A120."""
    if not 0 <= action < NUM_CLASSES:
        raise ValueError(f"ntu120-standin: class {action} is out of range (0..{NUM_CLASSES - 1}, 0-based)")
    return range(1, 18) if action < 60 else range(18, 33)


def standin_name(setup: int, camera: int, performer: int, replication: int, action: int) -> str:
    """NTU name of a recording; `action` is 0-based, the rest 1-based."""
    return f"S{setup:03d}C{camera:03d}P{performer:03d}R{replication:03d}A{action + 1:03d}"


def exemplar_name(action: int) -> str:
    """The recording `ntu120_oneshot` takes as the exemplar of class `action` (0-based)."""
    return standin_name(setups_of(action)[0], 3, 8, 1, action)


@lru_cache(maxsize=NUM_CLASSES)
def class_order(action: int) -> tuple[str, ...]:
    """Every recording of class `action` (0-based), in the order sizes take them: the
    exemplar first, then a fixed shuffle (independent of the data's seed)."""
    names = [
        standin_name(s, c, p, r, action)
        for s in setups_of(action)
        for p in PERFORMERS[s]
        for c in range(1, NUM_CAMERAS + 1)
        for r in range(1, NUM_REPLICATIONS + 1)
    ]
    first = exemplar_name(action)
    rest = [n for n in names if n != first]
    order = np.random.default_rng([_ORDER_KEY, action]).permutation(len(rest))
    return (first, *(rest[i] for i in order))


def check_per_class(per_class) -> int | None:
    """`per_class` as a size: a positive int, or None (or 'full') for every recording."""
    if per_class is None or per_class == "full":
        return None
    if isinstance(per_class, str):
        try:
            per_class = int(per_class)
        except ValueError:
            raise ValueError(
                f"ntu120-standin: per_class must be a positive integer or 'full', got {per_class!r}"
            ) from None
    if isinstance(per_class, bool) or not isinstance(per_class, (int, np.integer)) or per_class < 1:
        raise ValueError(f"ntu120-standin: per_class must be a positive integer or 'full', got {per_class!r}")
    return int(per_class)


def standin_names(per_class: int | str | None = None, missing: Iterable[str] = ()) -> list[str]:
    """The names of a stand-in of `per_class` recordings per class (None: all), in sorted
    order (the order `prepare` reads files in). Names in `missing` are passed over: a
    class then takes the next one of its order, so each class keeps `per_class` (while
    it has that many)."""
    size = check_per_class(per_class)
    skip = set(missing)
    out = []
    for action in range(NUM_CLASSES):
        kept = [n for n in class_order(action) if n not in skip]
        out += kept if size is None else kept[:size]
    return sorted(out)


def resolve_missing(missing_list: str | os.PathLike | Iterable[str] | None = "auto") -> set[str]:
    """The names to leave out: `"auto"` the official NTU-120 missing-skeleton list (found
    as `prepare` finds it, under `$CROSSGLG_SHARED_DATA/ntu`), a path to such a list, a
    collection of names, or None for none."""
    if missing_list is None:
        return set()
    if isinstance(missing_list, str) and missing_list == "auto":
        found = default_missing_list("ntu120")
        if found is None:
            raise FileNotFoundError(
                "ntu120-standin: the official missing-skeleton list was not found (set CROSSGLG_SHARED_DATA "
                "to the folder holding ntu/NTU_RGBD120_samples_with_missing_skeletons.txt, pass the list's path, "
                "or pass none to leave nothing out)"
            )
        missing_list = found
    if isinstance(missing_list, (str, os.PathLike)):
        path = Path(missing_list)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: the missing-skeleton list does not exist")
        return read_missing_list(path)
    return {str(n) for n in missing_list}


# -- motions --------------------------------------------------------------------------
@dataclass(frozen=True)
class ClassMotion:
    """How class `action` moves: built-in motion `base` (0-based, of `BUILTIN_CLASSES`),
    `mirrored` left for right, at `amp` times its amplitude, its time warped by `warp`
    (an exponent) and done `repeats` times, with posture `offsets` (parameter, radians);
    its recordings last `median_frames` frames at the median (before the performer's pace)."""

    base: int
    mirrored: bool
    amp: float
    warp: float
    repeats: int
    offsets: tuple[tuple[str, float], ...]
    median_frames: float


@lru_cache(maxsize=4 * NUM_CLASSES)
def class_motion(action: int, seed: int = 0) -> ClassMotion:
    """The motion of class `action` (0-based): two-person classes take the built-in
    two-person motions, the others the single-person ones, each spread evenly over them."""
    two = action in TWO_PERSON
    pool = sorted(m for m in range(len(BUILTIN_CLASSES)) if (m in BUILTIN_TWO_PERSON) == two)
    members = sorted(c for c in range(NUM_CLASSES) if (c in TWO_PERSON) == two)
    perm = np.random.default_rng([seed, 121, int(two)]).permutation(len(pool))
    base = pool[int(perm[members.index(action) % len(pool)])]
    rng = np.random.default_rng([seed, 120, action])
    keys = rng.choice(sorted(_OFFSETS), 2, replace=False)
    return ClassMotion(
        base=base,
        mirrored=bool(rng.random() < 0.5),
        amp=float(rng.uniform(0.75, 1.25)),
        warp=float(rng.uniform(0.75, 1.35)),
        repeats=int(rng.choice([1, 1, 1, 2])),
        offsets=tuple((str(k), float(rng.uniform(*_OFFSETS[k]) * D)) for k in keys),
        median_frames=float(MEDIAN_FRAMES * rng.uniform(0.75, 1.3)),
    )


def _mirror(q: dict) -> dict:
    """Left for right: the limbs' parameters swap sides, turns and sideways bends flip."""
    swap = {"la": "ra", "ra": "la", "ll": "rl", "rl": "ll"}
    out = {}
    for k, v in q.items():
        if k[:2] in swap:
            out[swap[k[:2]] + k[2:]] = v
        elif k in ("roll", "twist", "yaw"):
            out[k] = -v
        else:
            out[k] = v
    return out


def _rot(axis: str, t: np.ndarray) -> np.ndarray:
    """Rotations `(n, 3, 3)` by angles `t (n,)` about one axis (`transforms.rx/ry/rz` per frame)."""
    c, s, one, zero = np.cos(t), np.sin(t), np.ones_like(t), np.zeros_like(t)
    rows = {
        "x": ((one, zero, zero), (zero, c, -s), (zero, s, c)),
        "y": ((c, zero, s), (zero, one, zero), (-s, zero, c)),
        "z": ((c, -s, zero), (s, c, zero), (zero, zero, one)),
    }[axis]
    return np.stack([np.stack(r, -1) for r in rows], -2)


def _limb(flex: np.ndarray, abd: np.ndarray, side: int) -> np.ndarray:
    """`synthetic.limb_direction` over frames: `(n, 3)`."""
    return np.stack([side * np.sin(abd), -np.cos(abd) * np.cos(flex), -np.cos(abd) * np.sin(flex)], -1)


def forward_kinematics_seq(q: dict, n: int, L: dict) -> np.ndarray:
    """`synthetic.forward_kinematics` for all `n` frames at once: joints `(n, 25, 3)` in
    the body's frame, pelvis at the origin (before yaw)."""

    def g(k: str, d: float = 0.0) -> np.ndarray:
        return np.broadcast_to(np.asarray(q[k], dtype=np.float64), (n,)) if k in q else np.full(n, d)

    def apply(rot: np.ndarray, v) -> np.ndarray:  # (n, 3, 3) @ (n, 3) or (3,)
        return np.einsum("tij,tj->ti", rot, np.broadcast_to(np.asarray(v, dtype=np.float64), (n, 3)))

    j = np.zeros((n, 25, 3))
    torso = _rot("z", g("roll")) @ _rot("x", -g("pitch")) @ _rot("y", g("twist"))
    up = torso[:, :, 1]  # torso @ [0, 1, 0]
    j[:, 1] = L["spine1"] * up
    j[:, 20] = (L["spine1"] + L["spine2"]) * up
    j[:, 2] = j[:, 20] + L["neck"] * up
    j[:, 3] = j[:, 2] + L["head"] * (torso @ _rot("x", -g("head")))[:, :, 1]
    for side, s, sh, el, wr, ha, tip, th in ((-1, "la", 4, 5, 6, 7, 21, 22), (1, "ra", 8, 9, 10, 11, 23, 24)):
        j[:, sh] = j[:, 20] + apply(torso, [side * L["shoulder"], -0.03, 0.0])
        d1 = apply(torso, _limb(g(s + "1f"), g(s + "1a", 0.12), side))
        d2 = apply(torso, _limb(g(s + "2f", 0.15), g(s + "2a", 0.1), side))
        j[:, el] = j[:, sh] + L["upper"] * d1
        j[:, wr] = j[:, el] + L["fore"] * d2
        j[:, ha] = j[:, wr] + L["hand"] * d2
        j[:, tip] = j[:, ha] + L["tip"] * d2
        thumb = d2 + apply(torso, [-side, 0.0, -0.3])
        j[:, th] = j[:, ha] + L["thumb"] * thumb / np.linalg.norm(thumb, axis=-1, keepdims=True)
    for side, s, hp, kn, an, ft in ((-1, "ll", 12, 13, 14, 15), (1, "rl", 16, 17, 18, 19)):
        j[:, hp] = [side * L["hip"], -0.04, 0.0]
        d1 = _limb(g(s + "1f"), g(s + "1a", 0.04), side)
        d2 = _limb(g(s + "2f"), g(s + "2a", 0.04), side)
        j[:, kn] = j[:, hp] + L["thigh"] * d1
        j[:, an] = j[:, kn] + L["shank"] * d2
        j[:, ft] = j[:, an] + L["foot"] * np.array([0.0, -0.35, -1.0]) / np.hypot(0.35, 1.0)
    return j


@lru_cache(maxsize=512)
def _performer(seed: int, pid: int) -> Performer:
    return performer_of(seed, pid)


@lru_cache(maxsize=64)
def _setup_camera(seed: int, setup: int) -> tuple[float, float, float]:
    """A setup's camera height offset (m), distance (m) and tilt (rad)."""
    rng = np.random.default_rng([seed, 99, setup])
    return float(rng.uniform(-0.25, 0.15)), float(rng.uniform(2.6, 3.6)), float(rng.uniform(-6, 6) * D)


def render_standin(name: str, seed: int = 0) -> list:
    """Frames of recording `name` (an NTU-120 name) as `format_ntu_skeleton` takes them:
    per frame a list of `(tracking_id, xyz (25, 3))` in camera space (metres), rounded to
    5 decimals as the files hold them. Deterministic from `name` and `seed`."""
    m = parse_ntu_name(name)
    action = m["action"] - 1
    if m["setup"] not in setups_of(action) or m["camera"] not in CAMERA_YAW:
        setups = setups_of(action)
        raise ValueError(
            f"{name}: not a recording of the NTU-120 stand-in "
            f"(class A{action + 1:03d} is in setups {setups[0]}-{setups[-1]}, cameras 1-3)"
        )
    motion = class_motion(action, seed)
    perf = _performer(seed, m["performer"])
    rng = np.random.default_rng([seed, m["setup"], m["camera"], m["performer"], m["replication"], m["action"]])
    n = int(
        np.clip(round(motion.median_frames * perf.speed * np.exp(rng.normal(0, LENGTH_SIGMA))), MIN_FRAMES, MAX_FRAMES)
    )
    lead, tail = rng.uniform(0, 0.2, 2)
    p = np.clip(np.linspace(-lead, 1 + tail, n), 0, 1) ** (rng.uniform(0.75, 1.35) * motion.warp)
    pm = p if motion.repeats == 1 else np.where(p >= 1, 1.0, (p * motion.repeats) % 1.0)
    amp = perf.amp * rng.uniform(0.8, 1.2) * motion.amp
    height, distance, tilt = _setup_camera(seed, m["setup"])
    cam = ry(CAMERA_YAW[m["camera"]] + rng.uniform(-15, 15) * D) @ rx(tilt + rng.uniform(-6, 6) * D)
    cam_t = np.array([rng.uniform(-0.2, 0.2), height + rng.uniform(-0.1, 0.1), distance + rng.uniform(-0.2, 0.2)])
    two = action in TWO_PERSON
    ramp = envelope(p)
    persons = []
    for who in range(2 if two else 1):
        L = perf.lengths if who == 0 else _performer(seed, 1000 + m["performer"]).lengths
        q = builtin_pose(motion.base, pm, amp, who)
        if motion.mirrored:
            q = _mirror(q)
        sway = np.linspace(0, 2 * np.pi * rng.uniform(0.3, 1.5), n) + rng.uniform(0, 2 * np.pi)
        q["yaw"] = q.get("yaw", 0.0) + rng.uniform(-20, 20) * D + 0 * p  # the body's own facing
        q["roll"] = q.get("roll", 0.0) + rng.uniform(1, 4) * D * np.sin(sway)  # idle sway
        q["pitch"] = q.get("pitch", 0.0) + rng.uniform(-5, 5) * D + rng.uniform(1, 3) * D * np.cos(sway)
        for s in ("la", "ra"):
            q[s + "1a"] = q.get(s + "1a", np.full(n, 0.12)) + rng.uniform(-0.1, 0.15)  # resting arm pose
        for k, v in motion.offsets:
            q[k] = q.get(k, 0.0) + v * ramp
        base_yaw = 0.0 if not two else (-90 * D if who == 0 else 90 * D)
        x0 = 0.0 if not two else (-0.75 if who == 0 else 0.75)
        body = forward_kinematics_seq(q, n, L)
        facing = _rot("y", base_yaw + np.broadcast_to(q["yaw"], (n,)))
        fwd = np.broadcast_to(np.asarray(q.get("fwd", 0.0), dtype=np.float64), (n,))
        dy = np.broadcast_to(np.asarray(q.get("dy", 0.0), dtype=np.float64), (n,))
        pelvis = (ry(base_yaw) @ [0.0, 0.0, -1.0])[None] * fwd[:, None]
        pelvis = pelvis + np.stack([np.full(n, x0), L["thigh"] + L["shank"] + 0.06 + dy - 1.0, np.zeros(n)], -1)
        world = np.einsum("tvj,tij->tvi", body, facing) + pelvis[:, None]  # Kinect origin at about hip height
        seq = world @ cam.T + cam_t
        seq += rng.normal(0, perf.noise, seq.shape)
        persons.append(np.round(seq, 5))

    base_id = 72057594037930000 + int(rng.integers(0, 9000))
    retrack = int(rng.integers(n // 3, 2 * n // 3)) if rng.random() < 0.1 else None
    missing = (
        set(rng.choice(np.arange(5, n - 5), size=int(rng.integers(1, 4)), replace=False).tolist())
        if rng.random() < 0.3
        else set()
    )
    noise_start = int(rng.integers(0, n - 8)) if rng.random() < 0.15 else None
    clutter = cam_t + np.array([1.2, 0.0, 0.5]) + rng.normal(0, 0.02, (25, 3)) * [20, 2, 2]  # wide, flat object
    frames = []
    for t in range(n):
        if t in missing:
            frames.append([])
            continue
        bodies = []
        for k, seq in enumerate(persons):
            tid = base_id + k + (500 if retrack is not None and t >= retrack and k == 0 else 0)
            bodies.append((tid, seq[t]))
        if noise_start is not None and noise_start <= t < noise_start + 6:
            bodies.append((base_id + 999, np.round(clutter + rng.normal(0, 0.01, (25, 3)), 5)))
        frames.append(bodies)
    return frames


def bodies_of(frames: list) -> tuple[int, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """The frame count and, per tracking id, `(frames (n,), xyz (n, 25, 3))`: what
    `ntu.parse_bodies` reads from `format_ntu_skeleton(frames)`, without the text."""
    seen: dict[str, list[int]] = {}
    coords: dict[str, list[np.ndarray]] = {}
    for f, bodies in enumerate(frames):
        for tid, xyz in bodies:
            fr = seen.setdefault(str(tid), [])
            if not fr or fr[-1] != f:
                fr.append(f)
                coords.setdefault(str(tid), []).append(np.asarray(xyz, dtype=np.float64))
    return len(frames), {b: (np.asarray(seen[b]), np.stack(coords[b])) for b in seen}


def standin_sample(name: str, seed: int = 0, body_selection: BodySelection = BodySelection()) -> np.ndarray:
    """Recording `name` as `prepare ntu120` stores it, float32 `(3, T, 25, 2)` (C, T, V, M):
    the body selection and centring of `ntu.select_bodies` on the rendered bodies."""
    num_frames, bodies = bodies_of(render_standin(name, seed))
    return select_bodies(num_frames, bodies, body_selection, name)


# -- writing ----------------------------------------------------------------------------
def _windowed(fn: Callable, jobs: Iterable, workers: int) -> Iterator:
    """`fn` over `jobs` in order, in `workers` processes (0: here), a bounded number in flight."""
    jobs = iter(jobs)
    if workers and workers > 0:
        with ProcessPoolExecutor(workers) as pool:
            while window := list(islice(jobs, 64 * workers)):
                yield from pool.map(fn, window, chunksize=4)
    else:
        for job in jobs:
            yield fn(job)


def _write_skeleton(job: tuple[str, str, int]) -> int:
    folder, name, seed = job
    text = format_ntu_skeleton(render_standin(name, seed))
    atomic_write_text(Path(folder) / f"{name}.skeleton", text)
    return len(text)


def write_standin_skeletons(
    out_dir: str | os.PathLike,
    per_class: int | str | None = None,
    seed: int = 0,
    missing_list: str | os.PathLike | Iterable[str] | None = "auto",
    workers: int = 0,
    progress: bool = True,
) -> list[Path]:
    """Write the stand-in's recordings as NTU-format `.skeleton` files into `out_dir`, for
    `prepare ntu120` to parse. Files that exist are kept (each is written atomically, so
    an interrupted run resumes). Returns the paths of the stand-in's files, sorted."""
    names = standin_names(per_class, resolve_missing(missing_list))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    todo = [(str(out), n, seed) for n in names if not (out / f"{n}.skeleton").exists()]
    bar = tqdm(
        total=len(names),
        initial=len(names) - len(todo),
        desc="ntu120-standin .skeleton",
        unit="file",
        disable=not progress,
    )
    for _ in _windowed(_write_skeleton, todo, workers):
        bar.update(1)
    bar.close()
    return [out / f"{n}.skeleton" for n in names]


#: The manifest's integer columns, kept as arrays while writing.
_NUMERIC = ("label", "frames", "offset", "subject", "camera", "setup", "replication")


def _write_manifest(fh, params: dict, total_frames: int, names: list[str], numeric: dict[str, np.ndarray]) -> None:
    """The manifest `cache.prepare` writes (the same keys and columns), one column at a
    time, so that no whole copy of the columns is held as Python objects; no source file:
    `source_size` 0, `source_sha1` empty."""

    def put(text: str) -> None:
        fh.write(text.encode())

    put(f'{{"params": {json.dumps(params)}, "total_frames": {total_frames}, "bytes": {total_frames * FRAME_BYTES}, ')
    put(f'"frame_shape": {json.dumps(list(FRAME_SHAPE))}, "skipped": 0, "samples": {{')
    for k, c in enumerate(COLUMNS):
        if c == "name":
            values = names
        elif c == "source":
            values = [f"{n}.skeleton" for n in names]
        elif c in ("source_size", "source_sha1"):
            values = [0 if c == "source_size" else ""] * len(names)
        else:
            values = numeric[c].tolist()
        put(("" if k == 0 else ", ") + f"{json.dumps(c)}: {json.dumps(values)}")
        del values
    put(f'}}, "created": {json.dumps(time.strftime("%Y-%m-%dT%H:%M:%S"))}}}')


def _sample_job(job: tuple[str, int, BodySelection]) -> np.ndarray:
    name, seed, sel = job
    return np.ascontiguousarray(standin_sample(name, seed, sel).transpose(1, 0, 2, 3))  # (T, 3, 25, 2)


def write_standin_cache(
    out_dir: str | os.PathLike,
    per_class: int | str | None = None,
    seed: int = 0,
    missing_list: str | os.PathLike | Iterable[str] | None = "auto",
    workers: int = 0,
    progress: bool = True,
    body_selection: BodySelection = BodySelection(),
    force: bool = False,
    fsync_every: int = 1024,
) -> dict:
    """Write the stand-in straight into a cache at `out_dir` in the format of
    `prepare ntu120` (`cache.py`; no `.skeleton` text), one recording at a time.

    The arrays go to `joints.bin.partial`, renamed `joints.bin` when complete; the
    manifest is written last and atomically, so an interrupted write leaves a folder that
    `SkeletonCache` refuses (no manifest), and a rerun starts over. A cache with the same
    parameters is left as it is (unless `force`). Returns a summary: samples, frames,
    bytes, seconds, up_to_date. One process at a time writes a folder (the lock of `prepare`)."""
    from filelock import FileLock

    names = standin_names(per_class, missing := resolve_missing(missing_list))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    options = {"body_selection": asdict(body_selection)}
    params = _params("ntu120", out, options, missing, [f"{n}.skeleton" for n in names])
    params["raw_dir"] = f"generated: ntu120-standin, seed {seed} (no source files)"
    manifest_path = out / "manifest.json"
    with FileLock(out / ".prepare.lock"):
        if manifest_path.exists() and not force:
            try:
                old = json.loads(manifest_path.read_text())
                if old.get("params") == params:
                    n, frames = len(old["samples"]["name"]), old["total_frames"]
                    return {"samples": n, "frames": frames, "bytes": old["bytes"], "seconds": 0.0, "up_to_date": True}
            except (json.JSONDecodeError, KeyError):
                pass
        manifest_path.unlink(missing_ok=True)  # from here on the folder is not a cache until finished
        (out / "journal.jsonl").unlink(missing_ok=True)  # an interrupted `prepare`'s: its data is overwritten
        partial = out / "joints.bin.partial"
        numeric = {c: np.zeros(len(names), dtype=np.int64) for c in _NUMERIC}  # compact: flat in memory
        end = 0
        t0 = time.perf_counter()
        bar = tqdm(total=len(names), desc="ntu120-standin cache", unit="rec", disable=not progress)
        with open(partial, "wb") as fh:
            jobs = ((n, seed, body_selection) for n in names)
            for k, (name, arr) in enumerate(zip(names, _windowed(_sample_job, jobs, workers))):
                fh.write(arr.astype(np.float32, copy=False).tobytes())
                meta = parse_ntu_name(name)
                row = (meta["action"] - 1, arr.shape[0], end, meta["performer"], meta["camera"], meta["setup"])
                for c, v in zip(_NUMERIC, (*row, meta["replication"])):
                    numeric[c][k] = v
                end += arr.shape[0]
                if (k + 1) % fsync_every == 0:
                    fh.flush()
                    os.fsync(fh.fileno())
                bar.update(1)
            fh.flush()
            os.fsync(fh.fileno())
        bar.close()
        seconds = time.perf_counter() - t0
        os.replace(partial, out / "joints.bin")
        atomic_write_text(out / "report.json", json.dumps({"skipped": []}, indent=1))
        atomic_write_with(manifest_path, lambda f: _write_manifest(f, params, end, names, numeric))
    return {"samples": len(names), "frames": end, "bytes": end * FRAME_BYTES, "seconds": seconds, "up_to_date": False}
