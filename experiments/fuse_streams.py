"""Each seed's stream set, evaluated as one model, from runs of one recipe on several streams.

Training one recipe on several input streams (joint, bone, ...) at the same seeds leaves
one run per (seed, stream). The runs come from one sweep over `data.transform.stream`
(`SWEEP`), or from one sweep per stream (`STREAM=SWEEP`: every run of that sweep is of that
stream, e.g. `joint=utdmhad_strongest bone=utdmhad_strongest_bone`). Runs match when they
share their seed and every other parameter (a sweep of plain against CrossGLG gives one set
of each). For every group whose runs cover all the streams asked for, this gathers their
last checkpoints into a stream set (`models.stream_set`: the weighted mean of the members'
cosine similarities), evaluates it on the data and protocol the members were trained on,
and writes its record as `<records>/<name>/<run>,stream=joint+bone.json` (`--name`, by
default `<first sweep>_fused`; `<run>`: the first stream's run name without its stream). A
record holds the first stream's run settings and seed, the fused result, and each member's
result in `members`, so that `python -m crossglg tables` pairs the streams alone and the set
by seed. A set that already has its record is kept (`--again` evaluates it again), so
that a grid that grows seed by seed is fused as it goes.

    python experiments/fuse_streams.py utdmhad_val_streams [--streams joint bone]
        [--runs runs/sweeps] [--records results] [--draws 200]
    python experiments/fuse_streams.py joint=utdmhad_strongest bone=utdmhad_strongest_bone \
        --name utdmhad_strongest_streams
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
from crossglg.results.records import STREAM, load_sweep, seed_of
from crossglg.run_result import commit
from crossglg.settings import EvaluationConfig


def runs_by_group(records: Path, sources: list[str]) -> dict[tuple, dict[str, object]]:
    """`{(seed, other params): {stream: record}}` of the sources' records (`SWEEP`: the
    stream from each run's parameters; `STREAM=SWEEP`: every run of SWEEP is STREAM)."""
    out: dict[tuple, dict[str, object]] = {}
    for source in sources:
        fixed, _, sweep = source.rpartition("=")
        for r in load_sweep(records / sweep):
            params = r.get("params") or {}
            stream = fixed or params.get(STREAM)
            if stream is None:
                raise SystemExit(
                    f"{r.path}: this run does not vary {STREAM}; name its stream ({STREAM.split('.')[-1]}=SWEEP)"
                )
            rest = tuple(sorted((k, str(v)) for k, v in params.items() if k != STREAM and k != "seed_everything"))
            group = out.setdefault((seed_of(r.data), rest), {})
            if str(stream) in group:
                raise SystemExit(
                    f"two runs of stream {stream} at {seed_of(r.data)}, {dict(rest)}: {group[str(stream)].path} and {r.path}"
                )
            group[str(stream)] = r
    return out


def set_name(base, streams: list[str]) -> str:
    """`seed_everything=S,config=crossglg,stream=joint+bone` from the first stream's run name."""
    parts = [p for p in base.run.split(",") if not p.startswith(("stream=", f"{STREAM}="))]
    return ",".join([*parts, f"stream={'+'.join(streams)}"])


def last_checkpoint(run_dir: Path) -> Path:
    ckpt = run_dir / "checkpoints" / "last.ckpt"
    if not ckpt.is_file():
        raise SystemExit(f"{run_dir}: no checkpoints/last.ckpt (is --runs the sweep's --out?)")
    return ckpt


def fuse_group(by_stream: dict, streams: list[str], runs: Path, name: str, draws: int) -> dict:
    """The record of one group's stream set (see the module's docstring)."""
    base = by_stream[streams[0]]
    folder = runs / name / set_name(base, streams)
    write_stream_set(folder, {s: last_checkpoint(runs / by_stream[s].sweep / by_stream[s].run) for s in streams})
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
    record["member_runs"] = {s: f"{by_stream[s].sweep}/{by_stream[s].run}" for s in streams}
    record["commit"] = commit()
    return record


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "sources", nargs="+", metavar="SWEEP|STREAM=SWEEP", help="the sweeps (their records are <records>/<sweep>/)"
    )
    p.add_argument(
        "--streams",
        nargs="+",
        default=None,
        help="the set's members, first is the base (default: joint bone, or the sources' streams in order)",
    )
    p.add_argument("--name", default=None, help="the records folder of the sets (default: <first sweep>_fused)")
    p.add_argument("--runs", default="runs/sweeps", help="the sweeps' run folders (their --out)")
    p.add_argument("--records", default="results", help="the records folder (the sweeps' --records)")
    p.add_argument("--draws", type=int, default=200, help="exemplar draws of the exemplar-averaged top-1")
    p.add_argument("--again", action="store_true", help="evaluate sets that already have a record again")
    a = p.parse_args()
    records, runs = Path(a.records), Path(a.runs)
    named = [src.rpartition("=")[0] for src in a.sources]
    streams = a.streams or ([s for s in named if s] if all(named) else ["joint", "bone"])
    name = a.name or f"{a.sources[0].rpartition('=')[2]}_fused"
    done = 0
    for (seed, rest), by_stream in sorted(runs_by_group(records, a.sources).items()):
        where = ", ".join([f"seed {seed[0]}", *(f"{k}={v}" for k, v in rest)])
        missing = [s for s in streams if s not in by_stream]
        if missing:
            print(f"{where}: no run of {', '.join(missing)} yet; skipped")
            continue
        path = records / name / f"{set_name(by_stream[streams[0]], streams)}.json"
        if path.is_file() and not a.again:
            print(f"{where}: {path} exists; kept (--again evaluates it again)")
            done += 1
            continue
        record = fuse_group(by_stream, streams, runs, name, a.draws)
        atomic_write_text(path, json.dumps(record, indent=1))
        members = ", ".join(f"{s} {m['exemplar_avg_top1']:.3f}" for s, m in record["members"].items())
        print(f"{where}: fused {record['exemplar_avg_top1']:.3f} ({members}) -> {path}")
        done += 1
    if not done:
        raise SystemExit(f"{records}: no seed of {' '.join(a.sources)} has runs of all of {', '.join(streams)}")


if __name__ == "__main__":
    main()
