"""Data benchmarks at NTU RGB+D 120's size, on this machine's CPU (`make bench-data`).

    python experiments/bench_data.py [--sections random prepare direct loader first-batch]
        [--files 200 800] [--workers 1 2]                 # random: prepare ntu60, random-walk files
        [--prepare-per-class 5 20]                        # prepare: prepare ntu120, stand-in files
        [--direct-per-class 20 full] [--direct-workers 2] # direct: the stand-in straight into a cache
        [--loader-workers 0 1 2] [--loader-batches 100]   # loader: augmented samples/s, batch 64
        [--steps 100] [--steps-workers 1]                 # steps: the first training steps of fit
        [--cache-dir DIR] [--scratch DIR] [--record]

Sections (each configuration in a fresh process, so its peak resident memory is its
own: the main process and the largest worker child):

- `random`: `prepare ntu60` on random-walk NTU-format files (about 100 frames, 1-2
  bodies): files/s per worker and peak memory (the original benchmark).
- `prepare`: `prepare ntu120` on the NTU-120 stand-in's `.skeleton` files
  (`crossglg/data/ntu_standin.py`) at two sizes: files/s per worker, peak memory at
  each size (flat in the number of files), cache bytes per recording.
- `direct`: the stand-in written straight into a cache (`write_standin_cache`) at each
  `--direct-per-class` size (`full`: all 114,480 less the official missing list,
  113,945): time, peak memory at each size, cache size. The largest is the cache of the
  next two sections (`--cache-dir` keeps it, and reuses it when it is up to date).
- `loader`: the training loader with the paper's recipe (configs/ntu120.yaml: T=64, two
  persons, its crop and rotation), on the `ntu120_oneshot` split at 100 auxiliary
  classes: augmented samples/s at 0, 1, 2 workers, and the workers needed to feed
  9,000 samples/s (the GPU target), extrapolated per worker.
- `first-batch`: seconds from a fresh process to the first training batch: imports,
  opening the cache, building the split at 100 auxiliary classes, the first batch.
- `steps` (not in the default sections: 20 to 30 s a step on 2 cores): the first
  `--steps` training steps of `fit` with the paper's recipe (configs/ntu120.yaml with
  CrossGLG: faithful InfoGCN, T=64, two persons, batch 64) on that cache at 100
  auxiliary classes, through the same LightningCLI as `python -m crossglg fit`, in
  float32 (bf16 is the GPU's), `--steps-workers` loader processes, no validation: the
  seconds to the first step, each step's seconds, and the peak memory of the trainer
  and its loader workers.

The tables are printed as markdown; `--record` also writes them, with the machine and
the arguments, to `results/bench_data/<date>.json`. The recipe's transform settings are
read from `crossglg.train.resolve_config` by the fields of `SampleTransform`, wherever the
data config keeps them.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from crossglg.data.ntu import format_ntu_skeleton

GPU_TARGET = 9000  # samples/s one GPU trains on (the rate the loader must feed)
REPO = Path(__file__).resolve().parent.parent
SECTIONS = ("random", "prepare", "direct", "loader", "first-batch", "steps")


# -- measurements, each run in its own process -------------------------------------------------
def peak_rss() -> dict:
    """Peak resident memory (MB) of this process and of its largest finished child."""
    return {
        "rss_main_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_worker_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def write_files(folder: Path, n: int, seed: int = 0) -> float:
    """`n` random-walk NTU-format files; returns their mean size in bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    size = 0
    for i in range(n):
        t = int(rng.integers(90, 111))
        bodies = 1 + int(rng.random() < 0.5)
        base = rng.normal(0, 0.3, (bodies, 1, 25, 3)) + [0, 0, 3]
        motion = np.cumsum(rng.normal(0, 0.01, (bodies, t, 25, 3)), axis=1)
        xyz = np.round(base + motion, 6)
        frames = [[(72057594037930000 + b, xyz[b, k]) for b in range(bodies)] for k in range(t)]
        p = folder / f"S001C001P{i % 999 + 1:03d}R{i // 999 + 1:03d}A{i % 60 + 1:03d}.skeleton"
        p.write_text(format_ntu_skeleton(frames))
        size += p.stat().st_size
    return size / n


