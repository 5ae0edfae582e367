"""Recordings in other layouts land where NTU data does: a known pose written in each
layout's format, order, axes and units and read back matches joint by joint on the
joints that have a counterpart; left stays left, up stays up, heights are human;
bad files get errors that name the file and the problem."""

import json

import numpy as np
import pytest

from crossglg.data.layout import NTU_JOINTS
from crossglg.data.recordings import LAYOUTS, MEDIAPIPE33_JOINTS, from_array, read_recording
from crossglg.errors import SkeletonFormatError
from helpers import counterparts, write_as

L_SH, R_SH, HEAD, L_FOOT, L_WRIST, R_WRIST = (
    NTU_JOINTS.index(n) for n in ("left shoulder", "right shoulder", "head", "left foot", "left wrist", "right wrist")
)


@pytest.fixture(scope="module")
def pose(builtin_cache):
    """A real NTU-layout recording `(T, 25, 3)` in metres (the built-in data's first sample)."""
    return builtin_cache[0][:, :, :, 0].transpose(1, 2, 0).astype(np.float64)


def assert_same_on_shared(layout, got, pose):
    """Compare relative to the left shoulder of frame 0 (centring differs where the
    spine middle is rebuilt from several joints)."""
    shared = sorted(counterparts(layout))
    assert L_SH in shared and len(shared) >= 10
    a = got[:, :, :, 0].transpose(1, 2, 0)
    a, b = a - a[0, L_SH], pose - pose[0, L_SH]
    np.testing.assert_allclose(a[:, shared], b[:, shared], atol=2e-4)


@pytest.mark.parametrize(
    "layout,scale", [("kinect1", 1000.0), ("msr20", 1.0), ("h36m17", 1.0), ("mediapipe33", 100.0), ("array", 1.0)]
)
def test_npy_round_trip(layout, scale, pose, tmp_path):
    a = write_as(layout, pose, scale)
    f = tmp_path / "rec.npy"
    np.save(f, a[None].astype(np.float32))  # (M=1, T, J, 3)
    got = read_recording(f, layout if layout in ("kinect1", "msr20") else None)
    assert got.shape == (3, len(pose), 25, 2) and not got[..., 1].any()
    assert_same_on_shared(layout, got, pose)


def test_text_layouts_one_joint_or_one_frame_per_line(pose, tmp_path):
    a = write_as("kinect1", pose, 1000.0)  # millimetres
    per_joint = tmp_path / "joints.txt"
    per_joint.write_text("\n".join(f"{x:.4f} {y:.4f} {z:.4f} 1" for x, y, z in a.reshape(-1, 3)))
    per_frame = tmp_path / "frames.txt"
    per_frame.write_text("\n".join(f"{t} " + " ".join(f"{v:.4f}" for v in row.reshape(-1)) for t, row in enumerate(a)))
    for f in (per_joint, per_frame):
        assert_same_on_shared("kinect1", read_recording(f, "kinect1"), pose)
    with pytest.raises(SkeletonFormatError, match=r"joints.txt.*--layout \(ntu, kinect1, msr20"):
        read_recording(per_joint)  # the order of 20 joints cannot be told from the file


def test_mediapipe_csv_and_json(pose, tmp_path):
    a = write_as("mediapipe33", pose)
    rows = ["frame,landmark,x,y,z,visibility"]
    rows += [
        f"{t},{MEDIAPIPE33_JOINTS[j].replace(' ', '_').upper()},{x},{y},{z},0.9"
        for t in range(len(a))
        for j, (x, y, z) in enumerate(a[t])
    ]
    (tmp_path / "pose.csv").write_text("\n".join(rows))
    (tmp_path / "pose.json").write_text(
        json.dumps([{"world_landmarks": [{"x": x, "y": y, "z": z} for x, y, z in frame]} for frame in a.tolist()])
    )
    for name in ("pose.csv", "pose.json"):
        assert_same_on_shared("mediapipe33", read_recording(tmp_path / name), pose)


def test_utd_mat_is_kinect1(tmp_path):
    import scipy.io

    d = np.zeros((20, 3, 5))
    d[:, 1] = np.linspace(0.8, -1.0, 20)[:, None]  # a tall, still body
    scipy.io.savemat(tmp_path / "a1_s1_t1_skeleton.mat", {"d_skel": d})
    got = read_recording(tmp_path / "a1_s1_t1_skeleton.mat")
    assert got.shape == (3, 5, 25, 2)


def camera_space_person(t: int = 10) -> np.ndarray:
    """A person facing a camera in camera axes (x right in the image, y down, z away),
    metres, MediaPipe's 33 landmarks: their left side is on the image's right (+x)."""
    p = {n: None for n in MEDIAPIPE33_JOINTS}
    side = {"left": 1.0, "right": -1.0}
    for s, sx in side.items():
        for part, (x, y) in {
            "shoulder": (0.2, -0.5),
            "elbow": (0.25, -0.2),
            "wrist": (0.3, 0.05),
            "pinky": (0.3, 0.12),
            "index": (0.31, 0.13),
            "thumb": (0.28, 0.1),
            "hip": (0.12, 0.0),
            "knee": (0.12, 0.45),
            "ankle": (0.12, 0.85),
            "heel": (0.12, 0.9),
            "foot index": (0.12, 0.92),
            "ear": (0.07, -0.7),
            "eye": (0.03, -0.72),
            "eye inner": (0.02, -0.72),
            "eye outer": (0.05, -0.72),
        }.items():
            p[f"{s} {part}"] = (sx * x, y, 0.0)
    p["nose"], p["mouth left"], p["mouth right"] = (0, -0.68, -0.05), (0.02, -0.65, 0), (-0.02, -0.65, 0)
    frame = np.array([p[n] for n in MEDIAPIPE33_JOINTS], float)
    return np.repeat(frame[None], t, axis=0) + np.array([0, 0, 2.5])


