import numpy as np
import pytest

from crossglg.data import SkeletonCache, SkeletonFormatError, prepare
from crossglg.data.builtin import BUILTIN_CLASSES, generate_sample
from crossglg.data.layout import UTD_TO_NTU
from crossglg.data.pkummd import read_pku_recording
from crossglg.data.utdmhad import parse_utd_bytes
from helpers import UTD_DIR, needs_utd


def test_builtin_is_deterministic_and_varied():
    a, b = generate_sample(3, 2, 1, 1, seed=0), generate_sample(3, 2, 1, 1, seed=0)
    assert len(a) == len(b) and all(np.array_equal(x[1], y[1]) for fa, fb in zip(a, b) for x, y in zip(fa, fb))
    c = generate_sample(3, 2, 1, 1, seed=1)
    assert len(c) != len(a) or not np.array_equal(a[5][0][1], c[5][0][1])
    assert len(BUILTIN_CLASSES) >= 20 and len(set(BUILTIN_CLASSES)) == len(BUILTIN_CLASSES)
    two = generate_sample(21, 1, 2, 1)
    assert max(len(f) for f in two) >= 2  # two-person action


def test_builtin_cache_and_protocol(builtin_cache):
    from crossglg.data.protocols import get_protocol

    split = get_protocol("builtin").apply(builtin_cache)
    assert len(builtin_cache) == 24 * 6 * 3 * 2
    assert len(split.exemplar_idx) == 8 and len(split.query_idx) == 8 * 35
    x = builtin_cache[0]
    assert x.shape[0] == 3 and x.shape[2:] == (25, 2) and np.isfinite(x).all()

    # the body moves: classes differ in which joints move most
    def moving(label):
        i = int(np.flatnonzero(builtin_cache.labels == label)[0])
        return np.argsort(-builtin_cache[i][..., 0].std(axis=1).sum(0))[:3]

    assert set(moving(0)) <= {8, 9, 10, 11, 23, 24}  # raise the right hand: right arm joints
    assert set(moving(4)) <= {16, 17, 18, 19}  # right kick: right leg joints


@needs_utd
def test_utd_mapping_and_counts(tmp_path):
    f = UTD_DIR / "a1_s1_t1_skeleton.mat"
    import scipy.io

    raw = scipy.io.loadmat(f)["d_skel"]
    x = parse_utd_bytes(f.read_bytes(), str(f))
    assert x.shape == (3, raw.shape[2], 25, 2) and not x[..., 1].any()
    expected = raw.transpose(1, 2, 0)[:, :, list(UTD_TO_NTU)]
    np.testing.assert_allclose(x[..., 0], expected - expected[:, :1, 1:2], atol=1e-5)
    s = prepare("utdmhad", UTD_DIR, tmp_path / "utd", progress=False)
    assert s["samples"] == 861 and s["skipped"] == 0
    cache = SkeletonCache(tmp_path / "utd")
    assert np.bincount(cache.labels).tolist() == [32] * 7 + [31] + [32] * 14 + [31] + [32] * 3 + [31]


def test_utd_bad_file(tmp_path):
    with pytest.raises(SkeletonFormatError, match="not a readable MATLAB file"):
        parse_utd_bytes(b"garbage", "x.mat")


def _pku(tmp_path, frames=100, labels="3,0,40,1\n7,40,90,2\n"):
    rng = np.random.default_rng(0)
    data = np.zeros((frames, 150))
    data[:, :75] = rng.normal(size=(frames, 75))
    (tmp_path / "Skeleton").mkdir(exist_ok=True)
    (tmp_path / "Label").mkdir(exist_ok=True)
    sk = tmp_path / "Skeleton" / "A01N01-L.txt"
    np.savetxt(sk, data, fmt="%.5f")
    (tmp_path / "Label" / "A01N01-L.txt").write_text(labels)
    return sk, data


def test_pkummd_segments(tmp_path):
    sk, data = _pku(tmp_path)
    segs = read_pku_recording(sk, tmp_path / "Label" / "A01N01-L.txt")
    assert [(n, a, x.shape) for n, a, x in segs] == [
        ("A01N01-L_1", 3, (3, 40, 25, 2)),
        ("A01N01-L_2", 7, (3, 50, 25, 2)),
    ]
    first = np.round(data[40:90, :75], 5).reshape(50, 25, 3)
    np.testing.assert_allclose(segs[1][2][..., 0], (first - first[0, 1]).transpose(2, 0, 1), atol=1e-5)
    s = prepare("pkummd2", tmp_path / "Skeleton", tmp_path / "cache", progress=False)
    assert s["samples"] == 2


def test_pkummd_label_past_the_end(tmp_path):
    sk, _ = _pku(tmp_path, labels="3,0,40,1\n7,60,140,2\n")
    with pytest.raises(SkeletonFormatError, match="past the recording's end") as e:
        read_pku_recording(sk, tmp_path / "Label" / "A01N01-L.txt")
    assert e.value.line == 2 and e.value.path.endswith("Label/A01N01-L.txt")
