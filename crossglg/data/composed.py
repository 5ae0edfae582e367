"""The generated data set `composed`: actions composed of per-body-part motions, with
descriptions derived from the generator, so that the text is informative by
construction.

Four parts move independently: the right arm and the left arm (rest, raise, wave,
punch, spread), the legs (stand, squat, kick, march) and the trunk (upright, bow,
side bend, twist). A class is one choice per part with at least two parts moving;
40 classes are drawn once (fixed, whatever the data seed). The 10 novel classes of
`composed_oneshot` are new combinations: every part motion they use is seen in the
30 auxiliary classes, but each differs from every auxiliary class in at least two
parts. Each joint's sentence is the sentence of its part's motion for that joint
(shoulder, elbow, hand end of an arm; hip, knee, foot end of a leg; the five trunk
joints), plus what the other parts do to it (a squat lowers the trunk; a bow carries
the arms), and the key joints are those the class's motions move most.

6 performers x 3 cameras x 1 replication per class (720 recordings), rendered by
`synthetic` with its capture artefacts; single-person; in a squat the feet stay planted
(the pelvis follows the legs down).
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .layout import NTU_JOINTS
from .synthetic import NUM_CAMERAS, NUM_PERFORMERS, D, bell, envelope, oscillation, render_recording, write_recordings

NUM_CLASSES = 40
NUM_NOVEL = 10
CLASS_DRAW_SEED = 2024  # fixes the class list; the data seed varies the recordings only

ARM = ("rest", "raise", "wave", "punch", "spread")
LEGS = ("stand", "squat", "kick", "march")
TRUNK = ("upright", "bow", "side bend", "twist")
PARTS = ("right arm", "left arm", "legs", "trunk")
STILL = ("rest", "rest", "stand", "upright")  # each part's motion that moves nothing


@dataclass(frozen=True)
class Composition:
    """One class: a motion per part (`PARTS` order)."""

    right_arm: str
    left_arm: str
    legs: str
    trunk: str

    @property
    def motions(self) -> tuple[str, str, str, str]:
        return (self.right_arm, self.left_arm, self.legs, self.trunk)

    @property
    def name(self) -> str:
        verbs = {"raise": "raise", "wave": "wave", "punch": "punch with", "spread": "spread"}
        words = [
            f"{verbs[m]} the {side} arm"
            for side, m in (("right", self.right_arm), ("left", self.left_arm))
            if m != "rest"
        ]
        words += (
            [{"squat": "squat", "kick": "kick with the right leg", "march": "march in place"}[self.legs]]
            if self.legs != "stand"
            else []
        )
        words += (
            [{"bow": "bow", "side bend": "bend sideways", "twist": "twist the trunk"}[self.trunk]]
            if self.trunk != "upright"
            else []
        )
        return ", ".join(words)


def _differences(a: Composition, b: Composition) -> int:
    return sum(x != y for x, y in zip(a.motions, b.motions))


def _draw_classes() -> tuple[tuple[Composition, ...], tuple[int, ...]]:
    """The 40 classes in label order and the 0-based novel labels (every 4th)."""
    rng = np.random.default_rng(CLASS_DRAW_SEED)
    every = [
        Composition(*m) for m in itertools.product(ARM, ARM, LEGS, TRUNK) if sum(x != s for x, s in zip(m, STILL)) >= 2
    ]
    while True:
        order = [every[i] for i in rng.permutation(len(every))]
        novel: list[Composition] = []
        for c in order:
            if len(novel) < NUM_NOVEL and all(_differences(c, n) >= 2 for n in novel):
                novel.append(c)
        aux = [c for c in order if c not in novel and all(_differences(c, n) >= 2 for n in novel)]
        aux = aux[: NUM_CLASSES - NUM_NOVEL]
        seen = [set(c.motions[k] for c in aux) for k in range(4)]
        if len(aux) == NUM_CLASSES - NUM_NOVEL and seen == [set(ARM), set(ARM), set(LEGS), set(TRUNK)]:
            break
    classes: list[Composition] = []
    for k in range(NUM_NOVEL):
        classes += [novel[k]] + aux[3 * k : 3 * k + 3]
    return tuple(classes), tuple(range(0, NUM_CLASSES, 4))


CLASSES, NOVEL = _draw_classes()
COMPOSED_CLASSES: tuple[str, ...] = tuple(c.name for c in CLASSES)


# -- motion ----------------------------------------------------------------------------
def _arm(motion: str, s: str, p: np.ndarray, a: float) -> dict:
    b, e = bell(p), envelope(p)
    if motion == "raise":
        return {s + "1f": 160 * D * a * b, s + "2f": 170 * D * b}
    if motion == "wave":
        return {s + "1a": 80 * D * e, s + "1f": 10 * D * e, s + "2a": (120 + 35 * a * oscillation(p, 3)) * D * e}
    if motion == "punch":
        r = 0.5 + 0.5 * oscillation(p, 2.5)
        return {s + "1f": (35 + 50 * r * a) * D * e, s + "2f": (150 - 65 * r) * D * e}
    if motion == "spread":
        return {s + "1a": 90 * D * a * b, s + "2a": 92 * D * b}
    return {}


def _legs(motion: str, p: np.ndarray, a: float) -> dict:
    b, e = bell(p), envelope(p)
    if motion == "squat":
        return {"ll1f": 95 * D * a * b, "ll2f": -25 * D * a * b, "rl1f": 95 * D * a * b, "rl2f": -25 * D * a * b}
    if motion == "kick":
        return {"rl1f": 75 * D * a * b, "rl2f": 45 * D * a * b}
    if motion == "march":
        g = oscillation(p, 2)
        up, down = np.maximum(g, 0) * e, np.maximum(-g, 0) * e
        return {"ll1f": 55 * D * up * a, "ll2f": -15 * D * up, "rl1f": 55 * D * down * a, "rl2f": -15 * D * down}
    return {}


def _trunk(motion: str, p: np.ndarray, a: float) -> dict:
    b, e = bell(p), envelope(p)
    if motion == "bow":
        return {"pitch": 45 * D * a * b, "head": 15 * D * b}
    if motion == "side bend":
        return {"roll": 25 * D * a * oscillation(p, 1) * e}
    if motion == "twist":
        return {"twist": 45 * D * a * oscillation(p, 1.5) * e}
    return {}


def pose(label: int, p: np.ndarray, amp: float) -> dict:
    """Pose parameters of class `label` (0-based) over normalised time `p` (T,)."""
    c = CLASSES[label]
    return {
        **_arm(c.right_arm, "ra", p, amp),
        **_arm(c.left_arm, "la", p, amp),
        **_legs(c.legs, p, amp),
        **_trunk(c.trunk, p, amp),
    }


def plants_feet(label: int) -> bool:
    """Whether class `label`'s feet stay planted while its legs bend (a squat)."""
    return CLASSES[label].legs == "squat"


