"""`recognize` at volume: recordings per second and peak memory for 100, 1,000 and
10,000 files, each size in a fresh process (so peak memory is that run's own).

    python experiments/bench_recognize.py [--ckpt CKPT] [--sizes 100 1000 10000] [--out results/bench_recognize.json]

Without `--ckpt` it times a UTD-MHAD-sized InfoGCN-lite model (widths 32..128,
T=32, one person) trained for one step by `fit`: speed and memory do not depend on
training.
The recordings are `.npy` arrays `(T, 25, 3)` (the `array` layout) of 40-80 frames
written once to a temporary folder; one of them is enrolled first.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def make_checkpoint(folder: Path) -> Path:
    """A UTD-MHAD-sized checkpoint written by a real one-step `fit` on the built-in set
    (one person, T=32, the demo's InfoGCN-lite): the file `recognize` reads is what
    training writes."""
    cmd = [sys.executable, "-m", "crossglg", "fit", "--config", "configs/demo.yaml", "--data.persons", "1"]
    cmd += ["--trainer.max_steps", "1", "--trainer.logger", "false", "--model.evaluation.episodes", "1"]
    cmd += ["--trainer.default_root_dir", str(folder)]
    subprocess.run(cmd, check=True, capture_output=True)
    return folder / "checkpoints" / "last.ckpt"


def make_recordings(folder: Path, n: int) -> None:
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    body = np.stack([rng.uniform(-0.2, 0.2, 25), np.linspace(-0.9, 0.8, 25), rng.uniform(-0.1, 0.1, 25)], 1)
    body[20] = body[0] + [0, 0.5, 0]  # a human-length torso
    for i in range(n):
        t = int(rng.integers(40, 81))
        wave = 0.05 * np.sin(np.linspace(0, 3, t))[:, None, None] * rng.normal(size=(1, 25, 3))
        np.save(folder / f"rec{i:05d}.npy", (body[None] + wave).astype(np.float32))


def measure(ckpt: str, gallery: str, folder: str, n: int) -> dict:
    """Run `recognize` on the first `n` recordings in this process; its own peak RSS."""
    from crossglg.cli import main

    files = sorted(Path(folder).glob("*.npy"))[:n]
    out = Path(tempfile.mkdtemp()) / "r.csv"
    t0 = time.perf_counter()
    try:
        main(["recognize", "--ckpt", ckpt, "--gallery", gallery, "--out", str(out), *map(str, files)])
    except SystemExit as e:
        if e.code:
            raise
    seconds = time.perf_counter() - t0
    rows = len(out.read_text().splitlines()) - 1
    return {
        "files": n,
        "recognised": rows,
        "seconds": seconds,
        "per_second": n / seconds,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ckpt", default=None)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    ap.add_argument("--out", default="results/bench_recognize.json")
    ap.add_argument("--measure", nargs=4, metavar=("CKPT", "GALLERY", "FOLDER", "N"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.measure:
        ckpt, gallery, folder, n = a.measure
        print(json.dumps(measure(ckpt, gallery, folder, int(n))))
        return
    tmp = Path(tempfile.mkdtemp(prefix="bench-recognize-"))
    ckpt = a.ckpt or str(make_checkpoint(tmp / "run"))
    make_recordings(tmp / "recordings", max(a.sizes))
    gallery = tmp / "gallery.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "crossglg",
            "enroll",
            "--ckpt",
            ckpt,
            "--gallery",
            str(gallery),
            "--name",
            "first",
            str(tmp / "recordings" / "rec00000.npy"),
        ],
        check=True,
        capture_output=True,
    )
    rows = []
    for n in a.sizes:
        r = subprocess.run(
            [sys.executable, __file__, "--measure", ckpt, str(gallery), str(tmp / "recordings"), str(n)],
            check=True,
            capture_output=True,
            text=True,
        )
        rows.append(json.loads(r.stdout.strip().splitlines()[-1]))
        print(f"{n} files: {rows[-1]['per_second']:.1f} recordings/s, peak {rows[-1]['peak_mb']:.0f} MB", flush=True)
    print("\n| files | recognised | seconds | recordings/s | peak memory (MB) |\n|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['files']:,} | {r['recognised']:,} | {r['seconds']:.1f} | {r['per_second']:.1f} | {r['peak_mb']:.0f} |"
        )
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
