import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from crossglg.sweep import command_for, expand, slug, varying_keys

SWEEPS = Path(__file__).parent.parent / "experiments" / "sweeps"


def test_grid_expansion_and_command(tmp_path):
    sweep = {
        "method": "grid",
        "command": ["python", "-m", "crossglg", "fit", "${args}", "--config", "m.yaml"],
        "parameters": {
            "config": {"value": "configs/demo.yaml"},
            "model.g2l": {"values": [False, True]},
            "seed_everything": {"values": [0, 1, 2]},
        },
    }
    grid = expand(sweep)
    assert len(grid) == 6 and grid[0] == {"config": "configs/demo.yaml", "model.g2l": False, "seed_everything": 0}
    cmd = command_for(sweep, grid[1], tmp_path)
    assert cmd[:8] == [
        sys.executable,
        "-m",
        "crossglg",
        "fit",
        "--config=configs/demo.yaml",
        "--model.g2l=false",
        "--seed_everything=1",
        "--config",
    ]
    assert cmd[8:] == ["m.yaml", f"--trainer.default_root_dir={tmp_path}", "--trainer.enable_progress_bar=false"]
    assert slug(grid[1]) == "config=demo,g2l=False,seed_everything=1"
    assert slug(grid[1], varying_keys(sweep)) == "g2l=False,seed_everything=1"
    assert slug({"seed_everything": 0, "data.seed": 3}) == "seed_everything=0,data_seed=3"
    # an interrupted run resumes from its last checkpoint
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "last.ckpt").write_bytes(b"")
    assert command_for(sweep, grid[1], tmp_path)[-1] == f"--ckpt_path={tmp_path / 'checkpoints' / 'last.ckpt'}"
    with pytest.raises(ValueError, match="args_json"):
        command_for({"command": ["${args_json}"]}, grid[0], tmp_path)


@pytest.mark.parametrize("path", sorted(SWEEPS.glob("*.yaml")), ids=lambda p: p.stem)
def test_sweep_files_name_existing_configs(path):
    sweep = yaml.safe_load(path.read_text())
    root = Path(__file__).parent.parent
    grid = expand(sweep)
    assert grid and sweep["metric"]["name"] in ("validate/oneshot_top1", "validate/exemplar_avg_top1")
    for params in grid:
        for part in command_for(sweep, params, Path("r")):
            if part.startswith("--config="):
                assert (root / part.split("=", 1)[1]).is_file(), part
        cmd = sweep["command"]
        for i, part in enumerate(cmd[:-1]):
            if part == "--config":
                assert (root / cmd[i + 1]).is_file()


