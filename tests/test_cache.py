import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from crossglg.data import CacheError, SkeletonCache, prepare, read_skeleton_file
from helpers import person, write_skeleton


def make_raw(folder, n, bad=()):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        name = f"S{i // 84 + 1:03d}C{i % 3 + 1:03d}P{i % 7 + 1:03d}R{(i // 21) % 4 + 1:03d}A{i % 12 + 1:03d}"
        a = person(i, 12 + i % 5)
        write_skeleton(folder / f"{name}.skeleton", [[(1, a[k])] for k in range(len(a))])
    for b in bad:
        (folder / b).write_text("5\n1\n")  # truncated
    return sorted(folder.glob("*.skeleton"))


def test_round_trip_and_report(tmp_path):
    files = make_raw(tmp_path / "raw", 30, bad=["S001C001P001R009A001.skeleton"])
    s = prepare("ntu60", tmp_path / "raw", tmp_path / "cache", missing_list=None, progress=False)
    assert s["samples"] == 30 and s["skipped"] == 1
    cache = SkeletonCache(tmp_path / "cache")
    for f in files[:31]:
        name = f.name.split(".")[0]
        if name == "S001C001P001R009A001":
            assert name not in cache
            continue
        np.testing.assert_array_equal(cache[cache.index_of(name)], read_skeleton_file(f))
    report = json.loads((tmp_path / "cache" / "report.json").read_text())["skipped"]
    assert report[0]["file"].endswith("S001C001P001R009A001.skeleton") and "truncated" in report[0]["reason"]
    m = cache.manifest["samples"]
    assert set(m) >= {"name", "label", "frames", "subject", "camera", "setup", "source_sha1", "source_size"}
    # a rerun with the same inputs does nothing
    assert prepare("ntu60", tmp_path / "raw", tmp_path / "cache", missing_list=None, progress=False)["up_to_date"]


def test_parallel_equals_serial(tmp_path):
    make_raw(tmp_path / "raw", 40)
    prepare("ntu60", tmp_path / "raw", tmp_path / "a", workers=0, missing_list=None, progress=False)
    prepare("ntu60", tmp_path / "raw", tmp_path / "b", workers=2, missing_list=None, progress=False)
    assert (tmp_path / "a/joints.bin").read_bytes() == (tmp_path / "b/joints.bin").read_bytes()
    assert SkeletonCache(tmp_path / "a").names == SkeletonCache(tmp_path / "b").names


def test_missing_list_is_skipped_with_reason(tmp_path):
    make_raw(tmp_path / "raw", 5)
    first = sorted((tmp_path / "raw").glob("*.skeleton"))[0].name[:20]
    lst = tmp_path / "missing.txt"
    lst.write_text(f"header line\n\n{first}\n")
    s = prepare("ntu60", tmp_path / "raw", tmp_path / "c", missing_list=lst, progress=False)
    assert s["samples"] == 4 and s["skipped"] == 1
    assert "missing-skeleton list" in json.loads((tmp_path / "c/report.json").read_text())["skipped"][0]["reason"]


def test_killed_preparation_resumes(tmp_path):
    make_raw(tmp_path / "raw", 400)
    out = tmp_path / "cache"
    cmd = [
        sys.executable,
        "-m",
        "crossglg",
        "prepare",
        "ntu60",
        "--raw-dir",
        str(tmp_path / "raw"),
        "--out",
        str(out),
        "--workers",
        "0",
        "--missing-list",
        "none",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    journal = out / "journal.jsonl"
    deadline = time.time() + 60
    while time.time() < deadline:
        if journal.exists() and len(journal.read_text().splitlines()) > 20:
            break
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (out / "manifest.json").exists()
    with pytest.raises(CacheError, match="interrupted"):
        SkeletonCache(out)
    # a torn journal line, as a crash mid-write leaves
    with open(journal, "a") as fh:
        fh.write('{"source": "S0')
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert "taken over from an interrupted run" in done.stdout
    prepare("ntu60", tmp_path / "raw", tmp_path / "clean", missing_list=None, progress=False)
    assert (out / "joints.bin").read_bytes() == (tmp_path / "clean/joints.bin").read_bytes()
    a, b = SkeletonCache(out).manifest["samples"], SkeletonCache(tmp_path / "clean").manifest["samples"]
    assert a == b


def test_corrupt_cache_is_refused(tmp_path):
    make_raw(tmp_path / "raw", 5)
    prepare("ntu60", tmp_path / "raw", tmp_path / "c", missing_list=None, progress=False)
    with open(tmp_path / "c/joints.bin", "ab") as fh:
        fh.write(b"xx")
    with pytest.raises(CacheError, match="corrupt"):
        SkeletonCache(tmp_path / "c")


def test_official_missing_lists(tmp_path):
    from crossglg.data.datasets import default_missing_list, read_missing_list
    from helpers import NTU_META, needs_ntu_meta  # noqa: F401

    if not NTU_META.is_dir():
        pytest.skip(f"NTU metadata not found at {NTU_META}")
    assert len(read_missing_list(default_missing_list("ntu120"))) == 535
    assert len(read_missing_list(default_missing_list("ntu60"))) == 302
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("S001C002P005R002A008", "S001C002P005R002A009"):  # the first is on both official lists
        a = person(0, 15)
        write_skeleton(raw / f"{name}.skeleton", [[(1, a[k])] for k in range(15)])
    s = prepare("ntu120", raw, tmp_path / "c", progress=False)  # missing_list="auto": the official list
    assert s["samples"] == 1 and s["skipped"] == 1
    assert SkeletonCache(tmp_path / "c").names == ["S001C002P005R002A009"]


def test_two_processes_preparing_one_cache(tmp_path):
    """Two `prepare` commands started together on one output folder: one prepares,
    the other waits and then finds the cache up to date; both succeed and the cache
    loads, every sample equal to its file."""
    files = make_raw(tmp_path / "raw", 400)  # long enough to prepare that the two overlap
    cmd = [
        sys.executable,
        "-m",
        "crossglg",
        "prepare",
        "ntu60",
        "--raw-dir",
        str(tmp_path / "raw"),
        "--out",
        str(tmp_path / "cache"),
        "--workers",
        "0",
        "--missing-list",
        "none",
    ]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-1500:] for o in outs]
    said = sorted((o[0].strip().splitlines()[-1] for o in outs), key=lambda line: "up to date" in line)
    assert "400 samples" in said[0] and "up to date" not in said[0]  # the one that prepared
    assert said[1].endswith("up to date (400 samples, 0 skipped)")  # the one that waited
    assert "another process is preparing this cache" in "".join(o[0] for o in outs)
    cache = SkeletonCache(tmp_path / "cache")
    assert len(cache) == 400
    for f in files[::17]:
        np.testing.assert_array_equal(cache[cache.index_of(f.name.split(".")[0])], read_skeleton_file(f))
