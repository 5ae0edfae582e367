"""A local runner for wandb sweep files (`python -m crossglg sweep FILE`).

The files in `experiments/sweeps/` are ordinary wandb sweep configurations (`program`,
`method: grid`, `parameters` with `value`/`values`), usable as they are with
`wandb sweep FILE` and `wandb agent` where a wandb server is reachable. This runner
expands the same grid and runs each point with the file's `command` (its `${args}`
become `--key=value` options, as wandb's agent writes them): one at a time, or several at
once (`--gpus G --parallel K`: K runs per GPU over G GPUs, `CUDA_VISIBLE_DEVICES` per
run; `--parallel K` alone: K CPU runs, each with cores/K threads), or only the grid's
i-th point (`--index i`, a SLURM array task's). Each run lives in `<out>/<sweep>/<run-slug>/` (by
default `runs/sweeps/`, not committed) and logs to wandb (offline without a key) under
the sweep's name as group; the sweep hands each run its grid point, which the run's
`result.json` records. A finished run's record is copied to
`results/<sweep>/<run-slug>.json`, which is committed: the tables and the docs are
built from those records (`python -m crossglg tables`). A run with a record is
skipped; a run that was interrupted resumes from its `checkpoints/last.ckpt`; a run whose
folder another invocation holds (`sweep.lock`) is left to it. A failed run stops none of
the others: the running ones finish, then every failure is reported.

`--dry-run` prints the plan and runs nothing: every run and its command, how many are
finished, and the cost: each run group's training steps (epochs x steps per epoch, from
the prepared cache's training-set size, else the documented estimate
`TRAINING_SET_ESTIMATES`) times the seconds per step measured on this machine's device
(a few steps of the group's own network, batch, window and precision on random input),
in device-hours and in wall time over the runner's slots.
"""

from __future__ import annotations

import heapq
import itertools
import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import CrossGLGError
from .io import atomic_write_text
from .run_result import GRID_POINT_ENV


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
    `num_aux_classes=20,encoder=stgcn,g2l=False,l2g=True,seed_everything=1`; a `*.seed` key by
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


class SweepError(CrossGLGError, RuntimeError):
    """A sweep's runs failed (each named with its exit status and the end of its stderr)."""


@dataclass
class Run:
    """One grid point of a sweep: its 0-based `index` in grid order (`--index`), its
    parameter values, its name (`slug`), its run folder and its committed record."""

    index: int
    params: dict
    name: str
    root: Path
    record: Path

    @property
    def finished(self) -> bool:
        return self.record.is_file() or (self.root / "result.json").is_file()

    @property
    def resumes(self) -> bool:
        return (self.root / "checkpoints" / "last.ckpt").is_file()


