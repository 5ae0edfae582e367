"""The sweep runner with several runs at once (`--gpus G --parallel K`), failures, a killed
sweep, `--index`, and the plan (`--dry-run`). The runs are a fake training program (any
program can be a sweep's `command`): it sleeps, then writes a `result.json` with the
times it ran and the `CUDA_VISIBLE_DEVICES` and `OMP_NUM_THREADS` it saw."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from crossglg.sweep import (
    SweepError,
    claim,
    cpu_cores,
    grid_runs,
    plan_sweep,
    run_sweep,
    slot_devices,
    steps_per_run,
    wall_time,
)

ROOT = Path(__file__).parent.parent
SMOKE = ROOT / "experiments" / "sweeps" / "smoke.yaml"

FAKE = r"""
import json, os, sys, time
args = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--") and "=" in a)
root = args["trainer.default_root_dir"]
start = time.time()
with open(os.path.join(root, "started.json"), "w") as fh:
    json.dump({"pid": os.getpid(), "start": start}, fh)
os.makedirs(os.path.join(root, "checkpoints"), exist_ok=True)
open(os.path.join(root, "checkpoints", "last.ckpt"), "w").close()  # as a fit's first epoch leaves it
if os.environ.get("FAKE_FAIL") == args["n"]:
    sys.stderr.write("boom: run %s fails on purpose\n" % args["n"])
    sys.exit(3)
time.sleep(float(args["sleep"]))
result = {
    "top1": 0.5,
    "start": start,
    "end": time.time(),
    "gpu": os.environ.get("CUDA_VISIBLE_DEVICES"),
    "threads": os.environ.get("OMP_NUM_THREADS"),
    "resumed": "ckpt_path" in args,
    "params": json.loads(os.environ["CROSSGLG_GRID_POINT"]),
}
with open(os.path.join(root, "result.json.tmp"), "w") as fh:
    json.dump(result, fh)
