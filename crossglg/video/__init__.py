"""Skeletons from ordinary video files, for `enroll`, `recognize`, `importance` and `pose`.

A video (`.mp4`, `.mov`, `.avi`, `.webm`, `.mkv`) becomes a MediaPipe Pose skeleton:
33 world landmarks per frame, in metres, in the `mediapipe33` layout, with the body's
movement through the room restored (MediaPipe puts the hips at the origin in every
frame). The steps, one module each:

- `decode.py`: frames in display orientation (phone rotation metadata respected),
  subsampled to at most 30 frames/s (NTU's rate, at which the models were trained);
- `pose_model.py`: MediaPipe's pose model file, downloaded once into a user cache, or
  `--pose-model PATH` / `CROSSGLG_POSE_MODEL` on a machine without internet;
- `extract.py`: MediaPipe's PoseLandmarker per frame (VIDEO mode, one person: the most
  prominent), the body's position from the camera pose solved per frame, and a cache of
  extracted skeletons keyed by the video's content and the model;
- `render.py`: an animated image of what the model saw (and the JID's importance on it).

MediaPipe is an optional extra: `pip install -e '.[video]'`. Monocular 3D loses what a
depth camera has: depth is estimated (the body's distance from the camera comes from an
assumed focal length), one person is tracked, and the scale is MediaPipe's body model's.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import CrossGLGError

VIDEO_EXTENSIONS = (".mp4", ".mov", ".avi", ".webm", ".mkv", ".m4v")


def is_video(path: str | Path) -> bool:
    return Path(path).suffix.lower() in VIDEO_EXTENSIONS


class VideoExtraMissing(CrossGLGError, ImportError):
    """MediaPipe (the `video` extra) is not installed."""


def require_mediapipe():
    """The `mediapipe` module, or a one-line error naming the extra."""
    try:
        import mediapipe
    except ImportError:
        raise VideoExtraMissing(
            "reading video needs the video extra: pip install 'crossglg[video]' (or -e '.[video]' in a checkout)"
        ) from None
    return mediapipe