def read_sweep(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such sweep file")
    sweep = yaml.safe_load(path.read_text())
    if not isinstance(sweep, dict):
        raise ValueError(f"{path}: not a sweep file (a mapping with `parameters`)")
    return sweep


def sweep_name(sweep: dict, path: str | Path) -> str:
    return sweep.get("name") or Path(path).stem


def grid_runs(sweep: dict, name: str, out: str | Path, records: str | Path) -> list[Run]:
    """Every run of a sweep's grid, in grid order: folders `<out>/<name>/<slug>/`, records
    `<records>/<name>/<slug>.json`."""
    varying = varying_keys(sweep)
    base, kept = Path(out) / name, Path(records) / name
    runs = []
    for i, params in enumerate(expand(sweep)):
        run = slug(params, varying)
        runs.append(Run(i, params, run, base / run, kept / f"{run}.json"))
    return runs


def select(runs: list[Run], index: int | None) -> list[Run]:
    """All runs, or only the `index`-th (0-based, grid order: a SLURM array task's)."""
    if index is None:
        return runs
    if not 0 <= index < len(runs):
        raise ValueError(f"--index {index} is out of range: the grid has {len(runs)} runs (0..{len(runs) - 1})")
    return [runs[index]]


def slot_devices(gpus: int, parallel: int) -> list[int | None]:
    """The runner's slots, by GPU index: `parallel` per GPU, round-robin over the GPUs
    (`[0, 1, 0, 1]` for 2 GPUs x 2), so the first runs spread over the GPUs and a GPU never
    holds more than `parallel`; `[None] * parallel` without GPUs."""
    if gpus < 0 or parallel < 1:
        raise ValueError(f"--gpus must be >= 0 and --parallel >= 1 (got {gpus} and {parallel})")
    return [g for _ in range(parallel) for g in range(gpus)] if gpus else [None] * parallel


def cpu_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


#: The variables that size a run's CPU thread pools (torch's intra-op threads read OMP's).
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")


def threads_per_run(slots: int) -> int | None:
    """The CPU threads each of `slots` concurrent runs gets: the cores shared evenly
    (None with one slot: torch's default, every core). An `OMP_NUM_THREADS` the user set wins."""
    if os.environ.get("OMP_NUM_THREADS"):
        return int(os.environ["OMP_NUM_THREADS"])
    return max(1, cpu_cores() // slots) if slots > 1 else None


def gpu_ids(gpus: int) -> list[str]:
    """What `CUDA_VISIBLE_DEVICES` each GPU index becomes: the index itself, or the entry of
    a `CUDA_VISIBLE_DEVICES` the runner was given (a scheduler's allocation)."""
    given = os.environ.get("CUDA_VISIBLE_DEVICES")
    if given is None or not gpus:
        return [str(g) for g in range(gpus)]
    ids = [x.strip() for x in given.split(",") if x.strip()]
    if gpus > len(ids):
        raise ValueError(f"--gpus {gpus}, but CUDA_VISIBLE_DEVICES={given} names {len(ids)}")
    return ids[:gpus]


def claim(root: Path):
    """Lock a run folder (`<root>/sweep.lock`, held while its run lives, by the runner and
    the run): an open file, or None when another process holds it (the same run started by
    another invocation, e.g. a SLURM array task). Without `fcntl` (not POSIX), no lock."""
    try:
        import fcntl
    except ImportError:
        return open(os.devnull)
    root.mkdir(parents=True, exist_ok=True)
    fh = open(root / "sweep.lock", "a")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        return None
    return fh


@dataclass
class _Running:
    proc: subprocess.Popen
    run: Run
    gpu: int | None
    files: list
    lock: object


def _status(code: int) -> str:
    return f"killed by signal {-code}" if code < 0 else f"exit {code}"


def _tail(path: Path, lines: int = 20, chars: int = 2000) -> str:
    try:
        text = path.read_text(errors="replace")[-chars:]
    except OSError:
        return "(no stderr.log)"
    return "\n".join(f"    | {line}" for line in text.rstrip().splitlines()[-lines:]) or "    | (empty)"


def _stop(running: list[_Running], grace: float = 30.0) -> None:
    """Terminate the running runs (SIGTERM, then SIGKILL after `grace` s); each resumes
    from its last checkpoint on the next invocation."""
    for r in running:
        if r.proc.poll() is None:
            r.proc.terminate()
    deadline = time.monotonic() + grace
    for r in running:
        try:
            r.proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            r.proc.kill()
            r.proc.wait()
        for fh in r.files:
            fh.close()
        r.lock.close()


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def run_sweep(
    path: str | Path,
    out: str | Path = "runs/sweeps",
    gpus: int = 0,
    extra: list[str] | None = None,
    log=print,
    records: str | Path = "results",
    parallel: int = 1,
    index: int | None = None,
    keep_going: bool = False,
    poll: float = 0.5,
) -> list[dict]:
    """Run a sweep file's grid: each run in `<out>/<sweep>/<slug>/` (checkpoints, logs,
    its `result.json`), and each finished run's record copied to
    `<records>/<sweep>/<slug>.json`, the small file that is committed and that the
    tables are built from. A run with a record (or a finished run folder) is not run again,
    and one whose folder another invocation holds (`sweep.lock`) is left to it.

    `parallel` runs at once per GPU over `gpus` GPUs (`CUDA_VISIBLE_DEVICES` per run), or
    `parallel` CPU runs at once without GPUs; with several runs at once each gets
    `cores / slots` CPU threads (`OMP_NUM_THREADS`). `index`: only the grid's
    `index`-th run (0-based). A failed run stops no other: the running ones finish, no
    new one starts (all do with `keep_going`), and a `SweepError` then names every
    failure with the end of its stderr. Interrupted (Ctrl-C, SIGTERM), the runner stops
    its runs; each resumes from its `checkpoints/last.ckpt` the next time."""
    sweep = read_sweep(path)
    name = sweep_name(sweep, path)
    slots = slot_devices(gpus, parallel)
    ids = gpu_ids(gpus)
    threads = threads_per_run(len(slots))
    runs = select(grid_runs(sweep, name, out, records), index)
    pending, results = [], []
    for run in runs:
        if run.record.is_file():
            results.append(json.loads(run.record.read_text()))
        elif (run.root / "result.json").is_file():
            results.append(keep_record(run.root, run.record))
        else:
            pending.append(run)
    where = (
        f"{gpus} GPU(s) x {parallel}" if gpus else f"{parallel} at once on the CPU" if parallel > 1 else "one at a time"
    )
    log(f"sweep {name}: {len(runs)} runs, {len(results)} already finished, {len(pending)} to run ({where})")
    total = len(runs)
    free = list(slots)
    running: list[_Running] = []
    failures: list[tuple[Run, str]] = []
    done, elsewhere = len(results), 0
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _interrupt) if main_thread else None
    try:
        while running or (pending and (keep_going or not failures)):
            while pending and free and (keep_going or not failures):
                run = pending.pop(0)
                lock = claim(run.root)
                if lock is None:
                    elsewhere += 1
                    log(f"{run.name}: another invocation runs it (its folder is locked): left to it")
                    continue
                gpu = free.pop(0)
                env = dict(
                    os.environ,
                    WANDB_RUN_GROUP=name,
                    WANDB_NAME=run.name,
                    **{GRID_POINT_ENV: json.dumps(run.params)},
                )
                if gpu is not None:
                    env["CUDA_VISIBLE_DEVICES"] = ids[gpu]
                if threads is not None:
                    env.update({var: str(threads) for var in THREAD_VARS})
                cmd = command_for(sweep, run.params, run.root) + list(extra or [])
                (run.root / "command.txt").write_text(shlex.join(cmd) + "\n")
                files = [open(run.root / "stdout.log", "w"), open(run.root / "stderr.log", "w")]
                try:
                    proc = subprocess.Popen(cmd, stdout=files[0], stderr=files[1], env=env, pass_fds=_fds(lock))
                except OSError as e:  # the program does not exist or cannot run
                    files[1].write(f"{e}\n")
                    for fh in [*files, lock]:
                        fh.close()
                    free.insert(0, gpu)
                    failures.append((run, f"could not start: {e}"))
                    log(f"{run.name}: FAILED (could not start: {e})")
                    continue
                running.append(_Running(proc, run, gpu, files, lock))
                log(f"start {run.name}" + (f" on GPU {ids[gpu]}" if gpu is not None else ""))
            time.sleep(poll)
            for r in list(running):
                if r.proc.poll() is None:
                    continue
                running.remove(r)
                free.append(r.gpu)
                for fh in r.files:
                    fh.close()
                r.lock.close()
                done += 1
                code = r.proc.returncode
                if code == 0 and (r.run.root / "result.json").is_file():
                    res = keep_record(r.run.root, r.run.record)
                    results.append(res)
                    top1 = res.get("top1")
                    shown = f"{top1:.3f}" if isinstance(top1, (int, float)) else "?"
                    log(f"[{done}/{total}] {r.run.name}: one-shot top-1 {shown}")
                    continue
                why = _status(code) if code else "exit 0 but no result.json (did it finish?)"
                failures.append((r.run, why))
                then = "the others go on" if keep_going else f"{len(running)} running finish, no new run starts"
                log(f"[{done}/{total}] {r.run.name}: FAILED ({why}); {then}")
    except BaseException:
        if running:
            log(f"interrupted: stopping {len(running)} run(s); each resumes from its last checkpoint next time")
        _stop(running)
        raise
    finally:
        if main_thread and previous is not None:
            signal.signal(signal.SIGTERM, previous)
    if elsewhere:
        log(f"{elsewhere} run(s) left to another invocation that holds them")
    if failures:
        lines = [
            f"{len(failures)} of {total} runs of sweep {name} failed"
            + (f" ({len(pending)} not started)" if pending else "")
            + "; run the sweep again to retry them (finished runs are kept):"
        ]
        for run, why in failures:
            lines += [f"  {run.root}: {why}; {run.root / 'stderr.log'} ends:", _tail(run.root / "stderr.log")]
        raise SweepError("\n".join(lines))
    return results


def _fds(lock) -> tuple[int, ...]:
    """The lock's descriptor, handed to the run so the lock lives as long as the run does
    (a runner killed with SIGKILL leaves its runs going, and their folders locked)."""
    try:
        return (lock.fileno(),)
    except (AttributeError, ValueError):
        return ()


# -- the plan and its cost (`--dry-run`) -------------------------------------------------

#: The training-set size of each protocol, for a plan made without its prepared cache (the
#: plan says which source it used): recordings per auxiliary class, the auxiliary classes
#: where the protocol does not list them, and where the figures come from.
TRAINING_SET_ESTIMATES: dict[str, tuple[float, int | None, str]] = {
    "ntu120_oneshot": (
        113_945 / 120,
        None,
        "NTU RGB+D 120: 114,480 recordings less the 535 without skeletons, ~950 a class "
        "(100 auxiliary classes: ~95,000)",
    ),
    "ntu60_oneshot": (
        56_578 / 60,
        None,
        "NTU RGB+D 60: 56,880 recordings less the 302 without skeletons, ~943 a class",
    ),
    "pkummd2_oneshot": (
        170.0,
        31,
        "PKU-MMD phase II: a rough ~170 segments a class, 31 auxiliary classes (unverified)",
    ),
    "utdmhad_oneshot": (861 / 27, None, "UTD-MHAD: 861 recordings over 27 classes"),
    "utdmhad_val": (861 / 27, None, "UTD-MHAD: 861 recordings over 27 classes"),
    "builtin_oneshot": (36.0, None, "builtin: 6 performers x 3 cameras x 2 replications a class"),
    "composed_oneshot": (18.0, None, "composed: 6 performers x 3 cameras a class"),
}


def is_seed(key: str) -> bool:
    return key == "seed_everything" or key.endswith(".seed")


def _group(cfg: dict, name: str, key: str, default=None):
    """`cfg[name][key]`, or the key's old place `cfg[key]` (before the groups)."""
    sub = cfg.get(name) or {}
    return sub[key] if key in sub else cfg.get(key, default)


def fit_arguments(cmd: list[str]) -> list[str] | None:
    """The options a run's command gives `python -m crossglg fit`, less its resume
    checkpoint; None when the command is not a crossglg fit (it cannot be planned)."""
    for i in range(len(cmd) - 2):
        if cmd[i : i + 3] == ["-m", "crossglg", "fit"]:
            args, out, skip = cmd[i + 3 :], [], False
            for a in args:
                if skip:
                    skip = False
                elif a == "--ckpt_path":
                    skip = True
                elif not a.startswith("--ckpt_path="):
                    out.append(a)
            return out
    return None


_LABELS: dict[Path, object] = {}


def _cache_labels(cache_dir: Path):
    """The labels of a prepared cache, from its manifest (the joints are not read)."""
    import numpy as np

    if cache_dir not in _LABELS:
        manifest = json.loads((cache_dir / "manifest.json").read_text())
        _LABELS[cache_dir] = np.asarray(manifest["samples"]["label"], dtype=np.int64)
    return _LABELS[cache_dir]


def training_recordings(data: dict) -> tuple[int, int, str, str]:
    """`(recordings, auxiliary classes, source, protocol)` of the training set a resolved config's
    `data` trains on: counted in the prepared cache when there is one, else estimated
    from `TRAINING_SET_ESTIMATES` (its source says which)."""
    import numpy as np

    from .data.datasets import get_dataset
    from .data.protocols import get_protocol

    dataset = get_dataset(data.get("dataset") or "builtin").name
    protocol = get_protocol(data.get("protocol") or f"{dataset}_oneshot")
    n_aux = data.get("num_aux_classes", data.get("aux_classes"))
    cache_dir = Path(data.get("cache_dir") or Path(data.get("data_dir") or "data") / dataset / "cache")
    if (cache_dir / "manifest.json").is_file():
        labels = _cache_labels(cache_dir)
        aux = protocol.auxiliary_classes(labels, n_aux)
        return int(np.isin(labels, aux).sum()), len(aux), f"counted in the prepared cache {cache_dir}", protocol.name
    if protocol.name not in TRAINING_SET_ESTIMATES:
        raise ValueError(f"no cache at {cache_dir} and no estimate of {protocol.name}'s training set: prepare it")
    per_class, default_aux, note = TRAINING_SET_ESTIMATES[protocol.name]
    if protocol.auxiliary is not None:
        aux = len(protocol.auxiliary_classes(n=n_aux))
    else:
        aux = n_aux or default_aux
    return round(aux * per_class), aux, f"estimated, as there is no cache at {cache_dir}: {note}", protocol.name


def steps_per_run(cfg: dict, recordings: int) -> int:
    """The training steps of a fit of a resolved config on `recordings` training
    recordings: epochs x steps per epoch (`recordings // batch`, the last partial batch
    dropped; `episodes_per_epoch` when episodic), bounded by `limit_train_batches` and
    `max_steps` as Lightning bounds them."""
    data, trainer = cfg.get("data") or {}, cfg.get("trainer") or {}
    if _group(data, "loader", "episodic", False):
        per_epoch = int(_group(data, "loader", "episodes_per_epoch", 100))
    else:
        batch = int(_group(data, "loader", "batch_size", 64))
        per_epoch = recordings // batch if recordings > batch else 1
    limit = trainer.get("limit_train_batches")
    if isinstance(limit, int) and not isinstance(limit, bool):
        per_epoch = min(per_epoch, limit)
    elif isinstance(limit, float):
        per_epoch = int(per_epoch * limit)
    epochs, max_steps = trainer.get("max_epochs"), trainer.get("max_steps") or -1
    if epochs is None or epochs < 0:
        epochs = 1000 if max_steps < 0 else max_steps  # Lightning's default bound
    steps = epochs * per_epoch
    return min(steps, max_steps) if max_steps >= 0 else steps


@dataclass
class Workload:
    """One training step as a run takes it, for timing: the network's arguments (as
    `train.network_args` gives them), a batch `(batch, C, window, V, persons)`, the
    trainer's precision, whether the distillation loss is on, and the device and CPU
    threads the run would use."""

    net: dict
    batch: int
    window: int
    persons: int
    precision: str
    distill: bool
    device: str
    threads: int | None

    def describe(self) -> str:
        g = self.net.get("guidance") or {}
        guided = "+".join(k for k in ("g2l", "l2g") if g.get(k)) or "plain"
        enc = (self.net.get("encoder") or {}).get("name")
        kd = ", distillation" if self.distill else ""
        return (
            f"{enc} {guided}{kd}, batch {self.batch}, T={self.window}, M={self.persons}, "
            f"{self.net.get('num_classes')} classes, {self.precision}"
        )


def _autocast_dtype(precision: str):
    import torch

    p = str(precision)
    if "bf16" in p:
        return torch.bfloat16
    if p.startswith("16"):
        return torch.float16
    return None


def measure_step(w: Workload, warmup: int = 3, steps: int = 5) -> float:
    """Seconds per training step of a workload: `warmup` steps, then the mean of `steps`
    (random input and text; forward, the losses, backward and an SGD step, as
    `CrossGLGTask.training_step` takes them under the trainer's precision)."""
    import torch

    from .models.network import CrossGLGNet
    from .settings import EncoderConfig, as_group

    previous = torch.get_num_threads()
    if w.device == "cpu" and w.threads:
        torch.set_num_threads(w.threads)
    try:
        torch.manual_seed(0)
        net = CrossGLGNet(**w.net).to(w.device).train()
        enc = as_group(EncoderConfig, w.net.get("encoder"))
        classes, joints = int(w.net["num_classes"]), enc.num_joints
        x = torch.randn(w.batch, enc.in_channels, w.window, joints, w.persons, device=w.device)
        y = torch.randint(0, classes, (w.batch,), device=w.device)
        text = torch.randn(classes, joints, w.net["text_dim"], device=w.device) if net.interaction else None
        k_gt = torch.softmax(torch.randn(classes, joints, device=w.device), 1) if net.jid else None
        opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4)
        dtype = _autocast_dtype(w.precision)
        device_type = torch.device(w.device).type
        kd = 1.0 if w.distill and net.interaction is not None else 0.0

        def step():
            opt.zero_grad(set_to_none=True)
            with torch.autocast(device_type, dtype=dtype or torch.bfloat16, enabled=dtype is not None):
                loss = net.losses(x, y, text, k_gt, kd)["loss"]
            loss.backward()
            opt.step()

        def sync():
            if device_type == "cuda":
                torch.cuda.synchronize()

        for _ in range(warmup):
            step()
        sync()
        start = time.perf_counter()
        for _ in range(steps):
            step()
        sync()
        return (time.perf_counter() - start) / steps
    finally:
        torch.set_num_threads(previous)


