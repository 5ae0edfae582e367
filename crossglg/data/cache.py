"""Preparing a data set once into a memory-mapped cache, and loading it.

A cache is a folder:

- `joints.bin`: float32 frames of all samples back to back, `(sum T, 3, 25, 2)`;
- `manifest.json`: columns per sample (name, label, frames, offset, subject, camera,
  setup, replication, source file, its size and sha1), the preprocessing parameters
  and the byte size of `joints.bin`; written last and atomically, so a folder without
  it is not a cache;
- `report.json`: every file that was skipped, with the file, the line and the reason.

While preparing, `joints.bin.partial` and `journal.jsonl` grow together: the data of a
source file is flushed before its journal line, so after a crash the journal
describes a prefix of the partial file. A rerun with the same parameters truncates the
partial file to that prefix and continues with the files not yet in the journal.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..errors import CacheError, SkeletonFormatError
from ..io import atomic_write_text
from .datasets import default_missing_list, get_dataset, read_missing_list
from .layout import MAX_BODIES, NUM_JOINTS
from .ntu import BodySelection

FORMAT_VERSION = 1
FRAME_SHAPE = (3, NUM_JOINTS, MAX_BODIES)
FRAME_BYTES = 4 * int(np.prod(FRAME_SHAPE))
COLUMNS = (
    "name",
    "label",
    "frames",
    "offset",
    "subject",
    "camera",
    "setup",
    "replication",
    "source",
    "source_size",
    "source_sha1",
)


def _work(job):
    """Worker: read and parse one source file. Returns (relpath, size, sha1, samples, error)."""
    dataset, path, rel, options = job
    spec = get_dataset(dataset)
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        return rel, 0, "", [], {"file": str(path), "line": None, "reason": f"unreadable: {e}"}
    digest = hashlib.sha1(data).hexdigest()
    try:
        samples = spec.read(Path(path), data, options)
    except SkeletonFormatError as e:
        return rel, len(data), digest, [], {"file": e.path, "line": e.line, "reason": e.reason}
    except ValueError as e:
        return rel, len(data), digest, [], {"file": str(path), "line": None, "reason": str(e)}
    return (
        rel,
        len(data),
        digest,
        [
            (
                s.name,
                s.label,
                s.subject,
                s.camera,
                s.setup,
                s.replication,
                np.ascontiguousarray(s.array.transpose(1, 0, 2, 3)),
            )
            for s in samples
        ],
        None,
    )


def _params(dataset: str, raw_dir: Path, options: dict, missing: set[str], sources: list[str]) -> dict:
    return {
        "format_version": FORMAT_VERSION,
        "dataset": dataset,
        "raw_dir": str(raw_dir.resolve()),
        "options": options,
        "missing_list_size": len(missing),
        "sources_digest": hashlib.sha1("\n".join(sources).encode()).hexdigest(),
        "num_sources": len(sources),
    }


def prepare(
    dataset: str,
    raw_dir: str | Path,
    out_dir: str | Path,
    *,
    workers: int = 0,
    missing_list: str | Path | None = "auto",
    label_dir: str | Path | None = None,
    body_selection: BodySelection = BodySelection(),
    force: bool = False,
    progress: bool = True,
    fsync_every: int = 256,
) -> dict:
    """Parse every raw file of `dataset` under `raw_dir` into a cache at `out_dir`.

    `workers=0` parses in this process; `missing_list="auto"` uses the official NTU
    list shipped beside the repository when present (None: skip nothing).
    Returns a summary: samples, skipped, frames, seconds, resumed (files taken over
    from an interrupted run) and whether the cache was already up to date.

    One process at a time prepares a cache folder (a file lock, `<out>/.prepare.lock`):
    a second one (another terminal, a parallel sweep run, a DDP rank) waits, then finds
    the finished cache up to date.
    """
    from filelock import FileLock, Timeout

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    lock = FileLock(out / ".prepare.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if progress:
            print(f"{out}: another process is preparing this cache; waiting for it", flush=True)
        lock.acquire()
    try:
        return _prepare(
            dataset,
            raw_dir,
            out,
            workers=workers,
            missing_list=missing_list,
            label_dir=label_dir,
            body_selection=body_selection,
            force=force,
            progress=progress,
            fsync_every=fsync_every,
        )
    finally:
        lock.release()


def _prepare(
    dataset: str,
    raw_dir: str | Path,
    out: Path,
    *,
    workers: int,
    missing_list,
    label_dir,
    body_selection: BodySelection,
    force: bool,
    progress: bool,
    fsync_every: int,
) -> dict:
    spec = get_dataset(dataset)
    raw_dir = Path(raw_dir)
    if missing_list == "auto":
        missing_list = default_missing_list(spec.name)
    missing = read_missing_list(missing_list) if missing_list else set()
    options = {"body_selection": asdict(body_selection)}
    if label_dir is not None:
        options["label_dir"] = str(Path(label_dir).resolve())
    paths = spec.sources(raw_dir)
    rels = [str(p.relative_to(raw_dir)) for p in paths]
    params = _params(spec.name, raw_dir, options, missing, rels)

    manifest_path = out / "manifest.json"
    if manifest_path.exists() and not force:
        try:
            old = json.loads(manifest_path.read_text())
            if old.get("params") == params:
                return {
                    "samples": len(old["samples"]["name"]),
                    "skipped": old["skipped"],
                    "up_to_date": True,
                    "frames": old["total_frames"],
                    "seconds": 0.0,
                    "resumed": 0,
                }
        except (json.JSONDecodeError, KeyError):
            pass
    if manifest_path.exists():
        manifest_path.unlink()  # from here on the folder is not a cache until finished

    journal_path, partial_path = out / "journal.jsonl", out / "joints.bin.partial"
    done: dict[str, dict] = {}
    if journal_path.exists() and partial_path.exists() and not force:
        lines = journal_path.read_text().splitlines()
        try:
            header = json.loads(lines[0]) if lines else None
        except json.JSONDecodeError:
            header = None
        if header == params:
            for ln in lines[1:]:
                try:
                    rec = json.loads(ln)
                except json.JSONDecodeError:
                    break  # a torn last line: everything after it is redone
                done[rec["source"]] = rec
    end = sum(s["frames"] for rec in done.values() for s in rec["samples"])
    resumed = len(done)
    if not done:
        journal_path.write_text(json.dumps(params) + "\n")
        open(partial_path, "wb").close()
    else:  # rewrite the journal without a torn tail, cut the data to what it describes
        journal_path.write_text("\n".join([json.dumps(params)] + [json.dumps(r) for r in done.values()]) + "\n")
        with open(partial_path, "r+b") as fh:
            fh.truncate(end * FRAME_BYTES)

    todo = [
        (spec.name, str(p), r, options)
        for p, r in zip(paths, rels)
        if r not in done and p.name.split(".")[0] not in missing
    ]
    for p, r in zip(paths, rels):
        if r not in done and p.name.split(".")[0] in missing:
            done[r] = {
                "source": r,
                "samples": [],
                "skip": {"file": str(p), "line": None, "reason": "listed in the official missing-skeleton list"},
            }
    t0 = time.perf_counter()
    bar = tqdm(
        total=len(paths), initial=len(paths) - len(todo), desc=f"prepare {spec.name}", unit="file", disable=not progress
    )
    with open(partial_path, "ab") as data_fh, open(journal_path, "a") as jfh:

        def consume(result, count=[0]):  # noqa: B006 - a counter local to this run
            nonlocal end
            rel, size, digest, samples, err = result
            rec = {"source": rel, "size": size, "sha1": digest, "samples": [], "skip": err}
            for name, label, subject, camera, setup, rep, frames in samples:
                data_fh.write(frames.astype(np.float32, copy=False).tobytes())
                rec["samples"].append(
                    {
                        "name": name,
                        "label": int(label),
                        "frames": int(frames.shape[0]),
                        "offset": end,
                        "subject": subject,
                        "camera": camera,
                        "setup": setup,
                        "replication": rep,
                    }
                )
                end += frames.shape[0]
            data_fh.flush()
            jfh.write(json.dumps(rec) + "\n")
            jfh.flush()
            done[rel] = rec
            count[0] += 1
            if count[0] % fsync_every == 0:
                os.fsync(data_fh.fileno())
                os.fsync(jfh.fileno())
            bar.update(1)

        if workers and workers > 0:
            window = 64 * workers  # bounded in flight: memory does not grow with the data set
            with ProcessPoolExecutor(workers) as pool:
                for i in range(0, len(todo), window):
                    for result in pool.map(_work, todo[i : i + window], chunksize=4):
                        consume(result)
        else:
            for job in todo:
                consume(_work(job))
        data_fh.flush()
        os.fsync(data_fh.fileno())
        os.fsync(jfh.fileno())
    bar.close()
    return _finalise(out, params, [done[r] for r in rels if r in done], end, resumed, time.perf_counter() - t0)


def _finalise(out: Path, params: dict, records: list[dict], total_frames: int, resumed: int, seconds: float) -> dict:
    cols: dict[str, list] = {c: [] for c in COLUMNS}
    skipped = []
    for rec in records:
        if rec.get("skip"):
            skipped.append(rec["skip"])
        for s in rec["samples"]:
            for c in COLUMNS[:8]:
                cols[c].append(s[c])
            cols["source"].append(rec["source"])
            cols["source_size"].append(rec["size"])
            cols["source_sha1"].append(rec["sha1"])
    dup = [n for n, c in Counter(cols["name"]).items() if c > 1]
    if dup:
        raise CacheError(f"duplicate sample names in {params['raw_dir']}: {sorted(dup)[:5]}")
    os.replace(out / "joints.bin.partial", out / "joints.bin")
    atomic_write_text(out / "report.json", json.dumps({"skipped": skipped}, indent=1))
    manifest = {
        "params": params,
        "total_frames": total_frames,
        "bytes": total_frames * FRAME_BYTES,
        "frame_shape": list(FRAME_SHAPE),
        "skipped": len(skipped),
        "samples": cols,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    atomic_write_text(out / "manifest.json", json.dumps(manifest))
    (out / "journal.jsonl").unlink(missing_ok=True)
    return {
        "samples": len(cols["name"]),
        "skipped": len(skipped),
        "frames": total_frames,
        "seconds": seconds,
        "resumed": resumed,
        "up_to_date": False,
    }


class SkeletonCache:
    """A prepared cache, memory-mapped. `cache[i]` is sample i as float32 `(3, T, 25, 2)`."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        mpath = self.path / "manifest.json"
        if not mpath.exists():
            hint = (
                " (an interrupted preparation: rerun `prepare` to resume)"
                if (self.path / "journal.jsonl").exists()
                else ""
            )
            raise CacheError(f"{self.path} is not a prepared cache: no manifest.json{hint}")
        self.manifest = json.loads(mpath.read_text())
        size = (self.path / "joints.bin").stat().st_size if (self.path / "joints.bin").exists() else -1
        if size != self.manifest["bytes"]:
            raise CacheError(
                f"{self.path}/joints.bin has {size} bytes, the manifest expects {self.manifest['bytes']}: "
                "the cache is corrupt, prepare it again with --force"
            )
        cols = self.manifest["samples"]
        self.names: list[str] = cols["name"]
        self.labels = np.asarray(cols["label"], dtype=np.int64)
        self.frames = np.asarray(cols["frames"], dtype=np.int64)
        self.offsets = np.asarray(cols["offset"], dtype=np.int64)
        self.subjects = np.asarray(cols["subject"], dtype=np.int64)
        self.cameras = np.asarray(cols["camera"], dtype=np.int64)
        self._index = {n: i for i, n in enumerate(self.names)}
        self._data = None

    @property
    def dataset(self) -> str:
        return self.manifest["params"]["dataset"]

    def _mm(self) -> np.ndarray:
        if self._data is None:  # opened lazily, so each DataLoader worker maps its own
            total = self.manifest["total_frames"]
            self._data = (
                np.memmap(self.path / "joints.bin", dtype=np.float32, mode="r", shape=(total, *FRAME_SHAPE))
                if total
                else np.zeros((0, *FRAME_SHAPE), np.float32)
            )
        return self._data

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_data"] = None
        return state

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, i: int) -> np.ndarray:
        o, t = self.offsets[i], self.frames[i]
        return np.ascontiguousarray(self._mm()[o : o + t].transpose(1, 0, 2, 3))

    def index_of(self, name: str) -> int:
        if name not in self._index:
            raise KeyError(name)
        return self._index[name]

    def __contains__(self, name: str) -> bool:
        return name in self._index
