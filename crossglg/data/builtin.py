"""The built-in data set `builtin`: procedurally generated skeleton actions written as
real NTU-format `.skeleton` files, so that the demo runs the same parser and the same
pipeline as the real benchmarks, with no download.

24 action classes (20 single-person, 4 two-person) that differ in which body parts
move and how; 6 performers with their own height, bone proportions, speed, amplitude
and noise; 3 camera views (C001 +45 deg, C002 frontal, C003 -45 deg); 2 replications.
Recordings have missing frames, re-tracked bodies and short-lived noisy extra bodies,
as real Kinect captures do. Everything is deterministic from the seed.

The body is built by forward kinematics in its own frame (the left side at smaller x,
y up, facing -z towards the camera); each limb segment's
direction is given by a flexion angle (forward from hanging down) and an abduction
angle (sideways, away from the body; negative crosses the midline).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..io import atomic_write_text
from .ntu import format_ntu_skeleton

D = np.pi / 180.0

#: One-line class names (action id = position + 1).
BUILTIN_CLASSES: tuple[str, ...] = (
    "raise the right hand",
    "raise the left hand",
    "wave the right hand",
    "clap both hands in front of the chest",
    "kick forward with the right leg",
    "kick forward with the left leg",
    "squat down and stand up",
    "bow from the waist",
    "turn around in place",
    "jump up",
    "punch forward with the right fist",
    "raise both hands overhead",
    "spread both arms out sideways",
    "touch the head with the right hand",
    "sit down",
    "walk in place",
    "bend the upper body sideways",
    "throw overhand with the right arm",
    "point forward with the left hand",
    "stretch both arms up and lean back",
    "shake hands with another person",
    "push another person",
    "hug another person",
    "walk towards each other",
)
TWO_PERSON = frozenset({20, 21, 22, 23})
NUM_PERFORMERS = 6
NUM_CAMERAS = 3
NUM_REPLICATIONS = 2
CAMERA_YAW = {1: 45 * D, 2: 0.0, 3: -45 * D}

LIMBS = ("la", "ra", "ll", "rl")


def _bell(p):
    return np.sin(np.pi * np.clip(p, 0, 1)) ** 2


def _env(p):
    """Ramp in, hold, ramp out: 0 at the ends, 1 in the middle 60 %."""
    return np.clip(np.minimum(p, 1 - p) / 0.2, 0, 1)


def _step(p, at, width=0.15):
    return np.clip((p - at) / width, 0, 1)


def _osc(p, k, phase=0.0):
    return np.sin(2 * np.pi * k * p + phase)


def _pose(action: int, p: np.ndarray, amp: float, person: int) -> dict[str, np.ndarray]:
    """Pose parameters over normalised time `p` (T,) for one person of an action."""
    z = np.zeros_like(p)
    q: dict[str, np.ndarray] = {}
    b, e = _bell(p), _env(p)
    a = amp
    if action == 0:
        q.update(ra1f=160 * D * a * b, ra2f=170 * D * a * b)
    elif action == 1:
        q.update(la1f=160 * D * a * b, la2f=170 * D * a * b)
    elif action == 2:
        q.update(ra1a=80 * D * e, ra1f=10 * D * e, ra2a=(120 + 35 * a * _osc(p, 3)) * D * e)
    elif action == 3:
        clap = 0.5 + 0.5 * _osc(p, 4)
        for s in ("la", "ra"):
            q[s + "1f"] = 55 * D * e
            q[s + "2f"] = 90 * D * e
            q[s + "2a"] = -(15 + 30 * a * clap) * D * e
    elif action in (4, 5):
        s = "rl" if action == 4 else "ll"
        q.update({s + "1f": 75 * D * a * b, s + "2f": 45 * D * a * b})
        q.update(ra1f=-15 * D * b, la1f=15 * D * b)
    elif action == 6:
        for s in ("ll", "rl"):
            q[s + "1f"] = 95 * D * a * b
            q[s + "2f"] = -25 * D * a * b
        q.update(dy=-0.38 * a * b, pitch=25 * D * b, la1f=80 * D * b, ra1f=80 * D * b)
    elif action == 7:
        q.update(pitch=65 * D * a * b, head=15 * D * b)
    elif action == 8:
        turn = np.clip((p - 0.15) / 0.7, 0, 1)
        q.update(yaw=np.pi * (3 * turn**2 - 2 * turn**3) * a)
        step = 20 * D * np.abs(_osc(p, 2)) * e
        q.update(ll1f=step * (_osc(p, 2) > 0), rl1f=step * (_osc(p, 2) <= 0))
    elif action == 9:
        air = np.sin(np.pi * np.clip((p - 0.35) / 0.3, 0, 1))
        crouch = np.exp(-((p - 0.25) / 0.08) ** 2) + np.exp(-((p - 0.75) / 0.08) ** 2)
        q.update(dy=0.28 * a * air - 0.12 * crouch)
        for s in ("ll", "rl"):
            q[s + "1f"] = 50 * D * crouch
            q[s + "2f"] = -50 * D * crouch
        for s in ("la", "ra"):
            q[s + "1f"] = 150 * D * air - 30 * D * crouch
    elif action == 10:
        r = 0.5 + 0.5 * _osc(p, 2.5)
        q.update(ra1f=(35 + 50 * r * a) * D * e, ra2f=(150 - 65 * r) * D * e, la1f=40 * D * e, la2f=140 * D * e,
                 twist=-15 * D * r * e)
    elif action == 11:
        for s in ("la", "ra"):
            q[s + "1f"] = 165 * D * a * b
            q[s + "2f"] = 170 * D * a * b
    elif action == 12:
        for s in ("la", "ra"):
            q[s + "1a"] = 90 * D * a * b
            q[s + "2a"] = 92 * D * a * b
    elif action == 13:
        q.update(ra1f=125 * D * b, ra1a=35 * D * b, ra2f=200 * D * b * a, ra2a=-35 * D * b, head=-10 * D * b)
    elif action == 14:
        sit = np.clip(p / 0.45, 0, 1)
        sit = 3 * sit**2 - 2 * sit**3
        for s in ("ll", "rl"):
            q[s + "1f"] = 85 * D * sit * a
            q[s + "2f"] = -5 * D * sit
        q.update(dy=-0.45 * sit * a, pitch=15 * D * sit, la1f=30 * D * sit, ra1f=30 * D * sit)
    elif action == 15:
        g = _osc(p, 2)
        q.update(ll1f=35 * D * np.maximum(g, 0) * e * a, rl1f=35 * D * np.maximum(-g, 0) * e * a,
                 ll2f=-35 * D * np.maximum(g, 0) * e, rl2f=-35 * D * np.maximum(-g, 0) * e,
                 ra1f=25 * D * g * e, la1f=-25 * D * g * e, dy=0.02 * np.abs(g) * e)
    elif action == 16:
        q.update(roll=32 * D * a * _osc(p, 1) * e, la1a=10 * D * e, ra1a=10 * D * e)
    elif action == 17:
        swing = _step(p, 0.45, 0.15)
        wind = np.clip(p / 0.4, 0, 1)
        arm = (-45 * wind + 200 * swing) * D * _env(p * 0.9)
        q.update(ra1f=arm, ra1a=25 * D * e, ra2f=arm + 40 * D * (1 - swing) * e, pitch=20 * D * swing * e,
                 twist=-25 * D * wind * (1 - swing), ll1f=20 * D * swing * e)
    elif action == 18:
        q.update(la1f=88 * D * e * a, la1a=15 * D * e, la2f=92 * D * e * a, la2a=10 * D * e)
    elif action == 19:
        for s in ("la", "ra"):
            q[s + "1f"] = 170 * D * b
            q[s + "1a"] = 15 * D * b
            q[s + "2f"] = 175 * D * b
        q.update(pitch=-18 * D * a * b, dy=0.03 * b)
    elif action == 20:
        shake = 0.06 * _osc(p, 4) * e
        q.update(ra1f=50 * D * e + shake, ra2f=80 * D * e + shake, fwd=0.18 * e)
    elif action == 21:
        if person == 0:
            push = _bell(np.clip(p / 0.7, 0, 1))
            q.update(la1f=80 * D * push, la2f=85 * D * push, ra1f=80 * D * push, ra2f=85 * D * push,
                     fwd=0.2 * push * a, pitch=10 * D * push)
        else:
            hit = _step(p, 0.35, 0.2)
            q.update(pitch=-18 * D * hit * (1 - _step(p, 0.8, 0.2)), fwd=-0.35 * hit * a,
                     la1f=30 * D * hit, ra1f=30 * D * hit)
    elif action == 22:
        close = _bell(p)
        for s in ("la", "ra"):
            q[s + "1f"] = 80 * D * close
            q[s + "1a"] = 45 * D * close
            q[s + "2a"] = -55 * D * close
            q[s + "2f"] = 90 * D * close
        q.update(fwd=0.3 * close * a)
    elif action == 23:
        g = _osc(p, 3)
        q.update(fwd=0.75 * p * a, ll1f=30 * D * np.maximum(g, 0), rl1f=30 * D * np.maximum(-g, 0),
                 ll2f=-30 * D * np.maximum(g, 0), rl2f=-30 * D * np.maximum(-g, 0),
                 ra1f=20 * D * g, la1f=-20 * D * g)
    return {k: v + z for k, v in q.items()}


def _rx(t):
    c, s = np.cos(t), np.sin(t)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def _ry(t):
    c, s = np.cos(t), np.sin(t)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def _rz(t):
    c, s = np.cos(t), np.sin(t)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def _dir(flex, abd, side):
    """Unit direction of a limb segment; side = -1 left, +1 right."""
    return np.array([side * np.sin(abd), -np.cos(abd) * np.cos(flex), -np.cos(abd) * np.sin(flex)])


@dataclass(frozen=True)
class Performer:
    lengths: dict
    speed: float
    amp: float
    noise: float


def _performer(seed: int, pid: int) -> Performer:
    rng = np.random.default_rng([seed, 7, pid])
    h = rng.uniform(0.88, 1.1)
    base = dict(spine1=0.22, spine2=0.22, neck=0.07, head=0.12, shoulder=0.18, upper=0.28, fore=0.25,
                hand=0.08, tip=0.06, thumb=0.05, hip=0.09, thigh=0.43, shank=0.42, foot=0.13)
    lengths = {k: v * h * rng.uniform(0.92, 1.08) for k, v in base.items()}
    return Performer(lengths, speed=rng.uniform(0.8, 1.25), amp=rng.uniform(0.82, 1.12), noise=rng.uniform(0.008, 0.02))


def _forward_kinematics(q: dict, t: int, L: dict) -> np.ndarray:
    """Joints (25, 3) of one frame in the body's frame, pelvis at the origin (before yaw)."""
    g = lambda k, d=0.0: float(q[k][t]) if k in q else d  # noqa: E731
    j = np.zeros((25, 3))
    torso = _rz(g("roll")) @ _rx(-g("pitch")) @ _ry(g("twist"))
    j[0] = 0
    j[1] = torso @ [0, L["spine1"], 0]
    j[20] = torso @ [0, L["spine1"] + L["spine2"], 0]
    j[2] = j[20] + torso @ [0, L["neck"], 0]
    j[3] = j[2] + torso @ _rx(-g("head")) @ [0, L["head"], 0]
    for side, s, sh, el, wr, ha, tip, th in ((-1, "la", 4, 5, 6, 7, 21, 22), (1, "ra", 8, 9, 10, 11, 23, 24)):
        j[sh] = j[20] + torso @ [side * L["shoulder"], -0.03, 0]
        d1 = torso @ _dir(g(s + "1f"), g(s + "1a", 0.12), side)
        d2 = torso @ _dir(g(s + "2f", 0.15), g(s + "2a", 0.1), side)
        j[el] = j[sh] + L["upper"] * d1
        j[wr] = j[el] + L["fore"] * d2
        j[ha] = j[wr] + L["hand"] * d2
        j[tip] = j[ha] + L["tip"] * d2
        inward = torso @ np.array([-side, 0.0, -0.3])
        j[th] = j[ha] + L["thumb"] * (d2 + inward) / np.linalg.norm(d2 + inward)
    for side, s, hp, kn, an, ft in ((-1, "ll", 12, 13, 14, 15), (1, "rl", 16, 17, 18, 19)):
        j[hp] = [side * L["hip"], -0.04, 0]
        d1 = _dir(g(s + "1f"), g(s + "1a", 0.04), side)
        d2 = _dir(g(s + "2f"), g(s + "2a", 0.04), side)
        j[kn] = j[hp] + L["thigh"] * d1
        j[an] = j[kn] + L["shank"] * d2
        j[ft] = j[an] + L["foot"] * np.array([0.0, -0.35, -1.0]) / np.hypot(0.35, 1.0)
    return j