_TEXT_DIMS: dict[str, tuple[int, str]] = {}


def _quiet_loading() -> None:
    """No progress bars when a plan loads a text encoder to learn its width."""
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except ImportError:
        pass


def _text_dim(encoder: str) -> tuple[int, str]:
    """The width of a text encoder's embeddings (loaded once per name), with a note when
    it could not be loaded here (then 384, the offline default's)."""
    if encoder not in _TEXT_DIMS:
        from .text.embeddings import text_width

        _quiet_loading()

        try:
            _TEXT_DIMS[encoder] = (text_width(encoder), "")
        except CrossGLGError as e:
            _TEXT_DIMS[encoder] = (384, f"text encoder {encoder!r} not loadable here ({e}); timed at 384 dims")
    return _TEXT_DIMS[encoder]


def workload_of(cfg: dict, num_classes: int, device: str, threads: int | None) -> tuple[Workload, str]:
    """The workload of a resolved config at `num_classes` auxiliary classes, and a note
    (empty, or why a size was assumed)."""
    from .models.checkpoint import NETWORK_KEYS
    from .train import network_args

    model, data, trainer = dict(cfg.get("model") or {}), cfg.get("data") or {}, cfg.get("trainer") or {}
    guidance, text = model.get("guidance") or {}, model.get("text") or {}
    note = ""
    if model.get("text_dim") is None:
        encoder = text.get("encoder", data.get("text_encoder"))
        uses = (guidance.get("g2l") or guidance.get("l2g")) and encoder
        model["text_dim"], note = _text_dim(encoder) if uses else (0, "")
    model["num_classes"] = num_classes
    cfg = dict(cfg, model=model)
    _quiet_loading()  # network_args loads the text encoder to learn its width
    try:
        net = network_args(cfg)
    except (CrossGLGError, FileNotFoundError, KeyError, TypeError, ValueError):
        net = {k: v for k, v in model.items() if k in NETWORK_KEYS and v is not None}
        net.setdefault("persons", data.get("persons", 2))
    net = dict(net, num_classes=num_classes, text_dim=model["text_dim"])
    callbacks = trainer.get("callbacks") or []
    loader = data.get("loader") or {}
    if _group(data, "loader", "episodic", False):
        batch = loader.get("n_way", 5) * (loader.get("k_shot", 1) + loader.get("n_query", 5))
    else:
        batch = int(_group(data, "loader", "batch_size", 64))
    w = Workload(
        net=net,
        batch=batch,
        window=int(_group(data, "transform", "window", 64)),
        persons=int(net.get("persons") or data.get("persons", 2)),
        precision=str(trainer.get("precision") or "32-true"),
        distill=any(str((cb or {}).get("class_path", "")).endswith("Distillation") for cb in callbacks),
        device=device,
        threads=threads if device == "cpu" else None,
    )
    return w, note