def child_prepare(raw: str, out: str, workers: int, dataset: str = "ntu60") -> dict:
    from crossglg.data.cache import SkeletonCache, prepare

    s = prepare(dataset, raw, out, workers=workers, missing_list=None, progress=False, force=True)
    cache = SkeletonCache(out)
    return {"seconds": s["seconds"], "samples": s["samples"], "bytes": cache.manifest["bytes"], **peak_rss()}


def child_direct(out: str, per_class: str, workers: int) -> dict:
    from crossglg.data.ntu_standin import write_standin_cache

    t0 = time.perf_counter()
    s = write_standin_cache(out, per_class, missing_list=missing_list(), workers=workers, progress=False)
    return {**s, "wall_s": time.perf_counter() - t0, **peak_rss()}


def _find(cfg: dict, key: str, depth: int = 3):
    """`cfg[key]`, or the same key in a group below (e.g. a `transform` group's `window`)."""
    if key in cfg:
        return cfg[key]
    if depth > 0:
        for v in cfg.values():
            if isinstance(v, dict) and (found := _find(v, key, depth - 1)) is not None:
                return found
    return None


def recipe() -> tuple[dict, int]:
    """The training transform's settings and the batch size of configs/ntu120.yaml."""
    from dataclasses import fields

    from crossglg.data.transforms import SampleTransform
    from crossglg.train import resolve_config

    data = resolve_config(["--config", str(REPO / "configs" / "ntu120.yaml")])["data"]
    settings = {f.name: _find(data, f.name) for f in fields(SampleTransform) if f.name != "train"}
    return {k: v for k, v in settings.items() if v is not None}, int(_find(data, "batch_size") or 64)


def train_loader(cache_dir: str, workers: int, aux: int = 100):
    """The `ntu120_oneshot` training loader at `aux` auxiliary classes, with the recipe's
    augmentation: `(loader, stage seconds)`; batches of `x (N, C, T, V, M)`."""
    from torch.utils.data import DataLoader

    from crossglg.data.cache import SkeletonCache
    from crossglg.data.datamodule import SkeletonDataset
    from crossglg.data.protocols import get_protocol
    from crossglg.data.samplers import ShuffledShardSampler
    from crossglg.data.transforms import SampleTransform

    settings, batch = recipe()
    t0 = time.perf_counter()
    cache = SkeletonCache(cache_dir)
    t1 = time.perf_counter()
    split = get_protocol("ntu120_oneshot").apply(cache, aux)
    pos = {int(c): k for k, c in enumerate(split.aux_classes)}
    targets = np.array([pos[int(c)] for c in cache.labels[split.train_idx]])
    dataset = SkeletonDataset(cache, split.train_idx, targets, SampleTransform(train=True, **settings))
    t2 = time.perf_counter()
    loader = DataLoader(
        dataset,
        sampler=ShuffledShardSampler(len(dataset), seed=0),
        batch_size=batch,
        drop_last=True,
        num_workers=workers,
        persistent_workers=workers > 0,
    )
    stages = {"open_s": t1 - t0, "split_s": t2 - t1, "train_samples": len(dataset), "batch": batch, **settings}
    stages["t_open"] = t0
    return loader, stages


def child_loader(cache_dir: str, workers: int, batches: int) -> dict:
    import gc

    loader, stages = train_loader(cache_dir, workers)

    def epochs(batches):
        while True:  # a small cache runs out of batches: the next epoch
            yield from batches

    it = epochs(loader)
    for _ in range(max(2, 2 * workers)):  # workers started, their first batches in flight
        x = next(it)["x"]
    t0 = time.perf_counter()
    for _ in range(batches):
        x = next(it)["x"]
    seconds = time.perf_counter() - t0
    shape = list(x.shape)
    it.close()
    del it, loader
    gc.collect()
    return {"samples_per_s": batches * stages["batch"] / seconds, "shape": shape, **stages, **peak_rss()}


