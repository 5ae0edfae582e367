"""Video frames in display orientation, at most `max_fps` of them per second.

OpenCV's FFmpeg backend decodes the file and applies the rotation a phone writes in the
container's metadata (`CAP_PROP_ORIENTATION_AUTO`), so a portrait clip stays portrait.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import SkeletonFormatError

TARGET_FPS = 30.0  # NTU RGB+D's rate, at which the models were trained


@dataclass(frozen=True)
class VideoInfo:
    path: Path
    fps: float  # the file's rate
    frames: int  # as the container says (may be approximate)
    width: int
    height: int  # after rotation
    step: int  # every step-th frame is kept

    @property
    def kept_fps(self) -> float:
        return self.fps / self.step


def _open(path: Path):
    import cv2

    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise SkeletonFormatError(f"{path}: not a video OpenCV can decode")
    cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
    return cap


def video_info(path: str | Path, max_fps: float = TARGET_FPS) -> VideoInfo:
    """The file's rate, frame count and (rotated) size, and the subsampling step."""
    import cv2

    path = Path(path)
    cap = _open(path)
    try:
        fps = cap.get(cv2.CAP_PROP_FPS) or TARGET_FPS
        ok, frame = cap.read()
        if not ok:
            raise SkeletonFormatError(f"{path}: no frame could be decoded")
        h, w = frame.shape[:2]
        n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    finally:
        cap.release()
    step = max(1, int(round(fps / max_fps)))
    return VideoInfo(path, float(fps), n, w, h, step)


def read_frames(info: VideoInfo) -> Iterator[tuple[int, np.ndarray]]:
    """`(timestamp in ms, RGB frame (H, W, 3) uint8)` for every kept frame."""
    import cv2

    cap = _open(info.path)
    try:
        i = 0
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            if i % info.step == 0:
                yield int(round(i * 1000.0 / info.fps)), cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            i += 1
    finally:
        cap.release()