def test_left_stays_left_and_up_stays_up(tmp_path):
    """NTU's axes: a person facing the sensor has the left shoulder at smaller x than
    the right, the head above the feet; 1.5-2 m tall."""
    cam = camera_space_person()
    np.save(tmp_path / "mp.npy", cam)
    mp = {n: cam[:, i] for i, n in enumerate(MEDIAPIPE33_JOINTS)}
    pelvis, thorax = (mp["left hip"] + mp["right hip"]) / 2, (mp["left shoulder"] + mp["right shoulder"]) / 2
    h36_joints = {
        "pelvis": pelvis,
        "spine": (pelvis + thorax) / 2,
        "thorax": thorax,
        "neck/nose": mp["nose"],
        "head top": mp["left eye"] + [0, -0.15, 0],
    }
    h36 = np.stack([h36_joints.get(n, mp.get(n)) for n in LAYOUTS["h36m17"].joints], axis=1)
    np.save(tmp_path / "h36.npy", h36 * 1000)  # millimetres, as some lifters write
    for f in ("mp.npy", "h36.npy"):
        x = read_recording(tmp_path / f)[:, 0, :, 0].T  # (25, 3), frame 0
        assert x[L_SH, 0] < x[R_SH, 0] and x[L_WRIST, 0] < x[R_WRIST, 0], f
        assert x[HEAD, 1] > x[L_SH, 1] > x[L_FOOT, 1], f
        assert 1.3 < x[HEAD, 1] - x[L_FOOT, 1] < 2.2, f


@pytest.mark.parametrize(
    "make,problem",
    [
        (lambda: np.full((10, 17, 3), np.nan), "NaN"),
        (lambda: np.ones((1, 17, 3)), "1 frame"),
        (lambda: np.ones((10, 19, 3)), "19 joints per frame; give --layout"),
        (lambda: np.random.default_rng(0).uniform(0, 640, (10, 17, 2)), "2D keypoints"),
        (
            lambda: np.concatenate(
                [
                    np.random.default_rng(0).uniform(0, 640, (10, 17, 2)),
                    np.random.default_rng(1).uniform(0, 1, (10, 17, 1)),
                ],
                -1,
            ),
            "2D keypoints",
        ),
        (lambda: np.ones((10, 17, 3)) * np.arange(17)[:, None] * 5000, "torso is"),  # 69 km or 69 m tall
    ],
)
def test_bad_arrays_are_named(make, problem, tmp_path):
    f = tmp_path / "bad.npy"
    np.save(f, make())
    with pytest.raises(SkeletonFormatError) as e:
        read_recording(f)
    assert "bad.npy" in str(e.value) and problem in str(e.value)


def test_from_array_needs_no_file(pose):
    got = from_array(write_as("h36m17", pose, 1000.0), "h36m17")
    assert_same_on_shared("h36m17", got, pose)
    with pytest.raises(ValueError, match="unknown array layout"):
        from_array(pose, "coco17")


def test_a_layout_given_for_a_file_it_cannot_read_is_named(tmp_path):
    """`--layout mediapipe33` on an NTU `.skeleton` file says which files the layout reads
    and how the file is read, instead of asking for a layout."""
    f = tmp_path / "S001C001P001R001A001.skeleton"
    f.write_text("0\n")
    with pytest.raises(
        SkeletonFormatError,
        match=r"--layout mediapipe33 reads .npy, .npz, .csv, .json files, not "
        r"\.skeleton ones \(a \.skeleton file is read with --layout ntu",
    ):
        read_recording(f, "mediapipe33")


def test_frames_with_lost_tracking_are_repaired_and_reported(pose, tmp_path, caplog):
    """Kinect v1 writes all-zero joints where tracking was lost: lost frames at the ends
    are trimmed, a short interior gap is interpolated, a long one is cut out, and the file
    is named in a warning."""
    from crossglg.data.lost_tracking import MAX_GAP

    raw = write_as("kinect1", np.concatenate([pose, pose[::-1], pose]), 1000.0)  # (3T, 20, 3) millimetres
    t = len(raw)
    lost = np.zeros(t, bool)
    lost[:3] = lost[-2:] = True  # trimmed
    lost[20:23] = True  # interpolated
    lost[40 : 40 + MAX_GAP + 1] = True  # cut out
    raw[lost] = 0.0
    np.save(tmp_path / "lost.npy", raw)
    clean = read_recording(tmp_path / "lost.npy", layout="kinect1")  # no error: the torso is not 0 long
    assert (np.abs(clean).sum((0, 2, 3)) > 0).sum() == t - 5 - MAX_GAP - 1  # frames kept
    assert "lost.npy: 24 of" in caplog.text and "3 interpolated" in caplog.text and "5 trimmed" in caplog.text
    # the interpolated frames lie between their neighbours (frames 19 and 23 of the file, 16 and 20 kept)
    kept = read_recording(tmp_path / "lost.npy", layout="kinect1")[:, 16:21, :, 0]  # (3, 5, 25)
    np.testing.assert_allclose(kept[:, 2], (kept[:, 0] + kept[:, 4]) / 2, atol=1e-5)

    few = raw.copy()
    few[8:] = 0.0  # 5 good frames left (3-7)
    np.save(tmp_path / "few.npy", few)
    with pytest.raises(SkeletonFormatError, match=r"few.npy.*5 good frame\(s\) remain, at least 10"):
        read_recording(tmp_path / "few.npy", layout="kinect1")
