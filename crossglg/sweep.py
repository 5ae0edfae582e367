"""A local runner for wandb sweep files (`python -m crossglg sweep FILE`).

The files in `experiments/sweeps/` are ordinary wandb sweep configurations (`program`,
`method: grid`, `parameters` with `value`/`values`), usable as they are with
`wandb sweep FILE` and `wandb agent` where a wandb server is reachable. This runner
expands the same grid and runs each point with the file's `command` (its `${args}`
become `--key=value` options, as wandb's agent writes them): sequentially, or one run
per GPU at a time (`--gpus N`). Each run lives in `<out>/<sweep>/<run-slug>/` (by
default `runs/sweeps/`, not committed) and logs to wandb (offline without a key) under
the sweep's name as group; the sweep hands each run its grid point, which the run's
`result.json` records. A finished run's record is copied to
`results/<sweep>/<run-slug>.json`, which is committed: the tables and the docs are
built from those records (`python -m crossglg tables`). A run with a record is
skipped; a run that was interrupted resumes from its `checkpoints/last.ckpt`.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

from .io import atomic_write_text
from .run_result import GRID_POINT_ENV, read_result


def expand(sweep: dict) -> list[dict[str, object]]:
    """The grid of a sweep: one dict of parameter values per run, in a stable order."""
    if sweep.get("method", "grid") != "grid":
        raise ValueError(f"the local runner expands grid sweeps only (method: {sweep.get('method')})")
    names, choices = [], []
    for name, spec in sweep.get("parameters", {}).items():
        names.append(name)
        choices.append(spec["values"] if "values" in spec else [spec["value"]])
    return [dict(zip(names, combo)) for combo in itertools.product(*choices)]


def slug(params: dict, varying: set[str] | None = None) -> str:
    """A run's folder name: the values of the parameters the grid varies (all when
    `varying` is None), named by their last key (`model.encoder.name` by `encoder`), e.g.
    `aux_classes=20,encoder=stgcn,g2l=False,l2g=True,seed_everything=1`; a `*.seed` key by
    its whole path (`data.seed` by `data_seed`), apart from `seed_everything`."""
    parts = []
    for k, v in params.items():
        if k == "trainer.default_root_dir" or (varying is not None and k not in varying):
            continue
        v = Path(str(v)).stem if str(v).endswith(".yaml") else v
        name = k.removesuffix(".name").split(".")[-1]
        parts.append(f"{k.replace('.', '_') if name == 'seed' else name}={v}")
    return ",".join(parts).replace("/", "_") or "run"


def varying_keys(sweep: dict) -> set[str]:
    return {k for k, spec in sweep.get("parameters", {}).items() if len(spec.get("values", [None])) > 1}


DEFAULT_COMMAND = ["${env}", "${interpreter}", "${program}", "${args}"]


def command_for(sweep: dict, params: dict, root: Path) -> list[str]:
    """The run's command line: the sweep's `command` with wandb's macros filled in, then
    the run folder, and the checkpoint to resume from when an earlier attempt left one."""
    args = []
    for k, v in params.items():
        val = str(v).lower() if isinstance(v, bool) else str(v)
        args.append(f"--{k}={val}")
    cmd = []
    for part in sweep.get("command") or DEFAULT_COMMAND:
        if part == "${args}":
            cmd += args
        elif part == "${args_no_hyphens}":
            cmd += [a[2:] for a in args]
        elif part in ("${interpreter}", "python", "python3"):
            cmd.append(sys.executable)
        elif part == "${program}":
            program = sweep.get("program", "crossglg")
            cmd += ["-m", "crossglg", "fit"] if program == "crossglg" else [program]
        elif part == "${env}":
            continue
        elif part.startswith("${"):
            raise ValueError(f"sweep command macro {part} is not supported by the local runner")
        else:
            cmd.append(part)
    cmd += [f"--trainer.default_root_dir={root}", "--trainer.enable_progress_bar=false"]
    last = root / "checkpoints" / "last.ckpt"
    if last.exists():
        cmd.append(f"--ckpt_path={last}")
    return cmd


def keep_record(run_dir: Path, record: Path) -> dict:
    """Copy a finished run's `result.json` to its committed record (atomically); return it."""
    text = (run_dir / "result.json").read_text()
    atomic_write_text(record, text)
    return json.loads(text)