def timing_key(cfg: dict, device: str) -> str:
    """What decides a training step's time, from a resolved config: everything of the
    model, the batch, the window, the precision and the distillation, but not the number
    of auxiliary classes (the classifier's outputs: timed at the group's largest)."""
    model, data, trainer = cfg.get("model") or {}, cfg.get("data") or {}, cfg.get("trainer") or {}
    callbacks = [str((cb or {}).get("class_path", "")) for cb in trainer.get("callbacks") or []]
    return json.dumps(
        {
            "model": {k: model.get(k) for k in ("encoder", "guidance", "classifier", "text", "text_dim")},
            "persons": data.get("persons"),
            "transform": _group(data, "transform", "window"),
            "loader": [_group(data, "loader", k) for k in ("batch_size", "episodic", "n_way", "k_shot", "n_query")],
            "precision": trainer.get("precision"),
            "distill": any(c.endswith("Distillation") for c in callbacks),
            "device": device,
        },
        sort_keys=True,
        default=str,
    )


def run_device(cfg: dict) -> str:
    """The device a run of a resolved config trains on here: `cuda` where a GPU is
    visible and the trainer's accelerator allows it, else `cpu`."""
    import torch

    accelerator = str((cfg.get("trainer") or {}).get("accelerator") or "auto")
    return "cuda" if torch.cuda.is_available() and accelerator in ("auto", "gpu", "cuda") else "cpu"