def generate_sample(action: int, performer: int, camera: int, replication: int, seed: int = 0):
    """Frames of one recording, as `format_ntu_skeleton` takes them: per frame a list
    of `(tracking_id, xyz (25, 3))` in camera space (metres)."""
    perf = _performer(seed, performer)
    rng = np.random.default_rng([seed, action, performer, camera, replication])
    n = int(round(60 * perf.speed * rng.uniform(0.85, 1.15)))
    # rest before and after the action, and an uneven pace within it
    lead, tail = rng.uniform(0, 0.25, 2)
    p = np.clip(np.linspace(-lead, 1 + tail, n), 0, 1) ** rng.uniform(0.7, 1.4)
    amp = perf.amp * rng.uniform(0.75, 1.2)
    two = action in TWO_PERSON
    cam = _ry(CAMERA_YAW[camera] + rng.uniform(-20, 20) * D) @ _rx(rng.uniform(-10, 10) * D)
    cam_t = np.array([rng.uniform(-0.2, 0.2), rng.uniform(-0.3, 0.1), rng.uniform(2.8, 3.4)])
    persons = []
    for who in range(2 if two else 1):
        L = perf.lengths if who == 0 else _performer(seed, (performer % NUM_PERFORMERS) + 1 + 100).lengths
        q = _pose(action, p, amp, who)
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
        val = lambda k, t: float(q[k][t]) if k in q else 0.0  # noqa: E731
        for t in range(n):
            body = _forward_kinematics(q, t, L)
            facing = _ry(base_yaw + val("yaw", t))
            pelvis = _ry(base_yaw) @ [0.0, 0.0, -val("fwd", t)] + [x0, pelvis_h + val("dy", t) - 1.0, 0.0]
            world = body @ facing.T + pelvis  # Kinect origin at about hip height
            seq[t] = world @ cam.T + cam_t
        seq += rng.normal(0, perf.noise, seq.shape)
        persons.append(seq)

    base_id = 72057594037930000 + int(rng.integers(0, 9000))
    ids = [base_id + k for k in range(len(persons))]
    retrack = int(rng.integers(n // 3, 2 * n // 3)) if rng.random() < 0.1 else None
    missing = set(rng.choice(np.arange(5, n - 5), size=int(rng.integers(1, 4)), replace=False).tolist()) if rng.random() < 0.3 else set()
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


def generate_builtin(out_dir: str | os.PathLike, seed: int = 0, progress: bool = True) -> list[Path]:
    """Write the whole built-in data set as `.skeleton` files into `out_dir`
    (skips files that already exist; each file is written atomically)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    jobs = [(a, p, c, r) for a in range(len(BUILTIN_CLASSES)) for p in range(1, NUM_PERFORMERS + 1)
            for c in range(1, NUM_CAMERAS + 1) for r in range(1, NUM_REPLICATIONS + 1)]
    paths = []
    for a, p, c, r in tqdm(jobs, desc="generating built-in skeletons", disable=not progress, unit="file"):
        path = out / f"{sample_name(a, p, c, r)}.skeleton"
        paths.append(path)
        if path.exists():
            continue
        atomic_write_text(path, format_ntu_skeleton(generate_sample(a, p, c, r, seed)))
    return paths
