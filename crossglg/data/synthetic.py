"""The synthetic body behind the generated data sets (`builtin`, `composed`): a 25-joint
NTU skeleton built by forward kinematics, performers with their own proportions,
pace, amplitude and noise, three Kinect-like camera views, and the artefacts of real
captures (missing frames, re-tracked bodies, short-lived noisy extra bodies).

The body is built in its own frame (the left side at smaller x, y up, facing -z
towards the camera). Each limb segment's direction is given by a flexion angle
(forward from hanging down) and an abduction angle (sideways, away from the body;
negative crosses the midline). Pose parameters, each an array over normalised time:
`la1f/la1a, la2f/la2a` (left upper arm / forearm flexion, abduction), the same for
`ra`, `ll`, `rl` (legs); `pitch` (bow forward), `roll` (bend sideways), `twist`
(turn the upper body), `head` (nod), `yaw` (turn the whole body), `dy` (raise or
lower the pelvis, metres), `fwd` (move forward, metres). Absent parameters rest.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
from tqdm import tqdm

from ..io import atomic_write_text
from .ntu import format_ntu_skeleton
from .transforms import rx, ry, rz

D = np.pi / 180.0
NUM_PERFORMERS = 6
NUM_CAMERAS = 3
CAMERA_YAW = {1: 45 * D, 2: 0.0, 3: -45 * D}  # C001 +45 deg, C002 frontal, C003 -45 deg

#: `pose(p, amp, who) -> {parameter: (T,) array}`
PoseFn = Callable[[np.ndarray, float, int], dict]


def bell(p):
    """0 at both ends, 1 in the middle: one out-and-back movement."""
    return np.sin(np.pi * np.clip(p, 0, 1)) ** 2


def envelope(p):
    """Ramp in, hold, ramp out: 0 at the ends, 1 in the middle 60 %."""
    return np.clip(np.minimum(p, 1 - p) / 0.2, 0, 1)


def step(p, at, width=0.15):
    """0 before `at`, rising to 1 over `width`."""
    return np.clip((p - at) / width, 0, 1)


def oscillation(p, k, phase=0.0):
    """`k` full cycles over the recording."""
    return np.sin(2 * np.pi * k * p + phase)


def limb_direction(flex, abd, side):
    """Unit direction of a limb segment; side = -1 left, +1 right."""
    return np.array([side * np.sin(abd), -np.cos(abd) * np.cos(flex), -np.cos(abd) * np.sin(flex)])


@dataclass(frozen=True)
class Performer:
    lengths: dict
    speed: float
    amp: float
    noise: float


def performer_of(seed: int, pid: int) -> Performer:
    rng = np.random.default_rng([seed, 7, pid])
    h = rng.uniform(0.88, 1.1)
    base = dict(
        spine1=0.22,
        spine2=0.22,
        neck=0.07,
        head=0.12,
        shoulder=0.18,
        upper=0.28,
        fore=0.25,
        hand=0.08,
        tip=0.06,
        thumb=0.05,
        hip=0.09,
        thigh=0.43,
        shank=0.42,
        foot=0.13,
    )
    lengths = {k: v * h * rng.uniform(0.92, 1.08) for k, v in base.items()}
    return Performer(lengths, speed=rng.uniform(0.8, 1.25), amp=rng.uniform(0.82, 1.12), noise=rng.uniform(0.008, 0.02))


def forward_kinematics(q: dict, t: int, L: dict) -> np.ndarray:
    """Joints (25, 3) of one frame in the body's frame, pelvis at the origin (before yaw)."""
    g = lambda k, d=0.0: float(q[k][t]) if k in q else d  # noqa: E731
    j = np.zeros((25, 3))
    torso = rz(g("roll")) @ rx(-g("pitch")) @ ry(g("twist"))
    j[0] = 0
    j[1] = torso @ [0, L["spine1"], 0]
    j[20] = torso @ [0, L["spine1"] + L["spine2"], 0]
    j[2] = j[20] + torso @ [0, L["neck"], 0]
    j[3] = j[2] + torso @ rx(-g("head")) @ [0, L["head"], 0]
    for side, s, sh, el, wr, ha, tip, th in ((-1, "la", 4, 5, 6, 7, 21, 22), (1, "ra", 8, 9, 10, 11, 23, 24)):
        j[sh] = j[20] + torso @ [side * L["shoulder"], -0.03, 0]
        d1 = torso @ limb_direction(g(s + "1f"), g(s + "1a", 0.12), side)
        d2 = torso @ limb_direction(g(s + "2f", 0.15), g(s + "2a", 0.1), side)
        j[el] = j[sh] + L["upper"] * d1
        j[wr] = j[el] + L["fore"] * d2
        j[ha] = j[wr] + L["hand"] * d2
        j[tip] = j[ha] + L["tip"] * d2
        inward = torso @ np.array([-side, 0.0, -0.3])
        j[th] = j[ha] + L["thumb"] * (d2 + inward) / np.linalg.norm(d2 + inward)
    for side, s, hp, kn, an, ft in ((-1, "ll", 12, 13, 14, 15), (1, "rl", 16, 17, 18, 19)):
        j[hp] = [side * L["hip"], -0.04, 0]
        d1 = limb_direction(g(s + "1f"), g(s + "1a", 0.04), side)
        d2 = limb_direction(g(s + "2f"), g(s + "2a", 0.04), side)
        j[kn] = j[hp] + L["thigh"] * d1
        j[an] = j[kn] + L["shank"] * d2
        j[ft] = j[an] + L["foot"] * np.array([0.0, -0.35, -1.0]) / np.hypot(0.35, 1.0)
    return j


