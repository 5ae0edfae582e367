"""`python -m crossglg pose`: a video's skeleton, for inspection or for other tools."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def pose_arguments(p) -> None:
    p.description = (
        "Run MediaPipe Pose on a video and write its skeleton as .npy (T, 33, 4): x, y, z in metres in the "
        "camera's frame (x right, y down, z forward; the body's movement restored) and visibility, NaN where "
        "no person was found; the mediapipe33 layout reads it. Cached: a second run reads the cache."
    )
    p.add_argument("video")
    p.add_argument("--out", required=True, help="the .npy to write")
    p.add_argument("--pose-model", default=None, metavar="PATH", help="MediaPipe's pose model file")
    p.add_argument("--animate", default=None, metavar="GIF", help="also write an animated GIF of the skeleton")


def _pose(args) -> int:
    from ..data.recordings import from_array
    from ..io import atomic_save_npy
    from .extract import video_skeleton

    skeleton = video_skeleton(args.video, args.pose_model)
    atomic_save_npy(args.out, skeleton.astype(np.float32))
    found = np.isfinite(skeleton).all((1, 2))
    hips = skeleton[found][:, [23, 24], 1].mean(1)
    print(
        f"wrote {args.out}: {len(skeleton)} frames, a person in {int(found.sum())}; "
        f"hip height range {hips.max() - hips.min():.2f} m"
    )
    if args.animate:
        from .render import animate_skeleton

        recording = from_array(skeleton[..., :3], "mediapipe33", where=args.video)
        print(f"wrote {animate_skeleton(recording, args.animate, title=Path(args.video).name)}")
    return 0


COMMANDS = {"pose": (pose_arguments, _pose)}