def device_description(device: str, threads: int | None) -> str:
    import torch

    if device == "cuda":
        return f"{torch.cuda.get_device_name(0)} ({torch.cuda.device_count()} visible)"
    from .train import cpu_name

    n = threads or torch.get_num_threads()
    return f"CPU {cpu_name()}, {n} thread{'s' if n > 1 else ''} a run (of {cpu_cores()} cores)"


def wall_time(durations: list[float], slots: int) -> float:
    """The time `durations` take run in order on `slots` slots, each run starting on the
    first slot that frees, as the runner does (with equal runs: their sum / slots, rounded
    up to whole rounds)."""
    ends = [0.0] * max(1, slots)
    for d in durations:
        t = heapq.heappop(ends)
        heapq.heappush(ends, t + d)
    return max(ends)


def _hours(seconds: float) -> str:
    h = seconds / 3600
    if seconds < 60:
        return f"{seconds:.1f} s"
    if h < 1:
        return f"{seconds / 60:.1f} min"
    return f"{h:,.1f} h" + (f" ({h / 24:,.1f} days)" if h >= 48 else "")


@dataclass
class PlanGroup:
    """Runs that differ only in their seeds: one cost."""

    label: str
    runs: list[Run] = field(default_factory=list)
    finished: int = 0
    cfg: dict | None = None
    steps: int | None = None
    recordings: int | None = None
    aux: int | None = None
    source: str = ""
    key: str | None = None
    s_per_step: float | None = None