os.replace(os.path.join(root, "result.json.tmp"), os.path.join(root, "result.json"))
"""


@pytest.fixture
def fake_sweep(tmp_path, monkeypatch):
    """A sweep file over `n` runs of the fake program, each sleeping `sleep` seconds."""
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delenv("FAKE_FAIL", raising=False)
    program = tmp_path / "fake_fit.py"
    program.write_text(FAKE)

    def make(n: int, sleep: float) -> Path:
        sweep = {
            "name": "fake",
            "command": ["python", str(program), "${args}"],
            "method": "grid",
            "metric": {"name": "validate/oneshot_top1", "goal": "maximize"},
            "parameters": {"sleep": {"value": sleep}, "n": {"values": list(range(n))}},
        }
        path = tmp_path / "fake.yaml"
        path.write_text(yaml.safe_dump(sweep))
        return path

    return make


def _kw(tmp_path):
    return dict(out=tmp_path / "runs", records=tmp_path / "records", log=lambda *_: None, poll=0.05)


def _records(tmp_path) -> dict[int, dict]:
    return {
        json.loads(p.read_text())["params"]["n"]: json.loads(p.read_text())
        for p in (tmp_path / "records" / "fake").glob("*.json")
    }


def _most_at_once(intervals: list[tuple[float, float]]) -> int:
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
    most = now = 0
    for _, d in events:
        now += d
        most = max(most, now)
    return most


def test_slots_are_round_robin_per_gpu():
    assert slot_devices(2, 2) == [0, 1, 0, 1]
    assert slot_devices(3, 1) == [0, 1, 2]
    assert slot_devices(0, 3) == [None, None, None]
    with pytest.raises(ValueError, match="--parallel"):
        slot_devices(1, 0)


def test_k_runs_per_gpu_overlap_round_robin(tmp_path, fake_sweep):
    path = fake_sweep(8, 1.0)
    results = run_sweep(path, gpus=2, parallel=2, **_kw(tmp_path))
    assert len(results) == 8
    recs = _records(tmp_path)
    assert sorted(recs) == list(range(8))
    # the first four runs (grid order) took the slots GPU 0, 1, 0, 1
    assert [recs[n]["gpu"] for n in range(4)] == ["0", "1", "0", "1"]
    intervals = [(r["start"], r["end"]) for r in recs.values()]
    assert _most_at_once(intervals) == 4  # 2 GPUs x 2: four runs at once, never more
    for gpu in ("0", "1"):
        on_gpu = [(r["start"], r["end"]) for r in recs.values() if r["gpu"] == gpu]
        assert len(on_gpu) == 4 and _most_at_once(on_gpu) == 2
    # four runs at once share the cores
    assert {r["threads"] for r in recs.values()} == {str(max(1, cpu_cores() // 4))}


def test_failed_run_is_reported_after_the_others_finish_then_resumes(tmp_path, fake_sweep, monkeypatch):
    path = fake_sweep(6, 1.0)
    monkeypatch.setenv("FAKE_FAIL", "0")
    lines = []
    kw = dict(_kw(tmp_path), log=lines.append)
    with pytest.raises(SweepError) as err:
        run_sweep(path, parallel=3, **kw)
    msg = str(err.value)
    assert msg.startswith("1 of 6 runs of sweep fake failed (3 not started)")
    assert "n=0" in msg and "exit 3" in msg and "boom: run 0 fails on purpose" in msg
    # the two runs that were running when run 0 failed finished; none started after it
    assert sorted(_records(tmp_path)) == [1, 2]
    assert any("n=0: FAILED (exit 3); 2 running finish, no new run starts" in line for line in lines)
    # CPU runs at once: cores / 3 threads each, no GPU
    assert {r["threads"] for r in _records(tmp_path).values()} == {str(max(1, cpu_cores() // 3))}
    assert {r["gpu"] for r in _records(tmp_path).values()} == {None}
    # run again: the finished runs are skipped, the failed one resumes from its checkpoint
    monkeypatch.delenv("FAKE_FAIL")
    lines.clear()
    run_sweep(path, parallel=3, **kw)
    assert lines[0].startswith("sweep fake: 6 runs, 2 already finished, 4 to run")
    recs = _records(tmp_path)
    assert sorted(recs) == list(range(6))
    assert recs[0]["resumed"] and not any(recs[n]["resumed"] for n in (3, 4, 5))
    lines.clear()
    run_sweep(path, parallel=3, **kw)
    assert lines == ["sweep fake: 6 runs, 6 already finished, 0 to run (3 at once on the CPU)"]


def test_keep_going_runs_the_rest_after_a_failure(tmp_path, fake_sweep, monkeypatch):
    path = fake_sweep(4, 0.2)
    monkeypatch.setenv("FAKE_FAIL", "1")
    with pytest.raises(SweepError, match=r"^1 of 4 runs of sweep fake failed; run the sweep again"):
        run_sweep(path, parallel=2, keep_going=True, **_kw(tmp_path))
    assert sorted(_records(tmp_path)) == [0, 2, 3]


def test_killed_sweep_stops_its_runs_and_resumes(tmp_path, fake_sweep):
    path = fake_sweep(4, 3.0)
    runs = tmp_path / "runs" / "fake"
    cmd = [sys.executable, "-m", "crossglg", "sweep", "--parallel", "2", "--out", str(tmp_path / "runs")]
    cmd += ["--records", str(tmp_path / "records"), str(path)]
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "FAKE_FAIL")}
    runner = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    deadline = time.monotonic() + 60
    while len(list(runs.glob("*/started.json"))) < 2:
        assert time.monotonic() < deadline and runner.poll() is None, runner.communicate()
        time.sleep(0.05)
    runner.send_signal(signal.SIGTERM)
    out, err = runner.communicate(timeout=60)
    assert runner.returncode == 130, out + err
    assert "interrupted: stopping 2 run(s)" in out and "run the same command again to resume" in err
    started = [json.loads(p.read_text()) for p in runs.glob("*/started.json")]
    for s in started:  # the runs were stopped with the runner
        with pytest.raises(ProcessLookupError):
            os.kill(s["pid"], 0)
    assert not list((tmp_path / "records").glob("*/*.json"))
    results = run_sweep(path, parallel=2, **_kw(tmp_path))
    assert len(results) == 4
    recs = _records(tmp_path)
    assert [recs[n]["resumed"] for n in range(4)] == [True, True, False, False]


def test_index_runs_one_grid_point(tmp_path, fake_sweep):
    path = fake_sweep(5, 0.0)
    run_sweep(path, index=3, **_kw(tmp_path))
    assert sorted(_records(tmp_path)) == [3]
    with pytest.raises(ValueError, match=r"--index 5 is out of range: the grid has 5 runs \(0..4\)"):
        run_sweep(path, index=5, **_kw(tmp_path))
    r = subprocess.run(
        [sys.executable, "-m", "crossglg", "sweep", "--index", "7", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert r.returncode == 1 and r.stderr.strip() == "error: --index 7 is out of range: the grid has 5 runs (0..4)"


def test_slurm_array_script_runs_its_task(tmp_path, fake_sweep):
    """experiments/slurm/sweep_array.sbatch as SLURM would start array task 2 (run by bash here)."""
    path = fake_sweep(4, 0.0)
    env = dict(os.environ, SLURM_ARRAY_TASK_ID="2", SLURM_SUBMIT_DIR=str(tmp_path), PYTHON=sys.executable)
    script = ROOT / "experiments" / "slurm" / "sweep_array.sbatch"
    r = subprocess.run(["bash", str(script), str(path)], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    records = list((tmp_path / "results" / "fake").glob("*.json"))
    assert [json.loads(p.read_text())["params"]["n"] for p in records] == [2]
    command = (tmp_path / "runs" / "sweeps" / "fake" / records[0].stem / "command.txt").read_text()
    assert "--data.loader.num_workers=8" in command


def test_a_run_held_by_another_invocation_is_left_to_it(tmp_path, fake_sweep):
    path = fake_sweep(3, 0.0)
    sweep = yaml.safe_load(path.read_text())
    held = grid_runs(sweep, "fake", tmp_path / "runs", tmp_path / "records")[1]
    lock = claim(held.root)
    lines = []
    try:
        run_sweep(path, **dict(_kw(tmp_path), log=lines.append))
    finally:
        lock.close()
    assert sorted(_records(tmp_path)) == [0, 2]
    assert any("another invocation runs it" in line for line in lines)


# -- the plan (--dry-run) ----------------------------------------------------------------


def test_wall_time_fills_slots_in_order():
    assert wall_time([1.0] * 8, 2) == 4.0
    assert wall_time([1.0] * 7, 2) == 4.0
    assert wall_time([3.0, 1.0, 1.0, 1.0], 2) == 3.0


def test_steps_per_run():
    cfg = {"data": {"loader": {"batch_size": 32}}, "trainer": {"max_epochs": 10, "max_steps": -1}}
    assert steps_per_run(cfg, 100) == 30  # 3 whole batches an epoch (the last partial one dropped)
    assert steps_per_run(cfg, 20) == 10  # fewer recordings than a batch: one batch an epoch
    assert steps_per_run({**cfg, "trainer": {"max_epochs": 10, "limit_train_batches": 2}}, 100) == 20
    assert steps_per_run({**cfg, "trainer": {"max_epochs": 10, "max_steps": 7}}, 100) == 7
    episodic = {"data": {"loader": {"episodic": True, "episodes_per_epoch": 50}}, "trainer": {"max_epochs": 2}}
    assert steps_per_run(episodic, 10_000) == 100


def test_dry_run_plans_the_smoke_sweep_with_a_stubbed_calibration(tmp_path):
    """The smoke grid: 8 runs in 4 groups (g2l x l2g, 2 seeds each); no cache in the data
    folder, so the training set is the built-in protocol's estimate (16 auxiliary classes x
    36 = 576 recordings, batch 32: 18 steps an epoch, limited to 4, 1 epoch)."""
    extra = [f"--data.data_dir={tmp_path / 'data'}"]
    timed = []

    def timer(w, warmup, steps):
        timed.append((w, warmup, steps))
        return 0.25

    lines = []
    kw = dict(out=tmp_path / "runs", records=tmp_path / "records", extra=extra, timer=timer, log=lines.append)
    plan = plan_sweep(SMOKE, parallel=2, steps=4, warmup=1, **kw)
    text = "\n".join(lines)
    runs = grid_runs(yaml.safe_load(SMOKE.read_text()), "smoke", tmp_path / "runs", tmp_path / "records")
    assert len(runs) == 8 and plan["runs"] == 8 and plan["finished"] == 0
    for run in runs:  # every run, with its command
        assert f"[{run.index}] {run.name}: to run" in text
        assert f"--trainer.default_root_dir={run.root}" in text
    assert "sweep smoke (" in text and "8 runs, 0 already finished, 8 to run" in text
    assert (
        "  builtin_oneshot, 16 auxiliary classes: 576 recordings\n    source: estimated, as there is no cache at"
        in text
    )
    assert "| run group | runs | steps/run | measured s/step | device-hours |" in text
    assert [g["steps_per_run"] for g in plan["groups"]] == [4, 4, 4, 4]
    assert len(timed) == 4 and {(w.batch, w.window, warmup, steps) for w, warmup, steps in timed} == {(32, 16, 1, 4)}
    assert {w.device for w, _, _ in timed} == {"cpu"}
    # cost: steps x measured time per run, summed; wall time over the 2 slots
    assert plan["device_s"] == pytest.approx(8 * 4 * 0.25)
    assert plan["wall_s"] == pytest.approx(8 * 4 * 0.25 / 2)
    # a finished run is counted, and costs nothing
    runs[0].record.parent.mkdir(parents=True)
    runs[0].record.write_text("{}")
    lines.clear()
    plan = plan_sweep(SMOKE, parallel=1, calibrate=True, **kw)
    assert plan["finished"] == 1 and "8 runs, 1 already finished, 7 to run" in lines[0]
    assert f"[0] {runs[0].name}: finished" in "\n".join(lines)
    assert plan["device_s"] == pytest.approx(7 * 4 * 0.25) and plan["wall_s"] == pytest.approx(7 * 4 * 0.25)
    assert "(+1 finished)" in "\n".join(lines)


def test_dry_run_counts_the_prepared_cache(tmp_path):
    """With a prepared cache the training set is counted in its manifest: 10 recordings a
    class of the built-in set, 16 auxiliary classes -> 160, batch 32 -> 5 steps an epoch."""
    cache = tmp_path / "data" / "builtin" / "cache"
    cache.mkdir(parents=True)
    labels = [c for c in range(24) for _ in range(10)]
    (cache / "manifest.json").write_text(json.dumps({"samples": {"label": labels}}))
    extra = [f"--data.data_dir={tmp_path / 'data'}", "--trainer.limit_train_batches=100"]
    lines = []
    plan = plan_sweep(
        SMOKE, tmp_path / "runs", tmp_path / "records", extra=extra, index=0, calibrate=False, log=lines.append
    )
    assert "  builtin_oneshot, 16 auxiliary classes: 160 recordings" in lines
    assert f"    source: counted in the prepared cache {cache}" in lines
    assert plan["groups"][0]["steps_per_run"] == 5 and plan["device_s"] is None


def test_dry_run_calibrates_on_this_machine(tmp_path, capsys):
    """A real calibration (the smoke sweep's tiny network, one group) through the CLI."""
    from crossglg.cli import main

    argv = ["sweep", "--dry-run", "--index", "0", "--calibrate-steps", "2", "--calibrate-warmup", "1"]
    argv += ["--out", str(tmp_path / "runs"), "--records", str(tmp_path / "records"), str(SMOKE)]
    argv += ["--", f"--data.data_dir={tmp_path / 'data'}"]
    with pytest.raises(SystemExit) as done:
        main(argv)
    out = capsys.readouterr().out
    assert done.value.code == 0, out
    assert "sweep smoke (" in out and "1 runs, 0 already finished, 1 to run" in out
    assert "calibration: 1 warm-up + 2 timed training steps" in out
    row = next(line for line in out.splitlines() if line.startswith("| g2l=False,l2g=False |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == "1" and cells[2] == "4" and float(cells[3]) > 0
    assert "total: 1 runs to run" in out


def test_make_reproduce_dry_run_only_plans():
    r = subprocess.run(
        ["make", "-n", "reproduce", "DRY_RUN=1", "PYTHON=python"], capture_output=True, text=True, cwd=ROOT
    )
    assert r.returncode == 0, r.stderr
    sweeps = [line for line in r.stdout.splitlines() if "crossglg sweep" in line]
    assert sweeps and all("--dry-run" in line for line in sweeps)
    assert "ntu120_oneshot.yaml" in sweeps[0] and "tables" not in r.stdout
    r = subprocess.run(["make", "-n", "reproduce", "PYTHON=python"], capture_output=True, text=True, cwd=ROOT)
    lines = [line for line in r.stdout.splitlines() if "crossglg sweep" in line]
    assert "--dry-run" in lines[0] and any("--dry-run" not in line for line in lines[1:])
