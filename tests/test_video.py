"""Video in, skeleton out: the pose model's lookup and download, the body's movement
restored from the camera pose, the squats clip against Google's reference landmarks, the
cache, and enroll/recognize on real video. The real-clip tests use
`../shared/data/video/` (the clip and the offline stand-in for MediaPipe's model) and skip
cleanly where it or MediaPipe is absent."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from crossglg.video.pose_model import PoseModelError, pose_model_path
from helpers import SHARED_DATA

VIDEO = SHARED_DATA / "video"
SQUATS, REFERENCE = VIDEO / "pose_squats.mp4", VIDEO / "pose_squats_3d.full.json"
OFFLINE_MODEL = VIDEO / "pose_landmarker_full_offline.task"
HIPS = [23, 24]  # MediaPipe's left and right hip

needs_clip = pytest.mark.skipif(
    not (SQUATS.is_file() and OFFLINE_MODEL.is_file()), reason="../shared/data/video is not here"
)


@pytest.fixture
def user_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CROSSGLG_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("CROSSGLG_POSE_MODEL", raising=False)
    return tmp_path / "cache"


def test_a_video_without_the_extra_gets_a_one_line_error(tmp_path, monkeypatch):
    from crossglg.data.recordings import read_recording
    from crossglg.video import VideoExtraMissing, require_mediapipe

    monkeypatch.setitem(sys.modules, "mediapipe", None)  # import mediapipe fails
    with pytest.raises(VideoExtraMissing, match=r"pip install 'crossglg\[video\]'"):
        require_mediapipe()
    (tmp_path / "clip.mp4").write_bytes(b"not read")
    monkeypatch.setenv("CROSSGLG_CACHE", str(tmp_path))
    with pytest.raises(VideoExtraMissing):
        read_recording(tmp_path / "clip.mp4")


def test_the_pose_model_is_found_in_order_and_downloaded_once_atomically(user_cache, tmp_path, monkeypatch):
    with pytest.raises(PoseModelError, match="nowhere.task: no pose model file here"):
        pose_model_path(tmp_path / "nowhere.task")
    given = tmp_path / "given.task"
    given.write_bytes(b"m" * 10)
    assert pose_model_path(given) == given
    monkeypatch.setenv("CROSSGLG_POSE_MODEL", str(given))
    assert pose_model_path() == given
    monkeypatch.delenv("CROSSGLG_POSE_MODEL")
    # no network here: a download that fails says what to do, and leaves nothing behind
    monkeypatch.setenv("CROSSGLG_POSE_MODEL_URL", (tmp_path / "absent.task").as_uri())
    with pytest.raises(PoseModelError, match="give --pose-model PATH"):
        pose_model_path()
    assert not any(user_cache.rglob("*task*"))
    with pytest.raises(PoseModelError, match="give --pose-model"):
        pose_model_path(download=False)
    # a download (from a file: address) lands in the user cache, and is found there next time
    source = tmp_path / "published.task"
    source.write_bytes(os.urandom(2 << 20))
    monkeypatch.setenv("CROSSGLG_POSE_MODEL_URL", source.as_uri())
    got = pose_model_path()
    assert got == user_cache / "pose_landmarker_full.task" and got.read_bytes() == source.read_bytes()
    source.unlink()
    assert pose_model_path() == got and sorted(p.name for p in user_cache.iterdir()) == [got.name]


def test_restore_movement_recovers_the_camera_frame():
    """Landmarks placed in a camera frame with a known pose and projected: the hip-centred
    world landmarks and their image give the camera-frame body back."""
    cv2 = pytest.importorskip("cv2")
    from crossglg.video.extract import restore_movement

    rng = np.random.default_rng(0)
    body = rng.uniform(-0.4, 0.4, (33, 3)) * [1, 2.2, 0.5]  # a body-sized cloud, metres
    width, height, t_len = 720, 1280, 12
    world, image, truth = [], [], []
    for t in range(t_len):
        rvec = np.array([0.05, 0.3 * np.sin(t / 3), 0.02])
        tvec = np.array([0.1, 0.05 * t, 3.0])  # the body drops 5 cm a frame
        r = cv2.Rodrigues(rvec)[0]
        cam = body @ r.T + tvec
        px = cam[:, :2] / cam[:, 2:] * height + [width / 2, height / 2]
        world.append(body)
        image.append(np.concatenate([px / [width, height], np.zeros((33, 1))], 1))
        truth.append(cam)
    world[5] = np.full((33, 3), np.nan)  # no person in frame 5
    got = restore_movement(np.array(world), np.array(image), width, height)
    assert np.isnan(got[5]).all()
    # the median filter of a linear drop is exact where the window is centred
    for t in (3, 7, 8):
        np.testing.assert_allclose(got[t], truth[t], atol=2e-3)


@needs_clip
def test_the_squats_clip_matches_the_reference_and_its_hips_go_down_and_up(user_cache, monkeypatch):
    pytest.importorskip("mediapipe")
    from crossglg.video import extract

    skeleton = extract.video_skeleton(SQUATS, OFFLINE_MODEL)
    assert skeleton.shape == (65, 33, 4) and np.isfinite(skeleton).all()
    # MediaPipe's hip-centred world landmarks against Google's reference for this clip
    with np.load(next(user_cache.glob("poses/*.npz"))) as z:
        world = z["world"]
    distance = np.linalg.norm(world - np.array(json.loads(REFERENCE.read_text())), axis=-1)
    assert distance.mean() < 0.08  # measured 0.053 m mean, 0.046 median
    # restored movement: the hips (y down) drop by over 30 cm in each of the 3 squats and come back
    hip_y = skeleton[:, HIPS, 1].mean(1)
    low, high = np.percentile(hip_y, [10, 90])
    assert high - low > 0.3
    deep = hip_y > (low + high) / 2
    assert np.count_nonzero(np.diff(deep.astype(int)) == 1) == 3  # three descents
    assert not deep[0] and not deep[-20:-12].any()  # standing at the start and between
    # the second run reads the cache: the estimator is not run again
    monkeypatch.setattr(extract, "detect_landmarks", lambda *a: pytest.fail("estimator ran again"))
    np.testing.assert_array_equal(extract.video_skeleton(SQUATS, OFFLINE_MODEL), skeleton)


def _halves(tmp_path: Path) -> tuple[Path, Path]:
    """The squats clip cut in two real .mp4 files where she stands between squats: the
    first squat (frames 0-23), then the other two (24-64; the clip ends in the third)."""
    import cv2

    cap, frames = cv2.VideoCapture(str(SQUATS)), []
    while (got := cap.read())[0]:
        frames.append(got[1])
    out = []
    for name, part in (("squats_first.mp4", frames[:24]), ("squats_second.mp4", frames[24:])):
        h, w = part[0].shape[:2]
        writer = cv2.VideoWriter(str(tmp_path / name), cv2.VideoWriter_fourcc(*"mp4v"), 5.0, (w, h))
        for f in part:
            writer.write(f)
        writer.release()
        out.append(tmp_path / name)
    return out[0], out[1]


@needs_clip
def test_enroll_a_squat_from_video_and_recognise_the_rest(builtin_cache, tmp_path):
    """With the shipped model: enroll "squat" from the clip's first half, two other actions
    from skeleton files, and the second half is recognised as a squat, clearly ahead of the
    others; `pose` exports the skeleton and an animation."""
    pytest.importorskip("mediapipe")
    first, second = _halves(tmp_path)
    raw = builtin_cache.path.parent / "raw"
    env = {**os.environ, "CROSSGLG_CACHE": str(tmp_path / "cache")}

    def cli(*args):
        r = subprocess.run([sys.executable, "-m", "crossglg", *map(str, args)], capture_output=True, text=True, env=env)
        assert r.returncode == 0, r.stderr[-2000:]
        return r.stdout

    g, model = tmp_path / "gallery.json", ("--pose-model", OFFLINE_MODEL)
    cli("enroll", *model, "--gallery", g, "--name", "squat", first)
    cli("enroll", *model, "--gallery", g, "--name", "raise right hand", raw / "S001C002P001R001A001.skeleton")
    cli("enroll", *model, "--gallery", g, "--name", "kick", raw / "S001C002P001R001A010.skeleton")
    out = cli("recognize", *model, "--gallery", g, "--json", second, raw / "S001C002P001R001A010.skeleton")
    print(out)
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["action"] for r in results] == ["squat", "kick"]
    (_, squat), (_, runner_up) = results[0]["top"][:2]
    assert squat - runner_up > 0.05
    out = cli(
        "pose", second, "--out", tmp_path / "s.npy", "--pose-model", OFFLINE_MODEL, "--animate", tmp_path / "s.gif"
    )
    assert np.load(tmp_path / "s.npy").shape == (41, 33, 4) and (tmp_path / "s.gif").stat().st_size > 10_000
    assert "a person in 41" in out