def generate_sample(label: int, performer: int, camera: int, replication: int = 1, seed: int = 0) -> list:
    """Frames of one recording of class `label` (0-based), as `format_ntu_skeleton` takes them."""
    return render_recording(
        lambda p, amp, who: pose(label, p, amp),
        False,
        performer,
        camera,
        [seed, 1000 + label, performer, camera, replication],
        seed,
        plant_feet=plants_feet(label),
    )


def generate_composed(out_dir: str | os.PathLike, seed: int = 0, progress: bool = True) -> list[Path]:
    """Write the whole data set as `.skeleton` files into `out_dir` (existing files are
    kept; each is written atomically)."""
    jobs = [
        (a, p, c, 1)
        for a in range(NUM_CLASSES)
        for p in range(1, NUM_PERFORMERS + 1)
        for c in range(1, NUM_CAMERAS + 1)
    ]
    return write_recordings(out_dir, jobs, lambda a, p, c, r: generate_sample(a, p, c, r, seed), "composed", progress)


# -- descriptions ----------------------------------------------------------------------
# Joints by part and by role: (joint, role) with role "root", "middle" or "end".
_ARM_JOINTS = {
    side: (
        (f"{side} shoulder", "root"),
        (f"{side} elbow", "middle"),
        (f"{side} wrist", "end"),
        (f"{side} hand", "end"),
        (f"tip of {side} hand", "end"),
        (f"{side} thumb", "end"),
    )
    for side in ("left", "right")
}
_LEG_JOINTS = {
    side: ((f"{side} hip", "root"), (f"{side} knee", "middle"), (f"{side} ankle", "end"), (f"{side} foot", "end"))
    for side in ("left", "right")
}
_TRUNK_JOINTS = ("base of spine", "middle of spine", "spine at shoulders", "neck", "head")
#: The joints of each part (`PARTS` order).
PART_JOINTS: tuple[tuple[str, ...], ...] = (
    tuple(j for j, _ in _ARM_JOINTS["right"]),
    tuple(j for j, _ in _ARM_JOINTS["left"]),
    tuple(j for side in ("left", "right") for j, _ in _LEG_JOINTS[side]),
    _TRUNK_JOINTS,
)

