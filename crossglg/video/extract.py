"""A video -> MediaPipe Pose skeleton `(T, 33, 4)` (x, y, z in metres, visibility), with
the body's movement restored, cached by the video's content and the model.

MediaPipe's world landmarks are centred on the hips in every frame, so sitting down,
jumping and walking lose their whole-body movement. Its image landmarks keep where the
body is in the picture. Per frame, the camera pose that projects the world landmarks onto
the image landmarks is solved (OpenCV `solvePnP`, a pinhole camera with the focal length
equal to the frame height and the principal point at the centre), and the world
landmarks are moved into the camera's frame: `X_cam = R X_world + t`. The camera's axes
are MediaPipe's (x right, y down, z forward), which `mediapipe33` reads. The translation
is median-filtered over 5 frames, since the solved depth jitters. Frames where no person
was found are NaN (the recording reader interpolates short gaps); a video with a person
in fewer than half of its frames is refused.

One person is tracked (`num_poses=1`: MediaPipe keeps the most prominent). Depth comes
from an assumed focal length, so the distance to the camera is relative, and the scale is
MediaPipe's body model's.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from ..errors import SkeletonFormatError
from ..io import atomic_write_with, file_sha256
from . import require_mediapipe
from .decode import TARGET_FPS, VideoInfo, read_frames, video_info
from .pose_model import cache_dir, pose_model_path

EXTRACTOR_VERSION = 1  # part of the cache key: bump when the extraction changes
MIN_DETECTED = 0.5  # the share of frames that must show a person
SMOOTH = 5  # frames in the translation's median filter


@contextlib.contextmanager
def _native_log_captured():
    """MediaPipe's C++ side logs dozens of INFO/WARNING lines to file descriptor 2 per
    model load. They are held in a temporary file and shown only if something fails."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as log:
        os.dup2(log.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def detect_landmarks(info: VideoInfo, model: Path) -> dict[str, np.ndarray]:
    """MediaPipe PoseLandmarker in VIDEO mode over the kept frames: `world (T, 33, 3)`
    metres, hip-centred; `image (T, 33, 3)` normalised x, y (and MediaPipe's relative z);
    `visibility (T, 33)`; NaN where no person was found."""
    mp = require_mediapipe()
    from mediapipe.tasks.python import BaseOptions, vision

    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(model)),
        running_mode=vision.RunningMode.VIDEO,
        num_poses=1,
    )
    world, image, vis = [], [], []
    with _native_log_captured(), vision.PoseLandmarker.create_from_options(options) as landmarker:
        for ts, rgb in read_frames(info):
            res = landmarker.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), ts)
            if res.pose_world_landmarks:
                w, i = res.pose_world_landmarks[0], res.pose_landmarks[0]
                world.append([[p.x, p.y, p.z] for p in w])
                image.append([[p.x, p.y, p.z] for p in i])
                vis.append([p.visibility if p.visibility is not None else 1.0 for p in w])
            else:
                world.append(np.full((33, 3), np.nan))
                image.append(np.full((33, 3), np.nan))
                vis.append(np.zeros(33))
    return {
        "world": np.asarray(world, np.float64),
        "image": np.asarray(image, np.float64),
        "visibility": np.asarray(vis),
    }


def restore_movement(world: np.ndarray, image: np.ndarray, width: int, height: int) -> np.ndarray:
    """`world (T, 33, 3)` hip-centred, `image (T, 33, 3)` normalised -> `(T, 33, 3)` in the
    camera's frame (see the module's docstring). NaN frames stay NaN."""
    import cv2

    k = np.array([[height, 0, width / 2], [0, height, height / 2], [0, 0, 1]], np.float64)
    rot = np.full((len(world), 3, 3), np.nan)
    trans = np.full((len(world), 3), np.nan)
    for t in range(len(world)):
        if not np.isfinite(world[t]).all():
            continue
        px = image[t, :, :2] * [width, height]
        ok, rvec, tvec = cv2.solvePnP(world[t], px, k, None, flags=cv2.SOLVEPNP_ITERATIVE)
        if ok:
            rot[t], trans[t] = cv2.Rodrigues(rvec)[0], tvec[:, 0]
    found = np.flatnonzero(np.isfinite(trans).all(-1))
    smooth = trans.copy()
    for j, t in enumerate(found):  # median over the nearest SMOOTH frames that have a pose
        lo = max(0, min(j - SMOOTH // 2, len(found) - SMOOTH))
        smooth[t] = np.median(trans[found[lo : lo + SMOOTH]], axis=0)
    return np.einsum("tij,tvj->tvi", rot, world) + smooth[:, None]


def _cache_path(video: Path, model: Path) -> Path:
    key = f"{file_sha256(video)[:24]}-{file_sha256(model)[:12]}-v{EXTRACTOR_VERSION}"
    return cache_dir() / "poses" / f"{key}.npz"


def video_skeleton(path: str | Path, pose_model: str | Path | None = None, max_fps: float = TARGET_FPS) -> np.ndarray:
    """A video's skeleton `(T, 33, 4)`: x, y, z in metres in the camera's frame (the body's
    movement restored) and visibility; NaN rows where no person was found. Read from the
    cache when this video was extracted with this model before."""
    path = Path(path)
    require_mediapipe()  # before the model is looked for: the missing extra is the first thing to say
    model = pose_model_path(pose_model)
    cached = _cache_path(path, model)
    if cached.is_file():
        try:
            with np.load(cached) as z:
                return z["skeleton"]
        except (OSError, ValueError, KeyError):
            cached.unlink(missing_ok=True)  # damaged: extract again
    info = video_info(path, max_fps)
    lm = detect_landmarks(info, model)
    found = np.isfinite(lm["world"]).all((1, 2))
    if found.mean() < MIN_DETECTED:
        raise SkeletonFormatError(
            path, f"a person was found in only {int(found.sum())} of {len(found)} frames (at least half are needed)"
        )
    xyz = restore_movement(lm["world"], lm["image"], info.width, info.height)
    skeleton = np.concatenate([xyz, np.where(found[:, None], lm["visibility"], np.nan)[..., None]], -1)

    def write(fh):
        buf = io.BytesIO()
        np.savez(buf, skeleton=skeleton, world=lm["world"], image=lm["image"], fps=info.kept_fps)
        fh.write(buf.getvalue())

    atomic_write_with(cached, write)
    return skeleton