def child_first_batch(cache_dir: str, workers: int, started: float) -> dict:
    """Stages from `started` (this process's `main()`): imports and the config, opening the
    cache, the split, the first batch (with `workers`, their start)."""
    loader, stages = train_loader(cache_dir, workers)
    t1 = time.perf_counter()
    next(iter(loader))
    t2 = time.perf_counter()
    return {
        "imports_s": stages["t_open"] - started,
        **stages,
        "first_batch_s": t2 - t1,
        "total_s": t2 - started,
        **peak_rss(),
    }


def child_steps(cache_dir: str, steps: int, workers: int, root: str, started: float) -> dict:
    """The first `steps` training steps of `fit` (configs/ntu120.yaml with CrossGLG, float32,
    no validation) on the cache at `cache_dir`, 100 auxiliary classes: the seconds from
    `started` (this process's `main()`) to the first step's start, each step's seconds (from
    one step's end to the next's, so the loader's wait is inside), peak memory."""
    import lightning.pytorch as pl
    import torch

    from crossglg.train import run_lightning_cli

    marks: list[float] = []

    class StepClock(pl.Callback):
        def on_train_batch_start(self, trainer, module, batch, batch_idx):
            if not marks:
                marks.append(time.perf_counter())

        def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
            marks.append(time.perf_counter())

    argv = [
        "--config", str(REPO / "configs" / "ntu120.yaml"),
        "--config", str(REPO / "configs" / "methods" / "crossglg.yaml"),
        f"--data.cache_dir={cache_dir}",
        "--data.num_aux_classes=100",
        f"--data.loader.num_workers={workers}",
        f"--trainer.default_root_dir={root}",
        f"--trainer.max_steps={steps}",
        "--trainer.limit_val_batches=0",
        "--trainer.num_sanity_val_steps=0",
        "--trainer.precision=32-true",
        "--trainer.logger=false",
        "--trainer.enable_progress_bar=false",
    ]  # fmt: skip
    cli = run_lightning_cli(argv, run=False, started=started)
    cli.trainer.callbacks.append(StepClock())
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    step_s = np.diff(marks).tolist()
    return {
        "steps": len(step_s),
        "to_first_step_s": marks[0] - started,
        "step_s": step_s,
        "train_samples": len(cli.datamodule.train_set),
        "batch": cli.datamodule.loader.batch_size,
        "torch_threads": torch.get_num_threads(),
        "workers": workers,
        **peak_rss(),
    }


def missing_list() -> str | None:
    """The official NTU-120 missing list (`$CROSSGLG_SHARED_DATA/ntu`, else `../shared/data/ntu`
    beside the repository) where it is found, else None (nothing left out)."""
    from crossglg.data.datasets import default_missing_list

    found = default_missing_list("ntu120")
    beside = REPO.parent / "shared" / "data" / "ntu" / "NTU_RGBD120_samples_with_missing_skeletons.txt"
    return str(found) if found else (str(beside) if beside.is_file() else None)


