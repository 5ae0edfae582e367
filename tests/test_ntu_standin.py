"""The NTU RGB+D 120 stand-in (crossglg/data/ntu_standin.py) at tiny size: NTU-120's
names and structure, the missing list, two bodies where NTU has two people, the length
spread, and the direct-to-cache writer against `.skeleton` files + `prepare ntu120`."""

import os
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from crossglg.cli import main as cli_main
from crossglg.data import ntu_standin as S
from crossglg.data.cache import SkeletonCache, prepare
from crossglg.data.datasets import read_missing_list
from crossglg.data.ntu import parse_ntu_name
from crossglg.data.protocols import get_protocol
from crossglg.errors import CacheError

#: The official lists beside the repository (`../shared/data/ntu`), or under `$CROSSGLG_SHARED_DATA`.
NTU_META = Path(os.environ.get("CROSSGLG_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")) / "ntu"
OFFICIAL_LIST = NTU_META / "NTU_RGBD120_samples_with_missing_skeletons.txt"
PER_CLASS = 2


def _fake_missing(path):
    """A small missing list in the official format (a header, then names): two recordings
    each class would take at PER_CLASS, and one it would not reach."""
    listed = [S.class_order(3)[1], S.class_order(70)[1], S.class_order(110)[50]]
    path.write_text("3 of the stand-in's samples have missing skeletons.\nignore these\n\n" + "\n".join(listed) + "\n")
    return path, listed


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    """The stand-in at PER_CLASS per class with a fake missing list: (a) as .skeleton files
    prepared by `prepare ntu120`, (b) written straight into a cache."""
    root = tmp_path_factory.mktemp("standin")
    missing, listed = _fake_missing(root / "missing.txt")
    paths = S.write_standin_skeletons(root / "raw", PER_CLASS, seed=0, missing_list=missing, workers=2, progress=False)
    prepare("ntu120", root / "raw", root / "prepared", workers=0, missing_list=missing, progress=False)
    summary = S.write_standin_cache(root / "direct", PER_CLASS, seed=0, missing_list=missing, progress=False)
    return {
        "root": root,
        "paths": paths,
        "listed": listed,
        "missing": missing,
        "prepared": SkeletonCache(root / "prepared"),
        "direct": SkeletonCache(root / "direct"),
        "summary": summary,
    }


def test_names_follow_ntu120s_structure():
    names = S.standin_names(None)
    assert len(names) == S.FULL_SIZE == 114_480 and len(set(names)) == len(names)
    metas = [parse_ntu_name(n) for n in names]
    per_class = Counter(m["action"] for m in metas)
    assert all(per_class[a] == 948 for a in range(1, 61)) and all(per_class[a] == 960 for a in range(61, 121))
    assert all((m["setup"] <= 17) == (m["action"] <= 60) for m in metas)  # A061-A120 only in S018-S032
    assert {m["setup"] for m in metas} == set(range(1, 33)) and {m["camera"] for m in metas} == {1, 2, 3}
    assert {m["performer"] for m in metas} == set(range(1, 107)) and {m["replication"] for m in metas} == {1, 2}
    small = S.standin_names(PER_CLASS)
    assert small == sorted(small) and len(small) == 120 * PER_CLASS
    assert set(small) <= set(S.standin_names(PER_CLASS + 3))  # a larger size contains a smaller one


def test_the_protocols_exemplars_are_in_every_size():
    exemplars = get_protocol("ntu120_oneshot").exemplars
    assert set(exemplars) <= set(S.standin_names(1))
    assert S.exemplar_name(0) == "S001C003P008R001A001" and S.exemplar_name(60) == "S018C003P008R001A061"


@pytest.mark.skipif(not OFFICIAL_LIST.is_file(), reason=f"the official list is not at {OFFICIAL_LIST}")
def test_the_full_size_after_the_official_list_is_ntu120s():
    official = read_missing_list(OFFICIAL_LIST)
    assert official <= set(S.standin_names(None))  # every listed name is a stand-in recording
    assert len(S.standin_names(None, official)) == 113_945


def test_the_missing_list_is_respected(standin):
    names = {p.name.split(".")[0] for p in standin["paths"]}
    on_disk = {p.name.split(".")[0] for p in (standin["root"] / "raw").glob("*.skeleton")}
    assert names == on_disk and not set(standin["listed"]) & on_disk
    counts = Counter(parse_ntu_name(n)["action"] for n in on_disk)
    assert set(counts.values()) == {PER_CLASS}  # a class with a listed name takes the next one
    assert S.class_order(3)[2] in on_disk
    assert S.resolve_missing(standin["missing"]) == set(standin["listed"])


def test_two_bodies_exactly_in_ntus_two_person_classes(standin):
    cache = standin["direct"]
    for i in range(len(cache)):
        second = np.abs(cache[i][..., 1]).sum()
        assert (second > 0) == (int(cache.labels[i]) in S.TWO_PERSON), cache.names[i]
    assert S.TWO_PERSON == frozenset(a - 1 for a in [*range(50, 61), *range(106, 121)])


def test_lengths_spread_like_ntus():
    names = [n for a in range(0, 120, 3) for n in S.class_order(a)[:10]]
    lengths = np.array([len(S.render_standin(n)) for n in names])
    assert lengths.min() >= S.MIN_FRAMES and lengths.max() <= S.MAX_FRAMES
    p5, p50, p95 = np.percentile(lengths, [5, 50, 95])
    assert 65 <= p50 <= 105 and p5 < 55 and p95 > 140