def plan_sweep(
    path: str | Path,
    out: str | Path = "runs/sweeps",
    records: str | Path = "results",
    gpus: int = 0,
    parallel: int = 1,
    extra: list[str] | None = None,
    index: int | None = None,
    calibrate: bool = True,
    steps: int = 5,
    warmup: int = 3,
    timer=measure_step,
    timings: dict | None = None,
    log=print,
) -> dict:
    """Print what `run_sweep` would do and what it would cost, and run nothing: every run
    (its name, status and command), the finished count, each run group's training steps
    (from its training-set size: the prepared cache, else `TRAINING_SET_ESTIMATES`) and
    its measured seconds per step (`timer(workload, warmup, steps)`, once per distinct
    workload; `timings` carries them across sweeps), device-hours, and the wall time on
    the runner's slots. Returns the plan as a dict (`runs`, `finished`, `groups`,
    `device_s`, `wall_s`, `slots`)."""
    sweep = read_sweep(path)
    name = sweep_name(sweep, path)
    slots = slot_devices(gpus, parallel)
    threads = threads_per_run(len(slots))
    runs = select(grid_runs(sweep, name, out, records), index)
    finished = [r for r in runs if r.finished]
    todo = [r for r in runs if not r.finished]
    log(f"sweep {name} ({path}): {len(runs)} runs, {len(finished)} already finished, {len(todo)} to run")
    where = (
        f"{gpus} GPU(s) x {parallel} run(s) each"
        if gpus
        else (f"{parallel} CPU runs at once" if parallel > 1 else "one run at a time")
    )
    log(f"slots: {len(slots)} ({where})")
    for run in runs:
        state = "finished" if run.finished else ("resumes from last.ckpt" if run.resumes else "to run")
        log(f"  [{run.index}] {run.name}: {state}")
        if not run.finished:
            log(f"      {shlex.join(command_for(sweep, run.params, run.root) + list(extra or []))}")
    varying = {k for k in varying_keys(sweep) if not is_seed(k)}
    groups: dict[str, PlanGroup] = {}
    for run in runs:
        label = slug(run.params, varying) if varying else "all runs"
        g = groups.setdefault(label, PlanGroup(label))
        if run.finished:
            g.finished += 1
        else:
            g.runs.append(run)
    plan = {"sweep": name, "runs": len(runs), "finished": len(finished), "slots": len(slots), "groups": []}
    active = [g for g in groups.values() if g.runs]
    if not active:
        log("nothing to run")
        return dict(plan, device_s=0.0, wall_s=0.0)
    probe = command_for(sweep, active[0].runs[0].params, active[0].runs[0].root) + list(extra or [])
    if fit_arguments(probe) is None:
        log("the sweep's command is not `python -m crossglg fit`: no estimate of its cost")
        return dict(plan, device_s=None, wall_s=None)
    from .train import resolve_config

    sizes: dict[tuple, tuple] = {}
    for g in active:
        run = g.runs[0]
        g.cfg = resolve_config(fit_arguments(command_for(sweep, run.params, run.root) + list(extra or [])))
        data = g.cfg.get("data") or {}
        size_key = (
            data.get("dataset"),
            data.get("protocol"),
            data.get("num_aux_classes", data.get("aux_classes")),
            data.get("cache_dir") or data.get("data_dir"),
        )
        if size_key not in sizes:
            try:
                sizes[size_key] = training_recordings(data)
            except (CrossGLGError, KeyError, ValueError) as e:
                sizes[size_key] = (None, None, str(e), data.get("protocol") or data.get("dataset"))
        g.recordings, g.aux, g.source, _ = sizes[size_key]
        g.steps = steps_per_run(g.cfg, g.recordings) if g.recordings is not None else None
    log("training set (steps per epoch: recordings // batch):")
    for source in dict.fromkeys(v[2] for v in sizes.values()):  # each source once, under its sizes
        for n, aux, src, protocol in sizes.values():
            if src == source and n is not None:
                log(f"  {protocol}, {aux} auxiliary classes: {n:,} recordings")
        log(f"    source: {source}")
    timings = {} if timings is None else timings
    if calibrate:
        by_key: dict[str, list[PlanGroup]] = {}
        for g in active:
            g.key = timing_key(g.cfg, run_device(g.cfg))
            by_key.setdefault(g.key, []).append(g)
        device = run_device(active[0].cfg)
        if gpus and device == "cpu":
            log(f"note: --gpus {gpus}, but no GPU is visible here: timed on the CPU, which is not the GPUs' speed")
        log(
            f"calibration: {warmup} warm-up + {steps} timed training steps of each distinct workload on "
            f"{device_description(device, threads)}, random input (compute only: no data loading, no validation)"
        )
        for key, members in by_key.items():
            first = max(members, key=lambda g: g.aux or 0)
            if key not in timings:
                w, note = workload_of(first.cfg, first.aux or 1, run_device(first.cfg), threads)
                timings[key] = (timer(w, warmup, steps), w.describe(), note)
                log(f"  {w.describe()}: {timings[key][0]:.3f} s/step" + (f" ({note})" if note else ""))
            else:
                log(f"  {timings[key][1]}: {timings[key][0]:.3f} s/step (measured above)")
            for g in members:
                g.s_per_step = timings[key][0]
    log("")
    log("| run group | runs | steps/run | measured s/step | device-hours |")
    log("|---|---|---|---|---|")
    durations: list[float] = []
    device_s = 0.0
    for g in groups.values():
        cost = g.steps * g.s_per_step * len(g.runs) if g.steps is not None and g.s_per_step is not None else None
        s = f"{g.s_per_step:.3f}" if g.s_per_step is not None else "-"
        hours = f"{cost / 3600:,.2f}" if cost is not None else "-"
        steps_s = f"{g.steps:,}" if g.steps is not None else "-"
        done = f" (+{g.finished} finished)" if g.finished else ""
        log(f"| {g.label} | {len(g.runs)}{done} | {steps_s} | {s} | {hours} |")
        plan["groups"].append(
            {
                "group": g.label,
                "runs": len(g.runs),
                "finished": g.finished,
                "steps_per_run": g.steps,
                "recordings": g.recordings,
                "source": g.source,
                "s_per_step": g.s_per_step,
                "device_s": cost,
            }
        )
        if cost is not None:
            device_s += cost
    for run in todo:  # in grid order, as the runner takes them
        g = groups[slug(run.params, varying) if varying else "all runs"]
        if g.steps is not None and g.s_per_step is not None:
            durations.append(g.steps * g.s_per_step)
    if not calibrate or len(durations) < len(todo):
        log(f"total: {len(todo)} runs to run, {sum(g.steps or 0 for g in active for _ in g.runs):,} steps (not timed)")
        return dict(plan, device_s=None, wall_s=None)
    wall = wall_time(durations, len(slots))
    log(
        f"total: {len(todo)} runs to run, {device_s / 3600:,.2f} device-hours; wall time on {len(slots)} slot(s): "
        f"{_hours(wall)}"
        + (" (assumes runs sharing a device do not slow each other: an optimistic bound)" if parallel > 1 else "")
    )
    return dict(plan, device_s=device_s, wall_s=wall)