def test_reproduce_smoke_writes_tables(builtin_cache, tmp_path):
    data_dir = builtin_cache.path.parent.parent
    cmd = ["make", "reproduce-smoke", f"PYTHON={sys.executable}", f"DATA={data_dir}", f"OUT={tmp_path}"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    rows = list(csv.DictReader(open(tmp_path / "benchmarks.csv")))
    assert {row["method"] for row in rows} == {"plain encoder", "G2L only", "L2G only", "CrossGLG"}
    assert all(row["seeds"] == "2" and 0 <= float(row["ours_mean"]) <= 100 for row in rows)
    assert "## builtin_oneshot" in r.stdout and "Floor (raw coordinates" in r.stdout
    # every run logged to wandb (offline here), grouped by the sweep, with its config and plots
    runs = sorted((tmp_path / "sweeps" / "smoke").glob("*/wandb/offline-run-*/run-*.wandb"))
    assert len(runs) == 8
    record = runs[0].read_bytes()
    assert b"smoke" in record and b"cli/model/guidance/g2l" in record and b"validate/oneshot_top1" in record
    assert list(runs[0].parent.glob("files/media/images/validate/confusion_*.png"))
    # a second run skips the finished runs
    r2 = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert "8 already finished, 0 to run" in r2.stdout
    assert len(list((tmp_path / "sweeps" / "smoke").glob("*/result.json"))) == 8
    records = sorted((tmp_path / "records" / "smoke").glob("*.json"))  # one record per run, beside the run folders
    assert len(records) == 8
    rec = json.loads(records[0].read_text())
    assert rec["params"]["seed_everything"] in (0, 1) and rec["epoch"] == rec["settings"]["max_epochs"] - 1
    assert rec == json.loads((tmp_path / "sweeps" / "smoke" / records[0].stem / "result.json").read_text())


def test_tables_count_a_run_repeated_in_two_sweeps_once(tmp_path):
    """The benchmark tables group every sweep's records by setting; the same setting at
    the same (seed, data order) in two sweeps is one run repeated, so it counts once, at its mean."""
    from crossglg.results.tables import all_records, benchmark_groups

    def run(sweep, name, seed, data_seed, top1, jid_ramp_epochs=0.0):
        folder = tmp_path / sweep
        folder.mkdir(exist_ok=True)
        settings = {
            "dataset": "utdmhad",
            "aux_classes": None,
            "encoder": "infogcn",
            "g2l": True,
            "l2g": True,
            "fusion": "gathered",
            "text_swap": 0.5,
            "descriptions": None,
            "protocol": "utdmhad_val",
            "distill": False,
            "seed": seed,
            "max_epochs": 15,
            "jid_ramp_epochs": jid_ramp_epochs,
            "data_seed": data_seed,
        }
        (folder / f"{name}.json").write_text(json.dumps({"top1": top1, "floor": 0.5, "settings": settings}))

    run("val", "s0", 0, 0, 0.70)
    run("val", "s1", 1, 0, 0.80)
    run("val", "r0", 0, 0, 0.30, jid_ramp_epochs=3)  # another method at the same seed
    run("val_data_order", "d0", 0, 0, 0.60)  # a repeat of val's seed 0
    run("val_data_order", "d1", 0, 1, 0.90)  # another data order: a run of its own
    groups, floors = benchmark_groups(all_records(tmp_path))
    assert sorted(groups) == [
        ("utdmhad_val", "infogcn", "CrossGLG", "all"),
        ("utdmhad_val", "infogcn", "CrossGLG (JID ramp 3 epochs)", "all"),
    ]
    values = groups["utdmhad_val", "infogcn", "CrossGLG", "all"]
    assert sorted(round(v, 6) for v in values) == [65.0, 80.0, 90.0]
    assert groups["utdmhad_val", "infogcn", "CrossGLG (JID ramp 3 epochs)", "all"] == [30.0]
    assert floors["utdmhad_val"] == [50.0] * 5


def test_rehearsal_runs_the_ntu120_path_end_to_end(tmp_path):
    """`make rehearsal` at two recordings per class (the exemplar and one query): the NTU-120 stand-in's .skeleton files,
    `prepare ntu120`, the rehearsal grid (plain and CrossGLG at 20 and 100 auxiliary classes,
    through configs/ntu120.yaml and the official protocol), and the benchmark tables."""
    cmd = ["make", "rehearsal", f"PYTHON={sys.executable}", f"REHEARSAL={tmp_path}", "REHEARSAL_PER_CLASS=2"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    raw = sorted((tmp_path / "raw").glob("*.skeleton"))
    assert len(raw) >= 2 * 120 - 10 and "S018C003P008R001A061.skeleton" in {p.name for p in raw}
    records = sorted((tmp_path / "records" / "ntu120_rehearsal").glob("*.json"))
    assert len(records) == 4
    aux = {json.loads(p.read_text())["settings"]["num_aux_classes"] for p in records}
    assert aux == {20, 100}
    rows = list(csv.DictReader(open(tmp_path / "benchmarks.csv")))
    assert {row["method"] for row in rows} == {"plain encoder", "CrossGLG"}
    assert "ntu120_oneshot" in r.stdout
