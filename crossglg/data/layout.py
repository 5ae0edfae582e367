"""Skeleton layouts: joint names and bones of the NTU RGB+D (Kinect v2) body, and
the mapping of the UTD-MHAD (Kinect v1, 20 joints) body onto it.

Every dataset in crossglg is served in the NTU layout: 25 joints, so that one
graph, one text schema and one model serve them all, centred on the spine-middle joint
of the first frame (`centre_on_spine`, which every parser uses).
"""

from __future__ import annotations

import numpy as np
from einops import rearrange

NUM_JOINTS = 25
MAX_BODIES = 2
SPINE_MID = 1  # 0-based index of "middle of spine", the centring joint

#: NTU joint names (0-based order); these are the names the text descriptions use.
NTU_JOINTS: tuple[str, ...] = (
    "base of spine",
    "middle of spine",
    "neck",
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
    "spine at shoulders",
    "tip of left hand",
    "left thumb",
    "tip of right hand",
    "right thumb",
)

#: Bones as (child, parent), 1-based, as in the NTU RGB+D body layout.
NTU_BONES_1BASED: tuple[tuple[int, int], ...] = (
    (1, 2),
    (2, 21),
    (3, 21),
    (4, 3),
    (5, 21),
    (6, 5),
    (7, 6),
    (8, 7),
    (9, 21),
    (10, 9),
    (11, 10),
    (12, 11),
    (13, 1),
    (14, 13),
    (15, 14),
    (16, 15),
    (17, 1),
    (18, 17),
    (19, 18),
    (20, 19),
    (22, 23),
    (23, 8),
    (24, 25),
    (25, 12),
)
NTU_BONES: tuple[tuple[int, int], ...] = tuple((c - 1, p - 1) for c, p in NTU_BONES_1BASED)

#: Parent of each joint (0-based) for the bone stream; the root (spine middle, 21's chain) points to itself.
NTU_PARENT: tuple[int, ...] = tuple(dict(NTU_BONES).get(j, j) for j in range(NUM_JOINTS))

#: UTD-MHAD joint order (1-based in its own file), names from Skeleton_joint_order.txt.
UTD_JOINTS: tuple[str, ...] = (
    "head",
    "shoulder_center",
    "spine",
    "hip_center",
    "left_shoulder",
    "left_elbow",
    "left_wrist",
    "left_hand",
    "right_shoulder",
    "right_elbow",
    "right_wrist",
    "right_hand",
    "left_hip",
    "left_knee",
    "left_ankle",
    "left_foot",
    "right_hip",
    "right_knee",
    "right_ankle",
    "right_foot",
)

#: For each NTU joint (0-based), the UTD joint (0-based) that supplies it.
#: NTU neck, hand tips and thumbs have no Kinect v1 joint: they take their nearest
#: neighbour's position (neck <- shoulder_center, tips/thumbs <- the hand).
UTD_TO_NTU: tuple[int, ...] = (
    3,  # base of spine    <- hip_center
    2,  # middle of spine  <- spine
    1,  # neck             <- shoulder_center (filled)
    0,  # head
    4,
    5,
    6,
    7,  # left shoulder..hand
    8,
    9,
    10,
    11,  # right shoulder..hand
    12,
    13,
    14,
    15,  # left hip..foot
    16,
    17,
    18,
    19,  # right hip..foot
    1,  # spine at shoulders <- shoulder_center
    7,
    7,  # tip of left hand, left thumb  <- left_hand (filled)
    11,
    11,  # tip of right hand, right thumb <- right_hand (filled)
)


def adjacency(num_joints: int = NUM_JOINTS, bones=NTU_BONES) -> np.ndarray:
    """Symmetric 0/1 adjacency `(V, V)` of the skeleton graph, without self loops."""
    a = np.zeros((num_joints, num_joints), dtype=np.float32)
    for c, p in bones:
        a[c, p] = a[p, c] = 1.0
    return a


def centre_on_spine(frames: np.ndarray, present: np.ndarray | None = None, bodies: int | None = None) -> np.ndarray:
    """Bodies per frame `(T, M, V, 3)` -> `(3, T, V, bodies)` float32 (`bodies` defaults
    to M; extra slots are zero), centred on the spine-middle joint of the first frame's
    first present body. `present (T, M)` marks the bodies a frame has (all when None);
    absent ones stay zero. The subtraction runs in the input's precision."""
    t, m = frames.shape[:2]
    if present is None:
        present = np.ones((t, m), dtype=bool)
    origin = frames[0, int(np.argmax(present[0])), SPINE_MID]
    centred = np.where(present[:, :, None, None], frames - origin, 0.0)
    out = np.zeros((3, t, frames.shape[2], bodies or m), dtype=np.float32)
    out[..., :m] = rearrange(centred, "t m v c -> c t v m")
    return out