_ARM_TEXT = {
    "rest": {
        "root": "The {j} stays level and carries the {side} arm hanging at rest.",
        "middle": "The {j} stays straight and low beside the hip.",
        "end": "The {j} hangs relaxed beside the {side} thigh.",
    },
    "raise": {
        "root": "The {j} turns as the straight {side} arm swings forward and up to point at the ceiling, "
        "then back down.",
        "middle": "The {j} rises in front of the body to above shoulder height, then returns to the side.",
        "end": "The {j} travels forward and up in one slow arc to high above the head and comes back down.",
    },
    "wave": {
        "root": "The {j} holds the {side} upper arm out sideways at shoulder height throughout.",
        "middle": "The {j} stays out to the side at shoulder height while the forearm swings above it.",
        "end": "The {j} swings from side to side above the {side} elbow, three times.",
    },
    "punch": {
        "root": "The {j} drives the {side} arm forward in repeated thrusts.",
        "middle": "The {j} bends tight by the chest and straightens forward, over and over.",
        "end": "The {j} shoots straight out in front of the chest and pulls back, two or three times.",
    },
    "spread": {
        "root": "The {j} lifts the straight {side} arm out sideways to horizontal, then lowers it.",
        "middle": "The {j} rises sideways, away from the body, to shoulder height and sinks back.",
        "end": "The {j} sweeps out to the side in a wide arc until level with the shoulder, then returns to the hip.",
    },
}
_LEG_TEXT = {
    "stand": {
        "root": "The {j} stays level over the standing {side} leg.",
        "middle": "The {j} stays straight, holding the body up.",
        "end": "The {j} stays planted flat on the floor.",
    },
    "squat": {
        "root": "The {j} sinks towards the floor and rises back as both legs squat.",
        "middle": "The {j} bends sharply and pushes forward, then straightens again.",
        "end": "The {j} stays on the floor while the body lowers over it and rises.",
    },
    "march": {
        "root": "The {j} flexes to lift the {side} thigh, in turn with the other leg.",
        "middle": "The {j} lifts forward and up in alternation with the other knee, twice each.",
        "end": "The {j} lifts off the floor and sets down again, alternating with the other foot.",
    },
}
_KICK_TEXT = {
    "right": {
        "root": "The {j} flexes to swing the right leg forward and up in one kick.",
        "middle": "The {j} lifts to hip height in front of the body and drops back.",
        "end": "The {j} flies forward and up in the kick, then returns to the floor.",
    },
    "left": {
        "root": "The {j} holds steady over the left leg, which carries all the weight during the kick.",
        "middle": "The {j} stays straight as the body stands on the left leg alone.",
        "end": "The {j} stays planted as the only support while the right leg kicks.",
    },
}
_TRUNK_TEXT = {
    "upright": (
        "The base of the spine stays still at hip height.",
        "The middle of the spine stays upright.",
        "The spine at the shoulders stays upright above the hips.",
        "The neck stays upright and still.",
        "The head stays level, facing forward.",
    ),
    "bow": (
        "The base of the spine stays put as the pivot of the bow.",
        "The middle of the spine tips forward as the trunk bends from the waist.",
        "The spine at the shoulders moves forward and down in a deep bow, then rises back.",
        "The neck travels forward and down with the bowing trunk.",
        "The head dips forward and down in front of the body, then lifts back up.",
    ),
    "side bend": (
        "The base of the spine stays centred while the trunk sways above it.",
        "The middle of the spine curves to one side and then the other.",
        "The spine at the shoulders sways left, then right, as the trunk bends sideways.",
        "The neck tilts with the trunk, sideways one way and then the other.",
        "The head swings from over one hip to over the other.",
    ),
    "twist": (
        "The base of the spine stays facing forward while the chest turns above it.",
        "The middle of the spine stays over the hips, the axis the chest turns around.",
        "The spine at the shoulders stays over the hips while the chest rotates around it.",
        "The neck stays upright above the chest, turning in place with it.",
        "The head stays above the spine, turning in place with the shoulders.",
    ),
}
# What the legs and the trunk do to the joints of the other parts.
_LEGS_CARRY = {"squat": "It sinks and rises with the squat."}
_TRUNK_CARRY = {
    "bow": "The bow carries it forward and down.",
    "side bend": "The sideways bend sways it side to side.",
    "twist": "The twist of the chest swings it round, forward on one side and back on the other.",
}
_GLOBAL = {
    "arm": {
        "rest": "hangs at rest",
        "raise": "rises forward to point overhead and lowers",
        "wave": "waves overhead from side to side",
        "punch": "punches forward again and again",
        "spread": "lifts out sideways to shoulder height and lowers",
    },
    "legs": {
        "stand": "stand still",
        "squat": "squat down and stand up",
        "kick": "kick the right leg forward once",
        "march": "march in place",
    },
    "trunk": {
        "upright": "stays upright",
        "bow": "bows forward from the waist and straightens",
        "side bend": "bends to the left and to the right",
        "twist": "twists to the left and to the right",
    },
}
_KEYS = {
    "arm": {
        "raise": ("elbow", "wrist", "hand"),
        "wave": ("wrist", "hand"),
        "punch": ("elbow", "wrist", "hand"),
        "spread": ("elbow", "wrist", "hand"),
    },
    "legs": {
        "squat": ("left hip", "right hip", "left knee", "right knee"),
        "kick": ("right knee", "right ankle", "right foot"),
        "march": ("left knee", "right knee", "left ankle", "right ankle"),
    },
    "trunk": {
        "bow": ("spine at shoulders", "neck", "head"),
        "side bend": ("spine at shoulders", "neck", "head"),
        "twist": ("left shoulder", "right shoulder", "left elbow", "right elbow"),
    },
}


