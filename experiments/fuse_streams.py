"""Each seed's stream set of a sweep over `data.transform.stream`, evaluated as one model.

A sweep that trains one recipe on several input streams (joint, bone, ...) at the same
seeds leaves one run per (seed, stream). For every seed whose runs cover all the streams
asked for, this gathers their last checkpoints into a stream set (`models.stream_set`:
the weighted mean of the members' cosine similarities), evaluates it on the data and
protocol the members were trained on, and writes its record beside the sweep's as
`<records>/<sweep>_fused/seed_everything=S,stream=joint+bone.json`. A record holds the
joint run's settings and seed, the fused result, and each member's result in `members`,
so that `python -m crossglg tables --show <sweep> <sweep>_fused --baseline stream=joint`
pairs the streams alone and the set by seed.

    python experiments/fuse_streams.py utdmhad_val_streams [--streams joint bone]
        [--runs runs/sweeps] [--records results] [--draws 200]
"""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path

from crossglg.eval.fused import evaluate_model
from crossglg.eval.report import summary
from crossglg.io import atomic_write_text
from crossglg.models.stream_set import write_stream_set
from crossglg.results.records import load_sweep, seed_of
from crossglg.run_result import commit
from crossglg.settings import EvaluationConfig

STREAM = "data.transform.stream"


def runs_by_seed(records: Path, sweep: str) -> dict[tuple, dict[str, object]]:
    """`{seed: {stream: record}}` of a sweep's records that vary the stream."""
    out: dict[tuple, dict[str, object]] = {}
    for r in load_sweep(records / sweep):
        stream = (r.get("params") or {}).get(STREAM)
        if stream is None:
            raise SystemExit(f"{r.path}: this run does not vary {STREAM}; not a stream sweep")
        out.setdefault(seed_of(r.data), {})[str(stream)] = r
    return out


def last_checkpoint(run_dir: Path) -> Path:
    ckpt = run_dir / "checkpoints" / "last.ckpt"
    if not ckpt.is_file():
        raise SystemExit(f"{run_dir}: no checkpoints/last.ckpt (is --runs the sweep's --out?)")
    return ckpt


def fuse_seed(by_stream: dict, streams: list[str], runs: Path, sweep: str, draws: int) -> dict:
    """The record of one seed's stream set (see the module's docstring)."""
    base = by_stream[streams[0]]
    folder = runs / f"{sweep}_fused" / f"seed_everything={seed_of(base.data)[0]},stream={'+'.join(streams)}"
    write_stream_set(folder, {s: last_checkpoint(runs / sweep / by_stream[s].run) for s in streams})
    settings = EvaluationConfig(exemplar_draws=draws, calibration_at_test=False, leak_probe=False)
    results = evaluate_model(folder, settings, members=True)
    record = copy.deepcopy(base.data)
    for key in ("curve", "wall_s"):
        record.pop(key, None)
    record.update(summary(base["stage"], results["fused"], draws))
    record["epoch"] = base["epoch"]
    record["params"] = dict(base.get("params") or {}, **{STREAM: "+".join(streams)})
    record["streams"] = streams
    record["members"] = {s: summary(base["stage"], results[s], draws) for s in streams}
    record["member_runs"] = {s: f"{sweep}/{by_stream[s].run}" for s in streams}
    record["commit"] = commit()
    return record


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("sweep", help="the sweep's name (its records are <records>/<sweep>/)")
    p.add_argument("--streams", nargs="+", default=["joint", "bone"], help="the set's members, first is the base")
    p.add_argument("--runs", default="runs/sweeps", help="the sweep's run folders (its --out)")
    p.add_argument("--records", default="results", help="the records folder (the sweep's --records)")
    p.add_argument("--draws", type=int, default=200, help="exemplar draws of the exemplar-averaged top-1")
    a = p.parse_args()
    records, runs = Path(a.records), Path(a.runs)
    out = records / f"{a.sweep}_fused"
    done = 0
    for seed, by_stream in sorted(runs_by_seed(records, a.sweep).items()):
        missing = [s for s in a.streams if s not in by_stream]
        if missing:
            print(f"seed {seed[0]}: no run of {', '.join(missing)} yet; skipped")
            continue
        record = fuse_seed(by_stream, a.streams, runs, a.sweep, a.draws)
        path = out / f"seed_everything={seed[0]},stream={'+'.join(a.streams)}.json"
        atomic_write_text(path, json.dumps(record, indent=1))
        members = ", ".join(f"{s} {m['exemplar_avg_top1']:.3f}" for s, m in record["members"].items())
        print(f"seed {seed[0]}: fused {record['exemplar_avg_top1']:.3f} ({members}) -> {path}")
        done += 1
    if not done:
        raise SystemExit(f"{records / a.sweep}: no seed has runs of all of {', '.join(a.streams)}")


if __name__ == "__main__":
    main()
