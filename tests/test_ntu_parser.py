import numpy as np
import pytest

from crossglg.data import SkeletonFormatError, read_skeleton_file
from crossglg.data.ntu import parse_ntu_name
from helpers import person, write_skeleton


def test_single_body_exact_array(tmp_path):
    a = person(0, 10)
    path = write_skeleton(tmp_path / "S001C001P001R001A001.skeleton", [[(7, a[t])] for t in range(10)])
    x = read_skeleton_file(path)
    assert x.shape == (3, 10, 25, 2) and x.dtype == np.float32
    expected = (a - a[0, 1]).transpose(2, 0, 1).astype(np.float32)  # centred on spine middle of frame 0
    np.testing.assert_allclose(x[..., 0], expected, atol=1e-6)
    assert not x[..., 1].any()  # second body zero-filled


def test_two_bodies_noise_and_gaps(tmp_path):
    t = 30
    a, b = person(1, t, motion=0.2), person(2, t, offset=(1.0, 0.0, 3.2), motion=0.1)
    wide = np.round(np.stack([np.linspace(-1.5, 1.5, 25), np.zeros(25), np.full(25, 3.0)], 1), 5)
    frames = []
    for k in range(t):
        bodies = [(11, a[k]), (22, b[k])]
        if 3 <= k < 8:
            bodies.append((33, person(9, 1, motion=0)[0] + 0.3 * k))  # short-lived body (5 frames)
        if k >= 15:
            bodies.append((44, wide + 0.01 * k))  # long-lived but too wide: an object
        frames.append(bodies)
    frames[10] = []  # a frame with no body
    path = write_skeleton(tmp_path / "S001C001P001R001A050.skeleton", frames)
    x = read_skeleton_file(path)
    keep = [k for k in range(t) if k != 10]
    assert x.shape == (3, t - 1, 25, 2)
    origin = a[0, 1]
    np.testing.assert_allclose(x[..., 0], (a[keep] - origin).transpose(2, 0, 1), atol=1e-5)  # most active first
    np.testing.assert_allclose(x[..., 1], (b[keep] - origin).transpose(2, 0, 1), atol=1e-5)


def test_retracked_body_continues_its_slot(tmp_path):
    a = person(3, 40, motion=0.3)
    frames = [[(1 if k < 20 else 2, a[k])] for k in range(40)]  # the tracker changes id mid-way
    x = read_skeleton_file(write_skeleton(tmp_path / "S001C001P001R001A002.skeleton", frames))
    np.testing.assert_allclose(x[..., 0], (a - a[0, 1]).transpose(2, 0, 1), atol=1e-5)
    assert not x[..., 1].any()


def test_name_parsing():
    assert parse_ntu_name("S018C003P008R001A061.skeleton") == {
        "setup": 18,
        "camera": 3,
        "performer": 8,
        "replication": 1,
        "action": 61,
    }
    with pytest.raises(ValueError, match="not an NTU sample name"):
        parse_ntu_name("foo.skeleton")


def _good_text():
    from crossglg.data.ntu import format_ntu_skeleton

    return format_ntu_skeleton([[(5, person(4, 3)[k])] for k in range(3)])


def _lines():
    return _good_text().splitlines()


@pytest.mark.parametrize(
    "mutate,line,message",
    [
        (lambda L: L[:20], 20, "truncated"),
        (lambda L: L[:3] + ["24"] + L[4:], 4, "joint count is 24"),
        (lambda L: L[:6] + [L[6].replace(L[6].split()[1], "abc", 1)] + L[7:], 7, "non-numeric"),
        (lambda L: L[:9] + [" ".join(["nan"] + L[9].split()[1:])] + L[10:], 10, "non-finite"),
        (lambda L: ["x"] + L[1:], 1, "frame count"),
        (lambda L: L[:5] + [" ".join(L[5].split()[:7])] + L[6:], 6, "has 7 values"),
    ],
)
def test_bad_input_names_file_and_line(tmp_path, mutate, line, message):
    path = tmp_path / "S001C001P001R001A001.skeleton"
    path.write_text("\n".join(mutate(_lines())) + "\n")
    with pytest.raises(SkeletonFormatError, match=message) as err:
        read_skeleton_file(path)
    assert err.value.path == str(path) and err.value.line == line
    assert f"{path}:{line}" in str(err.value)


def test_empty_and_bodyless_files(tmp_path):
    empty = tmp_path / "S001C001P001R001A001.skeleton"
    empty.write_text("")
    with pytest.raises(SkeletonFormatError, match="empty file"):
        read_skeleton_file(empty)
    none = tmp_path / "S001C001P001R001A002.skeleton"
    none.write_text("3\n0\n0\n0\n")
    with pytest.raises(SkeletonFormatError, match="no body in any frame"):
        read_skeleton_file(none)