def _sentence(text: str, carries: list[str]) -> str:
    return " ".join([text] + carries)


def describe(label: int) -> dict:
    """The description of class `label` (0-based) in the description-file schema:
    `{"id", "name", "global", "key_joints", "joints"}`, every sentence derived from the
    motions that make the class."""
    c = CLASSES[label]
    joints: dict[str, str] = {}
    legs_carry = [_LEGS_CARRY[c.legs]] if c.legs in _LEGS_CARRY else []
    trunk_carry = [_TRUNK_CARRY[c.trunk]] if c.trunk in _TRUNK_CARRY else []
    for side, motion in (("right", c.right_arm), ("left", c.left_arm)):
        for j, role in _ARM_JOINTS[side]:
            joints[j] = _sentence(_ARM_TEXT[motion][role].format(j=j, side=side), trunk_carry + legs_carry)
    for side in ("left", "right"):
        table = _KICK_TEXT[side] if c.legs == "kick" else _LEG_TEXT[c.legs]
        for j, role in _LEG_JOINTS[side]:
            joints[j] = table[role].format(j=j, side=side)
    for j, text in zip(_TRUNK_JOINTS, _TRUNK_TEXT[c.trunk]):
        carry = [] if j == "base of spine" and c.legs != "squat" else legs_carry
        joints[j] = _sentence(text, carry)
    keys: list[str] = []
    for side, motion in (("right", c.right_arm), ("left", c.left_arm)):
        keys += [f"{side} {k}" for k in _KEYS["arm"].get(motion, ())]
    keys += list(_KEYS["legs"].get(c.legs, ())) + list(_KEYS["trunk"].get(c.trunk, ()))
    g = _GLOBAL
    text = (
        f"The right arm {g['arm'][c.right_arm]} and the left arm {g['arm'][c.left_arm]}, while the legs "
        f"{g['legs'][c.legs]} and the trunk {g['trunk'][c.trunk]}."
    )
    return {
        "id": label + 1,
        "name": c.name,
        "global": text,
        "key_joints": list(dict.fromkeys(keys)),
        "joints": {j: joints[j] for j in NTU_JOINTS},
    }