def test_skeleton_files_and_prepare_equal_the_direct_cache(standin):
    a, b = standin["prepared"], standin["direct"]
    assert a.names == b.names and len(a) == 120 * PER_CLASS
    for c in ("label", "frames", "offset", "subject", "camera", "setup", "replication", "source"):
        assert a.manifest["samples"][c] == b.manifest["samples"][c], c
    assert set(a.manifest) == set(b.manifest) and set(a.manifest["samples"]) == set(b.manifest["samples"])
    assert set(b.manifest["samples"]["source_size"]) == {0} and set(b.manifest["samples"]["source_sha1"]) == {""}
    for k in ("total_frames", "bytes", "frame_shape", "skipped"):
        assert a.manifest[k] == b.manifest[k], k
    pa, pb = dict(a.manifest["params"]), dict(b.manifest["params"])
    assert pa.pop("raw_dir") != pb.pop("raw_dir") and pa == pb  # options, missing list, sources, format
    for i in range(len(a)):
        np.testing.assert_allclose(a[i], b[i], rtol=0, atol=1e-6, err_msg=a.names[i])
    assert standin["summary"]["samples"] == len(b) and not standin["summary"]["up_to_date"]
    again = S.write_standin_cache(b.path, PER_CLASS, seed=0, missing_list=standin["missing"], progress=False)
    assert again["up_to_date"]


@pytest.mark.parametrize("aux", [20, 100])
def test_the_official_protocol_splits_the_standin(standin, aux):
    cache = standin["direct"]
    split = get_protocol("ntu120_oneshot").apply(cache, aux)
    assert len(split.aux_classes) == aux and len(split.train_idx) == aux * PER_CLASS
    assert len(split.exemplar_idx) == 20 and set(split.queries_per_class.values()) == {PER_CLASS - 1}


def test_vectorised_kinematics_equal_the_synthetic_bodys():
    from crossglg.data.synthetic import forward_kinematics, performer_of

    rng = np.random.default_rng(0)
    keys = ["la1f", "la1a", "la2f", "ra1f", "ra2a", "ll1f", "ll2f", "rl1a", "rl2f", "pitch", "roll", "twist", "head"]
    q = {k: rng.uniform(-1.5, 1.5, 9) for k in keys}
    lengths = performer_of(0, 3).lengths
    ref = np.stack([forward_kinematics(q, t, lengths) for t in range(9)])
    np.testing.assert_allclose(S.forward_kinematics_seq(q, 9, lengths), ref, atol=1e-12)


def test_deterministic_from_the_seed():
    name = S.exemplar_name(55)
    np.testing.assert_array_equal(S.standin_sample(name, seed=0), S.standin_sample(name, seed=0))
    assert not np.array_equal(S.standin_sample(name, seed=0)[:, :5], S.standin_sample(name, seed=1)[:, :5])


def test_an_interrupted_direct_write_leaves_no_cache(tmp_path, monkeypatch):
    calls = []

    def crash(job):
        calls.append(job)
        if len(calls) > 10:
            raise RuntimeError("power cut")
        return real(job)

    real = S._sample_job
    monkeypatch.setattr(S, "_sample_job", crash)
    with pytest.raises(RuntimeError, match="power cut"):
        S.write_standin_cache(tmp_path / "c", 1, missing_list=None, progress=False)
    with pytest.raises(CacheError, match="not a prepared cache"):
        SkeletonCache(tmp_path / "c")
    monkeypatch.setattr(S, "_sample_job", real)
    assert S.write_standin_cache(tmp_path / "c", 1, missing_list=None, progress=False)["samples"] == 120
    assert len(SkeletonCache(tmp_path / "c")) == 120


def test_bad_arguments_are_named(tmp_path, capsys):
    for bad in (0, -3, "many", 2.5, True):
        with pytest.raises(ValueError, match="per_class must be a positive integer"):
            S.standin_names(bad)
    with pytest.raises(FileNotFoundError, match="nowhere.txt: the missing-skeleton list does not exist"):
        S.resolve_missing(tmp_path / "nowhere.txt")
    with pytest.raises(ValueError, match="not a recording of the NTU-120 stand-in"):
        S.render_standin("S018C001P041R001A001")  # A001 is recorded in setups 1-17 only
    with pytest.raises(SystemExit) as e:
        cli_main(["generate", "ntu120-standin", "--per-class", "0", "--out", str(tmp_path / "x"), "--cache"])
    assert e.value.code == 1 and "per_class must be a positive integer" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        cli_main(["generate", "builtin", "--per-class", "3"])
    assert e.value.code == 2 and "for ntu120-standin only" in capsys.readouterr().err
    assert not (tmp_path / "x" / "manifest.json").exists()


def test_the_generate_command_writes_a_cache(tmp_path, capsys):
    out = tmp_path / "cache"
    with pytest.raises(SystemExit) as e:
        cli_main(
            ["generate", "ntu120-standin", "--per-class", "1", "--out", str(out), "--cache", "--missing-list", "none"]
        )
    assert e.value.code == 0 and "an ntu120 cache of 120 samples" in capsys.readouterr().out
    assert SkeletonCache(out).dataset == "ntu120"