def planted_offset(body: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """`(3,)`: the up-and-forward shift of the pelvis that puts the ankles' midpoint of
    `body` (25, 3), in the body's frame, back where it is in the `rest` pose (25, 3;
    `forward_kinematics({}, 0, lengths)`): the feet stay planted while the knees bend (a
    squat lowers the body instead of lifting the feet)."""
    shift = rest[[14, 18]].mean(axis=0) - body[[14, 18]].mean(axis=0)
    shift[0] = 0.0  # sideways: left as it is
    return shift


def render_recording(
    pose: PoseFn,
    two_person: bool,
    performer: int,
    camera: int,
    rng_key: list[int],
    seed: int = 0,
    plant_feet: bool = False,
) -> list:
    """Frames of one recording, as `format_ntu_skeleton` takes them: per frame a list
    of `(tracking_id, xyz (25, 3))` in camera space (metres).

    `pose(p, amp, who)` gives the pose parameters over normalised time `p` (T,) for
    person `who` (0, or 1 in a two-person action) at amplitude `amp`; `rng_key` seeds
    everything random in the recording (timing, camera, sway, noise, artefacts).
    `plant_feet`: the pelvis follows the legs so that the ankles stay where they stand
    (`planted_offset`), for motions such as a squat.
    """
    perf = performer_of(seed, performer)
    rng = np.random.default_rng(rng_key)
    n = int(round(60 * perf.speed * rng.uniform(0.85, 1.15)))
    # rest before and after the action, and an uneven pace within it
    lead, tail = rng.uniform(0, 0.25, 2)
    p = np.clip(np.linspace(-lead, 1 + tail, n), 0, 1) ** rng.uniform(0.7, 1.4)
    amp = perf.amp * rng.uniform(0.75, 1.2)
    two = two_person
    cam = ry(CAMERA_YAW[camera] + rng.uniform(-20, 20) * D) @ rx(rng.uniform(-10, 10) * D)
    cam_t = np.array([rng.uniform(-0.2, 0.2), rng.uniform(-0.3, 0.1), rng.uniform(2.8, 3.4)])
    persons = []
    for who in range(2 if two else 1):
        L = perf.lengths if who == 0 else performer_of(seed, (performer % NUM_PERFORMERS) + 1 + 100).lengths
        q = pose(p, amp, who)
        sway = np.linspace(0, 2 * np.pi * rng.uniform(0.3, 1.5), n) + rng.uniform(0, 2 * np.pi)
        q["yaw"] = q.get("yaw", 0.0) + rng.uniform(-20, 20) * D + 0 * p  # the body's own facing
        q["roll"] = q.get("roll", 0.0) + rng.uniform(1, 4) * D * np.sin(sway)  # idle sway
        q["pitch"] = q.get("pitch", 0.0) + rng.uniform(-5, 5) * D + rng.uniform(1, 3) * D * np.cos(sway)
        for s in ("la", "ra"):
            q[s + "1a"] = q.get(s + "1a", np.full(n, 0.12)) + rng.uniform(-0.1, 0.15)  # resting arm pose
        base_yaw = 0.0 if not two else (-90 * D if who == 0 else 90 * D)
        x0 = 0.0 if not two else (-0.75 if who == 0 else 0.75)
        pelvis_h = L["thigh"] + L["shank"] + 0.06
        seq = np.empty((n, 25, 3))
        rest = forward_kinematics({}, 0, L) if plant_feet else None
        val = lambda k, t: float(q[k][t]) if k in q else 0.0  # noqa: E731
        for t in range(n):
            body = forward_kinematics(q, t, L)
            if plant_feet:
                body = body + planted_offset(body, rest)
            facing = ry(base_yaw + val("yaw", t))
            pelvis = ry(base_yaw) @ [0.0, 0.0, -val("fwd", t)] + [x0, pelvis_h + val("dy", t) - 1.0, 0.0]
            world = body @ facing.T + pelvis  # Kinect origin at about hip height
            seq[t] = world @ cam.T + cam_t
        seq += rng.normal(0, perf.noise, seq.shape)
        persons.append(seq)

    base_id = 72057594037930000 + int(rng.integers(0, 9000))
    ids = [base_id + k for k in range(len(persons))]
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
            tid = ids[k] + (500 if retrack is not None and t >= retrack and k == 0 else 0)
            bodies.append((tid, np.round(seq[t], 5)))
        if noise_start is not None and noise_start <= t < noise_start + 6:
            bodies.append((base_id + 999, np.round(clutter + rng.normal(0, 0.01, (25, 3)), 5)))
        frames.append(bodies)
    return frames


def sample_name(action: int, performer: int, camera: int, replication: int) -> str:
    """NTU-style name; `action` is 0-based, the rest 1-based."""
    return f"S001C{camera:03d}P{performer:03d}R{replication:03d}A{action + 1:03d}"


def write_recordings(
    out_dir: str | os.PathLike,
    jobs: Iterable[tuple[int, int, int, int]],
    render: Callable[[int, int, int, int], list],
    what: str,
    progress: bool = True,
) -> list[Path]:
    """Write one `.skeleton` file per `(action, performer, camera, replication)` job into
    `out_dir` with `render(*job)`'s frames (files that exist are kept; each is written
    atomically, so an interrupted run resumes)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    jobs = list(jobs)
    paths = []
    for job in tqdm(jobs, desc=f"generating {what} skeletons", disable=not progress, unit="file"):
        path = out / f"{sample_name(*job)}.skeleton"
        paths.append(path)
        if not path.exists():
            atomic_write_text(path, format_ntu_skeleton(render(*job)))
    return paths