def run_sweep(
    path: str | Path,
    out: str | Path = "runs/sweeps",
    gpus: int = 0,
    extra: list[str] | None = None,
    log=print,
    records: str | Path = "results",
) -> list[dict]:
    """Run a sweep file's grid: each run in `<out>/<sweep>/<slug>/` (checkpoints, logs,
    its `result.json`), and each finished run's record copied to
    `<records>/<sweep>/<slug>.json`, the small file that is committed and that the
    tables are built from. A run with a record (or a finished run folder) is not run again."""
    sweep = yaml.safe_load(Path(path).read_text())
    name = sweep.get("name") or Path(path).stem
    grid = expand(sweep)
    varying = varying_keys(sweep)
    base, kept = Path(out) / name, Path(records) / name
    pending, results = [], []
    for params in grid:
        run = slug(params, varying)
        record = kept / f"{run}.json"
        if record.is_file():
            results.append(json.loads(record.read_text()))
        elif (base / run / "result.json").is_file():
            results.append(keep_record(base / run, record))
        else:
            pending.append((params, base / run))
    log(f"sweep {name}: {len(grid)} runs, {len(results)} already finished, {len(pending)} to run")
    slots = max(1, gpus)
    running: list[tuple[subprocess.Popen, dict, Path, int]] = []
    free = list(range(slots))
    done = len(results)
    while pending or running:
        while pending and free:
            params, root = pending.pop(0)
            gpu = free.pop(0)
            root.mkdir(parents=True, exist_ok=True)
            env = dict(
                os.environ,
                WANDB_RUN_GROUP=name,
                WANDB_NAME=slug(params, varying),
                **{GRID_POINT_ENV: json.dumps(params)},
            )
            if gpus:
                env["CUDA_VISIBLE_DEVICES"] = str(gpu)
            cmd = command_for(sweep, params, root) + list(extra or [])
            (root / "command.txt").write_text(" ".join(cmd) + "\n")
            proc = subprocess.Popen(
                cmd, stdout=open(root / "stdout.log", "w"), stderr=open(root / "stderr.log", "w"), env=env
            )
            running.append((proc, params, root, gpu))
        time.sleep(0.5)
        for item in list(running):
            proc, params, root, gpu = item
            if proc.poll() is None:
                continue
            running.remove(item)
            free.append(gpu)
            done += 1
            if proc.returncode != 0:
                tail = (root / "stderr.log").read_text()[-2000:]
                raise RuntimeError(f"run {root} failed (exit {proc.returncode}):\n{tail}")
            read_result(root)  # the run wrote it, or this names the folder that lacks it
            res = keep_record(root, kept / f"{root.name}.json")
            results.append(res)
            log(f"[{done}/{len(grid)}] {slug(params, varying)}: one-shot top-1 {res['top1']:.3f}")
    return results


def sweep_arguments(p) -> None:
    p.add_argument("file", help="a wandb sweep file (experiments/sweeps/*.yaml); options go before it")
    p.add_argument("--out", default="runs/sweeps", help="the run folders (checkpoints, logs)")
    p.add_argument("--records", default="results", help="each finished run's record: <records>/<sweep>/<run>.json")
    p.add_argument("--gpus", type=int, default=0, help="run one run per GPU at a time (0: sequential)")
    p.add_argument(
        "extra", nargs=argparse.REMAINDER, help="further fit options after --, e.g. -- --data.data_dir=/data"
    )


def sweep(args) -> int:
    run_sweep(args.file, args.out, args.gpus, [x for x in args.extra if x != "--"], records=args.records)
    return 0


COMMANDS = {"sweep": (sweep_arguments, sweep)}
