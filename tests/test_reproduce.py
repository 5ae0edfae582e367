import csv
import json
import subprocess
import sys

from crossglg.sweep import expand, run_args, slug


def test_grid_expansion_and_args():
    grid = expand({"method": "grid", "parameters": {"config": {"value": "configs/demo.yaml"},
                                                   "model.g2l": {"values": [False, True]}, "seed_everything": {"values": [0, 1, 2]}}})
    assert len(grid) == 6 and grid[0] == {"config": "configs/demo.yaml", "model.g2l": False, "seed_everything": 0}
    assert run_args(grid[1], "r")[:4] == ["fit", "--config=configs/demo.yaml", "--model.g2l=false", "--seed_everything=1"]
    assert slug(grid[1]) == "config=demo,g2l=False,seed_everything=1"


def test_reproduce_smoke_writes_tables(builtin_cache, tmp_path):
    data_dir = builtin_cache.path.parent.parent
    cmd = ["make", "reproduce-smoke", f"PYTHON={sys.executable}", f"DATA={data_dir}", f"OUT={tmp_path}"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    rows = list(csv.DictReader(open(tmp_path / "tables.csv")))
    assert {row["method"] for row in rows} == {"plain encoder", "G2L only", "L2G only", "CrossGLG"}
    assert all(row["seeds"] == "2" and 0 <= float(row["ours_mean"]) <= 100 for row in rows)
    md = (tmp_path / "tables.md").read_text()
    assert "## smoke" in md and "Floor (raw coordinates" in md
    # a second run skips the finished runs
    r2 = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert "8 already finished, 0 to run" in r2.stdout
    assert len(list((tmp_path / "sweeps" / "smoke").glob("*/result.json"))) == 8
    json.loads(next((tmp_path / "sweeps" / "smoke").glob("*/result.json")).read_text())
