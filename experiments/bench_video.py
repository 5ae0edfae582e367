"""The video path's speed on this machine: a clip through decoding, MediaPipe Pose and the
movement restoration (frames/s), then the same clip again from the skeleton cache, and
its distance to Google's reference landmarks. Uses `../shared/data/video/` (the squats
clip and the offline stand-in for MediaPipe's model, or `--pose-model`).

    python experiments/bench_video.py [--video V] [--pose-model M] [--record]

`--record` also writes `results/bench_video/<date>.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
VIDEO = ROOT.parent / "shared" / "data" / "video"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--video", default=str(VIDEO / "pose_squats.mp4"))
    p.add_argument("--reference", default=str(VIDEO / "pose_squats_3d.full.json"))
    p.add_argument("--pose-model", default=str(VIDEO / "pose_landmarker_full_offline.task"))
    p.add_argument("--record", action="store_true")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as cache:
        os.environ["CROSSGLG_CACHE"] = cache
        from crossglg.video.extract import video_skeleton

        t0 = time.perf_counter()
        skeleton = video_skeleton(args.video, args.pose_model)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        video_skeleton(args.video, args.pose_model)
        second = time.perf_counter() - t0
        with np.load(next(Path(cache).glob("poses/*.npz"))) as z:
            world = z["world"]
    row = {
        "video": Path(args.video).name,
        "frames": len(skeleton),
        "first_run_s": round(first, 2),
        "frames_per_s": round(len(skeleton) / first, 1),
        "cached_run_s": round(second, 4),
        "hip_range_m": round(float(np.ptp(np.nanmean(skeleton[:, [23, 24], 1], 1))), 3),
    }
    if Path(args.reference).is_file():
        ref = np.asarray(json.loads(Path(args.reference).read_text()))
        if ref.shape == world.shape:
            d = np.linalg.norm(world - ref, axis=-1)
            row |= {"reference_mean_m": round(float(d.mean()), 4), "reference_median_m": round(float(np.median(d)), 4)}
    print("| " + " | ".join(row) + " |")
    print("|" + "---|" * len(row))
    print("| " + " | ".join(str(v) for v in row.values()) + " |")
    if args.record:
        row |= {
            "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        out = ROOT / "results" / "bench_video" / f"{datetime.now(timezone.utc):%Y-%m-%d-%H%M%S}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(row, indent=1) + "\n")
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
