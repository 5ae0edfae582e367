"""Run the walkthroughs of README.md and docs/recordings.md and record what they print, so
the docs show real output that no one typed: `python experiments/sessions.py [NAME ...]` (`make sessions`)
writes `results/sessions/<NAME>.json`, and `python -m crossglg tables` puts each one
into its `<!-- crossglg:session NAME -->` block (the commands and their output).

Each session runs with this interpreter's environment active, in a fresh scratch folder (`$WORK`), from the repository's root, one
command at a time in bash; a command that fails stops the session and nothing is written.
Progress bars (stderr lines holding a carriage return or `it/s`) are left out of the record.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UTD = "../shared/data/utd-mhad/Skeleton"
VIDEO = "../shared/data/video"

SESSIONS: dict[str, list[str]] = {
    # The shipped model learns three actions it never saw from one Kinect v1 recording each
    # (UTD-MHAD's novel classes: subject 1's first take), then recognises other subjects' takes.
    "shipped": [
        "python -m crossglg pretrained",
        f'python -m crossglg enroll --gallery $WORK/g.json --name "swipe left" {UTD}/a1_s1_t1_skeleton.mat',
        f'python -m crossglg enroll --gallery $WORK/g.json --name "clap" {UTD}/a4_s1_t1_skeleton.mat',
        f'python -m crossglg enroll --gallery $WORK/g.json --name "arm curl" {UTD}/a16_s1_t1_skeleton.mat',
        f"python -m crossglg recognize --gallery $WORK/g.json --top 2 {UTD}/a1_s5_t2_skeleton.mat "
        f"{UTD}/a4_s6_t3_skeleton.mat {UTD}/a16_s8_t1_skeleton.mat",
    ],
    # From a phone-style video (the video extra; MediaPipe's model file given here because
    # this machine cannot download it): a squat is taught from a video and recognised in
    # Kinect recordings of other people, beside a walk taught from a Kinect recording.
    "video": [
        f"python -m crossglg pose {VIDEO}/pose_squats.mp4 --out $WORK/squats.npy "
        f"--pose-model {VIDEO}/pose_landmarker_full_offline.task",
        f"python -m crossglg enroll --gallery $WORK/v.json --name squat {VIDEO}/pose_squats.mp4 "
        f"--pose-model {VIDEO}/pose_landmarker_full_offline.task",
        f"python -m crossglg enroll --gallery $WORK/v.json --name walk {UTD}/a23_s1_t1_skeleton.mat",
        f"python -m crossglg enroll --gallery $WORK/v.json --name lunge {UTD}/a26_s1_t1_skeleton.mat",
        f"python -m crossglg recognize --gallery $WORK/v.json --top 2 {UTD}/a27_s2_t1_skeleton.mat "
        f"{UTD}/a27_s7_t2_skeleton.mat {UTD}/a23_s3_t1_skeleton.mat",
    ],
}


def _kept(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if ln.strip() and "\r" not in ln and "it/s" not in ln]


def run_session(name: str) -> dict:
    started, steps = time.time(), []
    with tempfile.TemporaryDirectory(prefix=f"session-{name}-") as work:
        # `python` is this interpreter (the README's commands assume the environment is active)
        env = {**os.environ, "WORK": work, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
        for command in SESSIONS[name]:
            r = subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit(f"session {name}: `{command}` failed ({r.returncode}):\n{r.stderr[-3000:]}")
            output = "\n".join([*r.stdout.rstrip("\n").splitlines(), *_kept(r.stderr)]).replace(work, "$WORK")
            steps.append({"command": command, "output": output})
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return {
        "name": name,
        "steps": steps,
        "wall_s": round(time.time() - started, 1),
        "commit": commit.stdout.strip(),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("names", nargs="*", help=f"sessions to run: {', '.join(SESSIONS)} (default: all)")
    p.add_argument("--out", default=str(ROOT / "results" / "sessions"))
    args = p.parse_args(argv)
    if unknown := sorted(set(args.names) - set(SESSIONS)):
        p.error(f"unknown session(s) {', '.join(unknown)}; known: {', '.join(SESSIONS)}")
    for name in args.names or list(SESSIONS):
        record = run_session(name)
        out = Path(args.out) / f"{name}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(record, indent=1) + "\n")
        shutil.move(tmp, out)
        print(f"wrote {out} ({record['wall_s']} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