# -- the command -------------------------------------------------------------------------


def sweep_arguments(p) -> None:
    p.description = (
        "Run wandb sweep files' grids locally, in order: resumable (finished runs are skipped, "
        "interrupted ones resume from their last checkpoint), several runs at once (--gpus, --parallel), "
        "one grid point (--index, a SLURM array task's), or only the plan and its measured cost (--dry-run)."
    )
    p.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="wandb sweep files (experiments/sweeps/*.yaml); fit options for every run may follow after --, "
        "e.g. -- --data.data_dir=/data",
    )
    p.add_argument("--out", default="runs/sweeps", help="the run folders (checkpoints, logs)")
    p.add_argument("--records", default="results", help="each finished run's record: <records>/<sweep>/<run>.json")
    p.add_argument("--gpus", type=int, default=0, help="GPUs to spread runs over, CUDA_VISIBLE_DEVICES per run")
    p.add_argument(
        "--parallel",
        type=int,
        default=1,
        help="runs at once per GPU (or on the CPU without --gpus, each with cores/N threads)",
    )
    p.add_argument("--index", type=int, default=None, help="run only the grid's INDEX-th run (0-based; SLURM arrays)")
    p.add_argument(
        "--keep-going", action="store_true", help="after a failed run, start the remaining runs all the same"
    )
    p.add_argument(
        "--dry-run", action="store_true", help="print the runs, the finished count and the cost; run nothing"
    )
    p.add_argument("--no-calibrate", action="store_true", help="with --dry-run: count steps, time none")
    p.add_argument("--calibrate-steps", type=int, default=5, help="timed training steps per workload (default 5)")
    p.add_argument("--calibrate-warmup", type=int, default=3, help="untimed steps before them (default 3)")