def in_child(kind: str, *args) -> dict:
    """Run `child_<kind>(*args)` in a fresh Python process; its result."""
    cmd = [sys.executable, __file__, "--child", kind, json.dumps(args)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed (exit {p.returncode}):\n{p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def log(msg: str) -> None:
    print(f"[bench_data {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def table(head: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


# -- sections ---------------------------------------------------------------------------------
def section_random(a, tmp: Path) -> tuple[str, list]:
    rows = []
    for n in a.files:
        raw = tmp / f"random{n}"
        log(f"random: writing {n} files")
        mean_size = write_files(raw, n)
        for w in a.workers:
            r = in_child("prepare", str(raw), str(tmp / f"random_c{n}_{w}"), w, "ntu60")
            rows.append({"files": n, "kib_per_file": mean_size / 1024, "workers": w, **r})
    md = table(
        ["files", "KiB/file", "workers", "files/s", "files/s/worker", "peak RSS main (MB)", "peak RSS worker (MB)"],
        [
            [
                r["files"],
                f"{r['kib_per_file']:.0f}",
                r["workers"],
                f"{r['files'] / r['seconds']:.0f}",
                f"{r['files'] / r['seconds'] / max(1, r['workers']):.0f}",
                f"{r['rss_main_mb']:.0f}",
                f"{r['rss_worker_mb']:.0f}",
            ]
            for r in rows
        ],
    )
    return "### prepare ntu60, random-walk files\n\n" + md, rows


def section_prepare(a, tmp: Path) -> tuple[str, list]:
    from crossglg.data.ntu_standin import write_standin_skeletons

    rows = []
    for n in a.prepare_per_class:
        raw = tmp / f"standin{n}"
        log(f"prepare: writing the stand-in's .skeleton files, {n} per class")
        t0 = time.perf_counter()
        paths = write_standin_skeletons(raw, n, missing_list=missing_list(), workers=2, progress=False)
        gen_s = time.perf_counter() - t0
        kib = sum(p.stat().st_size for p in paths) / len(paths) / 1024
        for w in a.workers:
            log(f"prepare: prepare ntu120 on {len(paths)} files, {w} worker(s)")
            r = in_child("prepare", str(raw), str(tmp / f"standin_c{n}_{w}"), w, "ntu120")
            rows.append({"per_class": n, "files": len(paths), "kib_per_file": kib, "write_s": gen_s, "workers": w, **r})
        shutil.rmtree(raw)
    md = table(
        [
            "files",
            "KiB/file",
            "workers",
            "files/s",
            "files/s/worker",
            "peak RSS main (MB)",
            "peak RSS worker (MB)",
            "cache KiB/recording",
        ],
        [
            [
                r["files"],
                f"{r['kib_per_file']:.0f}",
                r["workers"],
                f"{r['files'] / r['seconds']:.0f}",
                f"{r['files'] / r['seconds'] / max(1, r['workers']):.0f}",
                f"{r['rss_main_mb']:.0f}",
                f"{r['rss_worker_mb']:.0f}",
                f"{r['bytes'] / r['samples'] / 1024:.1f}",
            ]
            for r in rows
        ],
    )
    gen = "; ".join(f"{r['files']} files in {r['write_s']:.0f} s" for r in rows[:: max(1, len(a.workers))])
    return f"### prepare ntu120, NTU-120 stand-in files (written with 2 processes: {gen})\n\n" + md, rows


def section_direct(a, tmp: Path) -> tuple[str, list, str]:
    from crossglg.data.ntu_standin import FULL_SIZE

    rows, largest = [], None
    for n in a.direct_per_class:
        keep = a.cache_dir and n == a.direct_per_class[-1]
        out = Path(a.cache_dir) if keep else tmp / f"direct{n}"
        need = (FULL_SIZE if n == "full" else 120 * int(n)) * 95 * 600  # ~95 frames of 600 bytes each
        free = shutil.disk_usage(out.parent if not out.exists() else out).free
        if free < 1.2 * need:
            raise SystemExit(
                f"bench_data: {out}: {free / 2**30:.1f} GiB free, the {n}-per-class cache needs about "
                f"{need / 2**30:.1f} GiB (--scratch or --cache-dir elsewhere, or a smaller --direct-per-class)"
            )
        log(f"direct: the stand-in straight into a cache at {out}, {n} per class, {a.direct_workers} worker(s)")
        r = in_child("direct", str(out), n, a.direct_workers)
        rows.append({"per_class": n, "workers": a.direct_workers, "path": str(out), **r})
        largest = str(out)
    md = table(
        [
            "per class",
            "recordings",
            "workers",
            "seconds",
            "recordings/s",
            "peak RSS main (MB)",
            "peak RSS worker (MB)",
            "cache GiB",
            "KiB/recording",
        ],
        [
            [
                r["per_class"],
                r["samples"],
                r["workers"],
                "up to date (reused)" if r["up_to_date"] else f"{r['seconds']:.0f}",
                "-" if r["up_to_date"] else f"{r['samples'] / r['seconds']:.0f}",
                f"{r['rss_main_mb']:.0f}",
                f"{r['rss_worker_mb']:.0f}",
                f"{r['bytes'] / 2**30:.2f}",
                f"{r['bytes'] / r['samples'] / 1024:.1f}",
            ]
            for r in rows
        ],
    )
    return "### the NTU-120 stand-in straight into a cache (write_standin_cache)\n\n" + md, rows, largest


def section_loader(a, cache: str) -> tuple[str, list]:
    rows = []
    for w in a.loader_workers:
        log(f"loader: {w} worker(s), {a.loader_batches} batches")
        rows.append({"workers": w, **in_child("loader", cache, w, a.loader_batches)})
    r0 = rows[0]
    per = {r["workers"]: r["samples_per_s"] / max(1, r["workers"]) for r in rows}
    cores = os.cpu_count() or 1
    # per worker: one worker's rate, the mean over those measured with no more workers than cores
    usable = [v for w, v in per.items() if 0 < w <= cores] or list(per.values())
    per_worker = float(np.mean(usable))
    need = math.ceil(GPU_TARGET / per_worker)
    note = (
        f"Per worker about {per_worker:.0f} samples/s: feeding {GPU_TARGET:,} samples/s needs about {need} "
        f"workers (one core each)."
    )
    if need > 16:
        note += f" Even 16 workers ({16 * per_worker:,.0f} samples/s) could not feed it on this CPU."
    md = table(
        ["workers", "samples/s", "samples/s/worker", "peak RSS main (MB)", "peak RSS worker (MB)"],
        [
            [
                r["workers"],
                f"{r['samples_per_s']:.0f}",
                f"{r['samples_per_s'] / max(1, r['workers']):.0f}",
                f"{r['rss_main_mb']:.0f}",
                f"{r['rss_worker_mb']:.0f}",
            ]
            for r in rows
        ],
    )
    head = (
        f"### training loader, ntu120_oneshot at 100 auxiliary classes ({r0['train_samples']} training samples), "
        f"batch {r0['batch']}, window {r0.get('window')}, persons {r0.get('persons')}, rotation "
        f"{r0.get('rotation')}, min crop {r0.get('min_crop')}, stream {r0.get('stream')}; batches {r0['shape']}"
    )
    return f"{head}\n\n{md}\n\n{note} ({cores} cores here.)", rows + [
        {"per_worker": per_worker, "workers_needed": need}
    ]


def section_first_batch(a, cache: str) -> tuple[str, list]:
    rows = []
    for w in sorted({0, max(a.loader_workers)}):
        log(f"first-batch: {w} worker(s)")
        rows.append({"workers": w, **in_child("first_batch", cache, w, "START")})
    md = table(
        [
            "workers",
            "imports + config s",
            "open cache s",
            "split (aux 100) s",
            "first batch s",
            "total s",
            "peak RSS (MB)",
        ],
        [
            [
                r["workers"],
                f"{r['imports_s']:.2f}",
                f"{r['open_s']:.2f}",
                f"{r['split_s']:.2f}",
                f"{r['first_batch_s']:.2f}",
                f"{r['total_s']:.2f}",
                f"{r['rss_main_mb']:.0f}",
            ]
            for r in rows
        ],
    )
    return (
        f"### seconds to the first batch, from a fresh process ({rows[0]['train_samples']} training samples)\n\n{md}",
        rows,
    )


def section_steps(a, cache: str, tmp: Path) -> tuple[str, list]:
    log(f"steps: the first {a.steps} training steps of fit at full recipe, {a.steps_workers} loader worker(s)")
    r = in_child("steps", cache, a.steps, a.steps_workers, str(tmp / "steps-run"), "START")
    s = np.array(r["step_s"])
    later = s[1:] if len(s) > 1 else s
    row = {
        **{k: v for k, v in r.items() if k != "step_s"},
        "first_step_s": float(s[0]),
        "median_step_s": float(np.median(later)),
        "p90_step_s": float(np.percentile(later, 90)),
        "total_steps_s": float(s.sum()),
        "step_s": r["step_s"],
    }
    md = table(
        [
            "steps",
            "loader workers",
            "torch threads",
            "to first step s",
            "first step s",
            "median step s (later)",
            "p90 step s",
            "samples/s",
            "all steps s",
            "peak RSS trainer (MB)",
            "peak RSS worker (MB)",
        ],
        [
            [
                row["steps"],
                row["workers"],
                row["torch_threads"],
                f"{row['to_first_step_s']:.1f}",
                f"{row['first_step_s']:.1f}",
                f"{row['median_step_s']:.2f}",
                f"{row['p90_step_s']:.2f}",
                f"{row['batch'] / row['median_step_s']:.1f}",
                f"{row['total_steps_s']:.0f}",
                f"{row['rss_main_mb']:.0f}",
                f"{row['rss_worker_mb']:.0f}",
            ]
        ],
    )
    head = (
        "### the first training steps of fit at full size (configs/ntu120.yaml + CrossGLG, faithful InfoGCN, "
        "T=64, M=2, batch 64, float32, 100 auxiliary classes)"
    )
    return f"{head}\n\n{md}", [row]


def main() -> None:
    started = time.perf_counter()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sections", nargs="+", choices=SECTIONS, default=[s for s in SECTIONS if s != "steps"])
    ap.add_argument("--files", type=int, nargs="+", default=[200, 800], help="random: file counts")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="random, prepare: parser processes")
    ap.add_argument("--prepare-per-class", type=int, nargs="+", default=[5, 20], help="prepare: stand-in sizes")
    ap.add_argument("--direct-per-class", nargs="+", default=["20", "full"], help="direct: sizes (N or full)")
    ap.add_argument("--direct-workers", type=int, default=2, help="direct: generating processes")
    ap.add_argument("--loader-workers", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--loader-batches", type=int, default=100, help="loader: batches timed per configuration")
    ap.add_argument("--steps", type=int, default=100, help="steps: training steps timed")
    ap.add_argument("--steps-workers", type=int, default=1, help="steps: loader processes")
    ap.add_argument("--cache-dir", default=None, help="keep the largest direct cache here (reused when up to date)")
    ap.add_argument("--scratch", default=None, help="folder for the temporary files (default: the system's)")
    ap.add_argument("--record", action="store_true", help="also write results/bench_data/<date>.json")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        args = json.loads(a.child[1])
        args = [started if x == "START" else x for x in args]
        print(json.dumps(globals()[f"child_{a.child[0]}"](*args)))
        return
    if {"loader", "first-batch", "steps"} & set(a.sections) and "direct" not in a.sections and not a.cache_dir:
        ap.error("the loader, first-batch and steps sections need the direct section's cache, or --cache-dir")
    parts, record = [], {}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(dir=a.scratch, prefix="bench_data-") as tmp:
        tmp = Path(tmp)
        cache = a.cache_dir
        for name in a.sections:
            t0 = time.perf_counter()
            if name == "random":
                md, rows = section_random(a, tmp)
            elif name == "prepare":
                md, rows = section_prepare(a, tmp)
            elif name == "direct":
                md, rows, cache = section_direct(a, tmp)
            elif name == "loader":
                md, rows = section_loader(a, cache)
            elif name == "steps":
                md, rows = section_steps(a, cache, tmp)
            else:
                md, rows = section_first_batch(a, cache)
            log(f"{name}: {time.perf_counter() - t0:.0f} s")
            print(md + "\n", flush=True)
            parts.append(md)
            record[name] = rows
    print(f"load average (1, 5, 15 min) before {load_before}, after {os.getloadavg()} ({os.cpu_count()} cores)")
    if a.record:
        from crossglg.io import atomic_write_text
        from crossglg.train import cpu_name

        out = REPO / "results" / "bench_data" / f"{time.strftime('%Y-%m-%d-%H%M%S')}.json"
        info = {"cpu": cpu_name(), "cores": os.cpu_count(), "python": sys.version.split()[0]}
        info["load_average_before_after"] = [load_before, os.getloadavg()]  # other work on the machine
        args = {k: v for k, v in vars(a).items() if k != "child"}
        text = json.dumps({"machine": info, "args": args, "sections": record, "markdown": parts}, indent=1)
        atomic_write_text(out, text + "\n")
        print(f"wrote {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
