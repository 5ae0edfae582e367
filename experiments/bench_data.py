"""Data preparation benchmark: files/s per worker and peak memory of `prepare` on
generated NTU-format files of realistic size (about 100 frames, 1-2 bodies).

    python experiments/bench_data.py [--files 200 800] [--workers 1 2]

Each configuration runs in a fresh process, so its peak resident memory (the main
process and the largest worker) is its own.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from crossglg.data.ntu import format_ntu_skeleton


def write_files(folder: Path, n: int, seed: int = 0) -> float:
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


def run_one(raw: str, out: str, workers: int) -> dict:
    from crossglg.data.cache import prepare

    s = prepare("ntu60", raw, out, workers=workers, missing_list=None, progress=False, force=True)
    return {
        "seconds": s["seconds"],
        "samples": s["samples"],
        "rss_main_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_worker_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, nargs="+", default=[200, 800])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(run_one(a.child[0], a.child[1], int(a.child[2]))))
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in a.files:
            raw = Path(tmp) / f"raw{n}"
            mean_size = write_files(raw, n)
            for w in a.workers:
                r = json.loads(
                    subprocess.run(
                        [sys.executable, __file__, "--child", str(raw), str(Path(tmp) / f"c{n}_{w}"), str(w)],
                        capture_output=True,
                        text=True,
                        check=True,
                    ).stdout
                )
                rows.append(
                    (
                        n,
                        mean_size / 1024,
                        w,
                        n / r["seconds"],
                        n / r["seconds"] / w,
                        r["rss_main_mb"],
                        r["rss_worker_mb"],
                    )
                )
    print("| files | KiB/file | workers | files/s | files/s/worker | peak RSS main (MB) | peak RSS worker (MB) |")
    print("|---|---|---|---|---|---|---|")
    for n, kb, w, fs, fw, rm, rw in rows:
        print(f"| {n} | {kb:.0f} | {w} | {fs:.0f} | {fw:.0f} | {rm:.0f} | {rw:.0f} |")


if __name__ == "__main__":
    main()