def split_files(items: list[str]) -> tuple[list[str], list[str]]:
    """`FILE ... [-- OPTIONS]` as argparse leaves it: the files, then the fit options (from
    the first item that starts with `-`)."""
    items = [x for x in items if x != "--"]
    for i, x in enumerate(items):
        if x.startswith("-"):
            return items[:i], items[i:]
    return items, []


def sweep(args) -> int:
    files, extra = split_files(args.files)
    if not files:
        raise ValueError("no sweep file given (python -m crossglg sweep FILE [-- fit options])")
    if args.dry_run:
        timings: dict = {}
        plans = []
        for i, path in enumerate(files):
            if i:
                print()
            plans.append(
                plan_sweep(
                    path,
                    args.out,
                    args.records,
                    args.gpus,
                    args.parallel,
                    extra,
                    args.index,
                    calibrate=not args.no_calibrate,
                    steps=args.calibrate_steps,
                    warmup=args.calibrate_warmup,
                    timings=timings,
                )
            )
        if len(plans) > 1 and all(p["device_s"] is not None for p in plans):
            device_s, wall_s = sum(p["device_s"] for p in plans), sum(p["wall_s"] for p in plans)
            todo = sum(p["runs"] - p["finished"] for p in plans)
            print(
                f"\nall {len(plans)} sweeps, one after another: {todo} runs to run, {device_s / 3600:,.2f} "
                f"device-hours, wall time {_hours(wall_s)}"
            )
        return 0
    try:
        for path in files:
            run_sweep(
                path,
                args.out,
                args.gpus,
                extra,
                records=args.records,
                parallel=args.parallel,
                index=args.index,
                keep_going=args.keep_going,
            )
    except KeyboardInterrupt:
        print("interrupted: run the same command again to resume", file=sys.stderr)
        return 130
    return 0


COMMANDS = {"sweep": (sweep_arguments, sweep)}
