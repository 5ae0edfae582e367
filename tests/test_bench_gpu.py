"""experiments/bench_gpu.py, the GPU benchmark, as a CPU smoke test at tiny sizes: every
option it can run without a compiler, a failing option that leaves the others, its
table and its JSON record."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
# One torch thread: tiny steps gain nothing from more, and on a CPU shared with other work
# OpenMP's threads wait on each other (a tiny step then takes seconds)
ONE_THREAD = dict(os.environ, OMP_NUM_THREADS="1")


def test_bench_gpu_runs_on_cpu_at_tiny_sizes(tmp_path):
    out = tmp_path / "bench.json"
    cmd = [sys.executable, str(ROOT / "experiments" / "bench_gpu.py"), "--device", "cpu", "--quick"]
    cmd += ["--batch", "4", "--window", "8", "--widths", "8", "8", "8", "16", "16", "16", "16", "16", "16"]
    cmd += ["--classes", "10", "--text-dim", "16", "--batches", "8", "--procs", "2", "--proc-seconds", "1"]
    cmd += ["--warmup", "1", "--steps", "2", "--out", str(out)]
    cmd += ["--options", "fp32", "bf16", "sdpa-math", "nosync", "batch", "procs", "inference"]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600, env=ONE_THREAD)
    assert r.returncode == 0, r.stdout + r.stderr[-3000:]
    record = json.loads(out.read_text())
    rows = {row["option"]: row for row in record["rows"]}
    assert list(rows) == [
        "fp32",
        "bf16",
        "sdpa-math",
        "nosync",
        "bf16, batch 8 (lr x2)",
        "2 process(es) on one device (bf16, batch 4)",
        "inference",
    ]
    assert all("error" not in row and row["samples_per_s"] > 0 for row in rows.values()), rows
    assert rows["bf16, batch 8 (lr x2)"]["lr"] == 2 * rows["fp32"]["lr"]
    assert len(rows["2 process(es) on one device (bf16, batch 4)"]["per_proc"]) == 2
    assert rows["inference"]["inference_ratio"] > 0
    # the grid: 120 runs x the recipe's 110 epochs, projected from each option's rate
    assert record["grid"]["runs"] == 120 and record["grid"]["epochs"] == 110
    assert rows["fp32"]["grid_hours"] > 0
    table = r.stdout
    assert "| option | samples/s | vs fp32 | peak GPU MiB | NTU-120 grid, hours on one GPU | note |" in table
    assert "| fp32 |" in table and "SA-GC: n/a without a code change" in table


def test_bench_gpu_one_failing_option_leaves_the_others(tmp_path):
    """An option that fails (here a batch of 0) is a row with its error; the options
    before and after it are measured, and the script ends normally."""
    cmd = [sys.executable, str(ROOT / "experiments" / "bench_gpu.py"), "--device", "cpu", "--quick"]
    cmd += [
        "--config",
        "none",
        "--batch",
        "2",
        "--window",
        "8",
        "--widths",
        "8",
        "8",
        "8",
        "8",
        "8",
        "8",
        "8",
        "8",
        "8",
    ]
    cmd += ["--classes", "4", "--text-dim", "8", "--warmup", "0", "--steps", "1", "--batches", "0", "4"]
    cmd += ["--options", "fp32", "batch", "nosync"]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=300, env=ONE_THREAD)
    assert r.returncode == 0, r.stderr[-3000:]
    rows = {line.split("|")[1].strip(): line for line in r.stdout.splitlines() if line.startswith("| ")}
    assert "ZeroDivisionError" in rows["bf16, batch 0 (lr x0)"]
    for option in ("fp32", "bf16, batch 4 (lr x2)", "nosync"):
        assert float(rows[option].split("|")[2].replace(",", "")) > 0, rows[option]
