"""The built-in data set `builtin`: procedurally generated skeleton actions written as
real NTU-format `.skeleton` files, so that the demo runs the same parser and the same
pipeline as the real benchmarks, with no download.

24 action classes (20 single-person, 4 two-person) that differ in which body parts
move and how, each with its own hand-made motion; 6 performers, 3 camera views and 2
replications from `synthetic` (the shared body, performers, cameras and capture
artefacts). Everything is deterministic from the seed.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .synthetic import (
    NUM_CAMERAS,
    NUM_PERFORMERS,
    D,
    bell,
    envelope,
    oscillation,
    render_recording,
    step,
    write_recordings,
)

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
NUM_REPLICATIONS = 2


def _pose(action: int, p: np.ndarray, amp: float, person: int) -> dict[str, np.ndarray]:
    """Pose parameters over normalised time `p` (T,) for one person of an action."""
    z = np.zeros_like(p)
    q: dict[str, np.ndarray] = {}
    b, e = bell(p), envelope(p)
    a = amp
    if action == 0:
        q.update(ra1f=160 * D * a * b, ra2f=170 * D * a * b)
    elif action == 1:
        q.update(la1f=160 * D * a * b, la2f=170 * D * a * b)
    elif action == 2:
        q.update(ra1a=80 * D * e, ra1f=10 * D * e, ra2a=(120 + 35 * a * oscillation(p, 3)) * D * e)
    elif action == 3:
        clap = 0.5 + 0.5 * oscillation(p, 4)
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
        stride = 20 * D * np.abs(oscillation(p, 2)) * e
        q.update(ll1f=stride * (oscillation(p, 2) > 0), rl1f=stride * (oscillation(p, 2) <= 0))
    elif action == 9:
        air = np.sin(np.pi * np.clip((p - 0.35) / 0.3, 0, 1))
        crouch = np.exp(-(((p - 0.25) / 0.08) ** 2)) + np.exp(-(((p - 0.75) / 0.08) ** 2))
        q.update(dy=0.28 * a * air - 0.12 * crouch)
        for s in ("ll", "rl"):
            q[s + "1f"] = 50 * D * crouch
            q[s + "2f"] = -50 * D * crouch
        for s in ("la", "ra"):
            q[s + "1f"] = 150 * D * air - 30 * D * crouch
    elif action == 10:
        r = 0.5 + 0.5 * oscillation(p, 2.5)
        q.update(
            ra1f=(35 + 50 * r * a) * D * e,
            ra2f=(150 - 65 * r) * D * e,
            la1f=40 * D * e,
            la2f=140 * D * e,
            twist=-15 * D * r * e,
        )
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
        g = oscillation(p, 2)
        q.update(
            ll1f=35 * D * np.maximum(g, 0) * e * a,
            rl1f=35 * D * np.maximum(-g, 0) * e * a,
            ll2f=-35 * D * np.maximum(g, 0) * e,
            rl2f=-35 * D * np.maximum(-g, 0) * e,
            ra1f=25 * D * g * e,
            la1f=-25 * D * g * e,
            dy=0.02 * np.abs(g) * e,
        )
    elif action == 16:
        q.update(roll=32 * D * a * oscillation(p, 1) * e, la1a=10 * D * e, ra1a=10 * D * e)
    elif action == 17:
        swing = step(p, 0.45, 0.15)
        wind = np.clip(p / 0.4, 0, 1)
        arm = (-45 * wind + 200 * swing) * D * envelope(p * 0.9)
        q.update(
            ra1f=arm,
            ra1a=25 * D * e,
            ra2f=arm + 40 * D * (1 - swing) * e,
            pitch=20 * D * swing * e,
            twist=-25 * D * wind * (1 - swing),
            ll1f=20 * D * swing * e,
        )
    elif action == 18:
        q.update(la1f=88 * D * e * a, la1a=15 * D * e, la2f=92 * D * e * a, la2a=10 * D * e)
    elif action == 19:
        for s in ("la", "ra"):
            q[s + "1f"] = 170 * D * b
            q[s + "1a"] = 15 * D * b
            q[s + "2f"] = 175 * D * b
        q.update(pitch=-18 * D * a * b, dy=0.03 * b)
    elif action == 20:
        shake = 0.06 * oscillation(p, 4) * e
        q.update(ra1f=50 * D * e + shake, ra2f=80 * D * e + shake, fwd=0.18 * e)
    elif action == 21:
        if person == 0:
            push = bell(np.clip(p / 0.7, 0, 1))
            q.update(
                la1f=80 * D * push,
                la2f=85 * D * push,
                ra1f=80 * D * push,
                ra2f=85 * D * push,
                fwd=0.2 * push * a,
                pitch=10 * D * push,
            )
        else:
            hit = step(p, 0.35, 0.2)
            q.update(
                pitch=-18 * D * hit * (1 - step(p, 0.8, 0.2)), fwd=-0.35 * hit * a, la1f=30 * D * hit, ra1f=30 * D * hit
            )
    elif action == 22:
        close = bell(p)
        for s in ("la", "ra"):
            q[s + "1f"] = 80 * D * close
            q[s + "1a"] = 45 * D * close
            q[s + "2a"] = -55 * D * close
            q[s + "2f"] = 90 * D * close
        q.update(fwd=0.3 * close * a)
    elif action == 23:
        g = oscillation(p, 3)
        q.update(
            fwd=0.75 * p * a,
            ll1f=30 * D * np.maximum(g, 0),
            rl1f=30 * D * np.maximum(-g, 0),
            ll2f=-30 * D * np.maximum(g, 0),
            rl2f=-30 * D * np.maximum(-g, 0),
            ra1f=20 * D * g,
            la1f=-20 * D * g,
        )
    return {k: v + z for k, v in q.items()}


def generate_sample(action: int, performer: int, camera: int, replication: int, seed: int = 0) -> list:
    """Frames of one recording (`synthetic.render_recording`); `action` is 0-based."""
    return render_recording(
        lambda p, amp, who: _pose(action, p, amp, who),
        action in TWO_PERSON,
        performer,
        camera,
        [seed, action, performer, camera, replication],
        seed,
    )


def generate_builtin(out_dir: str | os.PathLike, seed: int = 0, progress: bool = True) -> list[Path]:
    """Write the whole built-in data set as `.skeleton` files into `out_dir`
    (skips files that already exist; each file is written atomically)."""
    jobs = [
        (a, p, c, r)
        for a in range(len(BUILTIN_CLASSES))
        for p in range(1, NUM_PERFORMERS + 1)
        for c in range(1, NUM_CAMERAS + 1)
        for r in range(1, NUM_REPLICATIONS + 1)
    ]
    return write_recordings(out_dir, jobs, lambda a, p, c, r: generate_sample(a, p, c, r, seed), "built-in", progress)
