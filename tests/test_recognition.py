import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import train_tiny_checkpoint


@pytest.fixture(scope="module")
def other_checkpoint(builtin_cache, tiny_encoder, tmp_path_factory):
    return train_tiny_checkpoint(builtin_cache, tiny_encoder, tmp_path_factory.mktemp("rec1"), seed=1)


def cli(*args):
    return subprocess.run([sys.executable, "-m", "crossglg", *map(str, args)], capture_output=True, text=True)


def test_enroll_recognize_and_errors(checkpoint, other_checkpoint, builtin_cache, tmp_path):
    raw = builtin_cache.path.parent / "raw"
    g = tmp_path / "gallery.json"
    enrolled = {
        "raise right hand": raw / "S001C002P001R001A001.skeleton",
        "clap": raw / "S001C002P001R001A004.skeleton",
        "kick": raw / "S001C002P001R001A010.skeleton",
    }
    for name, f in enrolled.items():
        r = cli("enroll", "--ckpt", checkpoint, "--gallery", g, "--name", name, f)
        assert r.returncode == 0, r.stderr
    r = cli("enroll", "--ckpt", checkpoint, "--gallery", g, "--name", "clap", raw / "S001C001P001R001A004.skeleton")
    data = json.loads(g.read_text())
    assert (
        sorted(data["actions"]) == ["clap", "kick", "raise right hand"] and len(data["actions"]["clap"]["files"]) == 2
    )
    # an enrolled recording is recognised as its own action, at cosine 1 where it is the only example
    r = cli(
        "recognize", "--ckpt", checkpoint, "--gallery", g, "--top", "2", enrolled["raise right hand"], enrolled["kick"]
    )
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert lines[0].startswith(f"{enrolled['raise right hand']}: raise right hand (cosine 1.000); top-2:")
    assert lines[1].startswith(f"{enrolled['kick']}: kick (cosine 1.000); top-2:")
    png = tmp_path / "imp.png"
    r = cli("importance", "--ckpt", checkpoint, "--out", png, raw / "S001C002P001R001A001.skeleton")
    assert r.returncode == 0 and png.stat().st_size > 1000
    bad = tmp_path / "bad.skeleton"
    bad.write_text("3\n1\n")
    r = cli("recognize", "--ckpt", checkpoint, "--gallery", g, bad)
    assert r.returncode == 1 and "bad.skeleton" in r.stderr
    # a gallery of another model (a real second checkpoint) is refused and left as it was
    before = g.read_bytes()
    r = cli("enroll", "--ckpt", other_checkpoint, "--gallery", g, "--name", "x", raw / "S001C002P001R001A001.skeleton")
    assert r.returncode == 1 and "another model" in r.stderr and g.read_bytes() == before


def test_enroll_and_recognize_need_no_text_encoder(checkpoint, builtin_cache, tmp_path):
    """With sentence-transformers impossible to import, enrolling and recognising work."""
    fake = tmp_path / "fake"
    (fake / "sentence_transformers").mkdir(parents=True)
    (fake / "sentence_transformers" / "__init__.py").write_text("raise ImportError('no text encoder here')\n")
    env = dict(os.environ, PYTHONPATH=str(fake))
    raw = builtin_cache.path.parent / "raw"
    g = tmp_path / "g.json"

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "crossglg", *map(str, args)], capture_output=True, text=True, env=env
        )

    check = subprocess.run([sys.executable, "-c", "import sentence_transformers"], env=env, capture_output=True)
    assert check.returncode != 0  # the fake really blocks it
    assert (
        run(
            "enroll", "--ckpt", checkpoint, "--gallery", g, "--name", "clap", raw / "S001C002P001R001A004.skeleton"
        ).returncode
        == 0
    )
    r = run("recognize", "--ckpt", checkpoint, "--gallery", g, raw / "S001C002P001R001A004.skeleton")
    assert r.returncode == 0 and ": clap (cosine 1.000)" in r.stdout, r.stderr


def test_gallery_save_is_atomic(checkpoint, tmp_path, monkeypatch):
    """A failure at the final replace leaves the old gallery byte for byte and no
    temporary file behind."""
    import os

    import numpy as np

    from crossglg.recognition import Gallery

    g = Gallery(tmp_path / "g.json", "f" * 16, 4)
    g.add("wave", ["a.skeleton"], np.ones((1, 4)))
    g.save()
    before = (tmp_path / "g.json").read_bytes()
    g.add("clap", ["b.skeleton"], np.zeros((1, 4)))

    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        g.save()
    assert (tmp_path / "g.json").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["g.json"]


def test_checkpoint_from_the_cli_loads(checkpoint, tmp_path):
    import torch

    from crossglg.models.checkpoint import load_inference_model

    ck = torch.load(checkpoint, weights_only=True)
    ck["hyper_parameters"]["_instantiator"] = "lightning.pytorch.cli.instantiate_module"  # what LightningCLI adds
    torch.save(ck, tmp_path / "cli.ckpt")
    assert load_inference_model(tmp_path / "cli.ckpt").jid is not None
    ck["crossglg_version"] = 99
    torch.save(ck, tmp_path / "future.ckpt")
    with pytest.raises(ValueError, match="checkpoint version 99"):
        load_inference_model(tmp_path / "future.ckpt")


def test_other_checkpoints_get_one_clear_error(checkpoint, builtin_cache, tmp_path):
    """A checkpoint of a pre-release layout (any other `crossglg_version`) and a
    truncated file each get a one-line error naming the file; the task and the
    inference network rebuilt from one checkpoint embed alike."""
    import torch

    from crossglg.models.checkpoint import CheckpointError, load_inference_model, read_checkpoint
    from crossglg.task import load_task

    ck = torch.load(checkpoint, weights_only=True)
    assert ck["crossglg_version"] == 5 and all(k.startswith("net.") for k in ck["state_dict"])
    x = torch.randn(3, 3, 16, 25, 2)
    with torch.no_grad():
        assert torch.equal(load_task(checkpoint).embed(x), load_inference_model(checkpoint).embed(x))
    assert read_checkpoint(checkpoint).data["transform"]["window"] == 16
    torch.save(dict(ck, crossglg_version=3), tmp_path / "v3.ckpt")
    with pytest.raises(CheckpointError, match=r"v3.ckpt: checkpoint version 3, this crossglg reads version 5 only"):
        load_task(tmp_path / "v3.ckpt")
    data = checkpoint.read_bytes()
    (tmp_path / "cut.ckpt").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match=r"cut.ckpt: not a readable crossglg checkpoint") as e:
        load_inference_model(tmp_path / "cut.ckpt")
    assert "\n" not in str(e.value)
    r = cli(
        "recognize",
        "--ckpt",
        tmp_path / "cut.ckpt",
        "--gallery",
        tmp_path / "none.json",
        builtin_cache.path.parent / "raw" / "S001C002P001R001A001.skeleton",
    )
    assert r.returncode == 1 and "no gallery" in r.stderr
    (tmp_path / "g.json").write_text("{}")
    r = cli(
        "recognize",
        "--ckpt",
        tmp_path / "cut.ckpt",
        "--gallery",
        tmp_path / "g.json",
        builtin_cache.path.parent / "raw" / "S001C002P001R001A001.skeleton",
    )
    assert r.returncode == 1 and r.stderr.strip().startswith("error:") and "cut.ckpt: not a readable" in r.stderr
    assert "Traceback" not in r.stderr


def test_recognize_a_directory_of_kinect1_text_with_a_bad_file(checkpoint, builtin_cache, tmp_path):
    """Recordings in another layout (Kinect v1 text, millimetres), given as a glob and
    a directory: enrolled ones are recognised as themselves, results go to CSV and
    JSON, and a bad file among them is named and skipped while the rest are recognised."""
    import csv

    import numpy as np

    from crossglg.data.ntu import read_skeleton_file
    from helpers import write_as

    raw = builtin_cache.path.parent / "raw"
    rec = tmp_path / "kinect"
    rec.mkdir()
    picked = {"wave": "S001C002P001R001A001", "clap": "S001C002P001R001A004", "other": "S001C003P002R002A001"}
    for label, name in picked.items():
        pose = read_skeleton_file(raw / f"{name}.skeleton")[:, :, :, 0].transpose(1, 2, 0)
        a = write_as("kinect1", pose, 1000.0)
        (rec / f"{label}.txt").write_text("\n".join(" ".join(f"{v:.2f}" for v in j) for j in a.reshape(-1, 3)))
    (rec / "broken.txt").write_text("1 2 3\n4 5\n")
    g = tmp_path / "g.json"
    for label in ("wave", "clap"):
        r = cli(
            "enroll",
            "--ckpt",
            checkpoint,
            "--gallery",
            g,
            "--name",
            label,
            "--layout",
            "kinect1",
            str(rec / f"{label}*.txt"),
        )
        assert r.returncode == 0, r.stderr
    r = cli("recognize", "--ckpt", checkpoint, "--gallery", g, "--layout", "kinect1", "--out", tmp_path / "r.csv", rec)
    assert r.returncode == 0, r.stderr
    assert "skipped" in r.stderr and "broken.txt" in r.stderr and "rows of different lengths" in r.stderr
    assert "3 recording(s) recognised, 1 skipped" in r.stdout
    rows = {Path(row["file"]).stem: row for row in csv.DictReader(open(tmp_path / "r.csv"))}
    assert sorted(rows) == ["clap", "other", "wave"]
    assert rows["wave"]["action"] == "wave" and rows["clap"]["action"] == "clap"
    assert float(rows["wave"]["cosine"]) == pytest.approx(1.0, abs=1e-3)
    assert rows["wave"]["top"].startswith("wave:") and "clap:" in rows["wave"]["top"]
    r = cli("recognize", "--ckpt", checkpoint, "--gallery", g, "--layout", "kinect1", "--json", rec / "wave.txt")
    assert json.loads(r.stdout)["action"] == "wave"
    r = cli("importance", "--ckpt", checkpoint, "--layout", "kinect1", "--out", tmp_path / "maps", rec)
    assert r.returncode == 0 and "broken.txt" in r.stderr, r.stderr
    assert sorted(p.name for p in (tmp_path / "maps").iterdir()) == ["clap.png", "other.png", "wave.png"]
    r = cli("recognize", "--ckpt", checkpoint, "--gallery", g, rec / "wave.txt")  # 20 joints: which order?
    assert r.returncode == 1 and "--layout" in r.stderr
    # the same through Python, with arrays and no files
    from crossglg.recognition import Recognizer

    py = Recognizer(checkpoint)
    arrays = {k: np.loadtxt(rec / f"{k}.txt").reshape(-1, 20, 3) for k in ("wave", "clap")}
    for k, a in arrays.items():
        py.enroll(k, [a], layout="kinect1")
    assert [ranked[0][0] for ranked in py.recognize(list(arrays.values()), layout="kinect1")] == ["wave", "clap"]


def test_a_stream_set_serves_as_one_model(checkpoint, other_checkpoint, builtin_cache, tmp_path):
    """Two checkpoints as a set weighted 1 and 3: the fused embedding's cosine is the
    weighted mean of the members' cosines; `enroll`/`recognize` take the folder and the
    gallery records its streams; a gallery of one member refuses the set; `evaluate`
    measures the set and each member on the benchmark it was trained on."""
    import dataclasses

    import numpy as np
    import torch

    from crossglg.data.ntu import read_skeleton_file
    from crossglg.errors import CheckpointError
    from crossglg.models.stream_set import InferenceModel, load_inference_model, member_of, write_stream_set

    folder = write_stream_set(tmp_path / "set", {"a": checkpoint, "b": other_checkpoint}, {"b": 3.0})
    model = load_inference_model(folder)
    assert model.streams == ["joint", "joint"] and model.dim == 2 * model.members[0].net.encoder.out_channels
    raw = builtin_cache.path.parent / "raw"
    x = torch.from_numpy(
        np.stack([model.prepare(read_skeleton_file(raw / f"S001C002P001R001A00{i}.skeleton")) for i in (1, 4)])
    )
    fused, (ea, eb) = model.embed(x), model.embed_members(x)

    def cos(e):
        return torch.nn.functional.cosine_similarity(e[0], e[1], dim=0)

    assert cos(fused).item() == pytest.approx(((cos(ea) + 3 * cos(eb)) / 4).item(), abs=1e-5)
    one = load_inference_model(checkpoint)
    assert torch.equal(one.embed(x[:, :1]), ea) and one.fingerprint() != model.fingerprint()
    with pytest.raises(CheckpointError, match="window or persons"):
        m = member_of(checkpoint)
        m.transform = dataclasses.replace(m.transform, window=8)
        InferenceModel([member_of(other_checkpoint), m], "mixed")

    g = tmp_path / "set.json"
    r = cli("enroll", "--ckpt", folder, "--gallery", g, "--name", "clap", raw / "S001C002P001R001A004.skeleton")
    assert r.returncode == 0, r.stderr
    data = json.loads(g.read_text())
    assert data["streams"] == ["joint", "joint"] and data["dim"] == model.dim
    r = cli("recognize", "--ckpt", folder, "--gallery", g, raw / "S001C002P001R001A004.skeleton")
    assert r.returncode == 0 and ": clap (cosine 1.000)" in r.stdout, r.stderr
    r = cli("recognize", "--ckpt", checkpoint, "--gallery", g, raw / "S001C002P001R001A004.skeleton")
    assert r.returncode == 1 and "streams joint+joint" in r.stderr

    out = tmp_path / "eval" / "set.json"
    r = cli("evaluate", "--ckpt", folder, "--members", "--draws", "20", "--out", out)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("one-shot top-1:") == 3 and "[fused]" in r.stdout and "[a]" in r.stdout
    record = json.loads(out.read_text())
    assert record["queries"] == 280 and set(record["members"]) == {"a", "b"}
    assert (tmp_path / "eval" / "confusion_set.png").is_file()


def test_a_shipped_model_is_verified_and_used_without_ckpt(checkpoint, builtin_cache, tmp_path, monkeypatch):
    """`pretrained.export` makes a slim checkpoint and its card from a finished run; the
    Recognizer and the commands use it when no checkpoint is given, after its SHA-256
    matched; a damaged file is refused with the file named."""
    import crossglg.pretrained as pretrained
    from crossglg.errors import CheckpointError
    from crossglg.recognition import Recognizer

    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "last.ckpt").write_bytes(Path(checkpoint).read_bytes())
    (run / "config.yaml").write_text("data:\n  dataset: builtin\n")
    (run / "result.json").write_text(
        json.dumps({"top1": 0.5, "exemplar_avg_top1": 0.4, "queries": 280, "settings": {"encoder": "x"}, "seed": 0})
    )
    ship = tmp_path / "ship"
    ship.mkdir()
    slim = pretrained.export(run, out_dir=ship)
    assert slim.stat().st_size < Path(checkpoint).stat().st_size  # no optimiser state
    monkeypatch.setattr(pretrained, "HERE", ship)
    assert pretrained.pretrained_checkpoint() == slim and pretrained.info()["result"]["top1"] == 0.5
    raw = builtin_cache.path.parent / "raw" / "S001C002P001R001A004.skeleton"
    rec = Recognizer()
    rec.enroll("clap", [raw])
    assert rec.recognize([raw])[0][0][0] == "clap"
    assert rec.gallery.fingerprint == Recognizer(checkpoint).gallery.fingerprint  # the same weights
    slim.write_bytes(slim.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(CheckpointError, match=r"utdmhad.ckpt: its SHA-256 .* is not the recorded"):
        pretrained.pretrained_checkpoint()
    (ship / "utdmhad.json").unlink()
    with pytest.raises(CheckpointError, match="no shipped model 'utdmhad'"):
        Recognizer()


def test_a_shipped_stream_set_is_evaluated_as_one_model_and_verified_file_by_file(
    checkpoint, other_checkpoint, tmp_path, monkeypatch, capsys
):
    """`pretrained --export joint=RUN bone=RUN` ships a stream set: a folder of slim
    checkpoints and `streams.json`, its card holding every file's SHA-256, the set's own
    one-shot result (the same as `evaluate_model` of the folder) and each run's; a damaged
    member is refused by name, `importance` falls back to the first member, and a later
    single-run export replaces the folder."""
    import argparse

    import crossglg.pretrained as pretrained
    from crossglg.errors import CheckpointError
    from crossglg.eval.fused import evaluate_model
    from crossglg.recognition import Recognizer
    from crossglg.recognition_commands import _pretrained
    from crossglg.settings import EvaluationConfig

    runs = {}
    for stream, ckpt, top1 in (("joint", checkpoint, 0.5), ("bone", other_checkpoint, 0.25)):
        run = runs[stream] = tmp_path / stream
        (run / "checkpoints").mkdir(parents=True)
        (run / "checkpoints" / "last.ckpt").write_bytes(Path(ckpt).read_bytes())
        (run / "config.yaml").write_text("data:\n  dataset: builtin\n")
        result = {"top1": top1, "exemplar_avg_top1": top1, "queries": 280, "settings": {"encoder": "x"}, "seed": 0}
        (run / "result.json").write_text(json.dumps(result))
    ship = tmp_path / "ship"
    r = cli("pretrained", "--export", f"joint={runs['joint']}", f"bone={runs['bone']}", "--out-dir", ship)
    assert r.returncode == 0, r.stderr
    folder = ship / "utdmhad"
    assert sorted(p.name for p in folder.iterdir()) == ["bone.ckpt", "joint.ckpt", "streams.json"]
    assert sorted(p.name for p in ship.iterdir()) == ["utdmhad", "utdmhad.json"]  # no staging left
    card = json.loads((ship / "utdmhad.json").read_text())
    assert card["file"] == "utdmhad" and card["streams"] == ["joint", "bone"]
    assert set(card["sha256"]) == {"bone.ckpt", "joint.ckpt", "streams.json"}
    assert card["members"]["bone"]["top1"] == 0.25
    settings = EvaluationConfig(exemplar_draws=200, calibration_at_test=False, leak_probe=False)
    fused = evaluate_model(folder, settings)["fused"]
    assert card["result"]["top1"] == pytest.approx(fused.top1) and card["result"]["queries"] == fused.num_queries
    monkeypatch.setattr(pretrained, "HERE", ship)
    assert pretrained.pretrained_checkpoint() == folder
    assert Recognizer().model.streams == Recognizer(folder).model.streams and len(Recognizer().model.members) == 2
    _pretrained(argparse.Namespace(export=None, out_dir=None))
    out = capsys.readouterr().out
    assert "joint.ckpt" in out and "bone.ckpt" in out and "verified" in out and "streams joint + bone" in out
    assert "bone alone: top-1 0.250" in out
    bone = folder / "bone.ckpt"
    bone.write_bytes(bone.read_bytes()[:-4] + b"0000")
    with pytest.raises(CheckpointError, match=r"bone.ckpt: its SHA-256 .* is not the recorded"):
        pretrained.pretrained_checkpoint()
    pretrained.export(runs["joint"], out_dir=ship)
    assert sorted(p.name for p in ship.iterdir()) == ["utdmhad.ckpt", "utdmhad.json"]
    assert pretrained.pretrained_checkpoint() == ship / "utdmhad.ckpt"
    with pytest.raises(CheckpointError, match="a stream is named twice"):
        _pretrained(argparse.Namespace(export=["joint=a", "joint=b"], out_dir=ship))


def test_importance_of_a_stream_set_shows_its_first_member(checkpoint, other_checkpoint, builtin_cache, tmp_path):
    """`importance --ckpt SET` plots the first member's JID and says so."""
    from crossglg.models.stream_set import write_stream_set

    folder = write_stream_set(tmp_path / "set", {"joint": checkpoint, "bone": other_checkpoint})
    raw = builtin_cache.path.parent / "raw" / "S001C002P001R001A001.skeleton"
    r = cli("importance", "--ckpt", folder, "--out", tmp_path / "map.png", raw)
    assert r.returncode == 0, r.stderr
    assert "a stream set; the joints its first member (joint.ckpt" in r.stderr
    assert (tmp_path / "map.png").is_file()


def test_fuse_streams_pairs_each_seeds_stream_set_with_its_runs(checkpoint, other_checkpoint, tmp_path):
    """experiments/fuse_streams.py on a stream sweep's records and run folders: a seed with
    both streams gets a record of its set (the joint run's settings, `stream=joint+bone`,
    each member's own result); a set of one checkpoint twice scores as that checkpoint; a
    seed with one stream only is skipped."""
    import shutil

    from crossglg.eval.fused import evaluate_model
    from crossglg.settings import EvaluationConfig

    runs, records = tmp_path / "runs", tmp_path / "results"
    members = {0: {"joint": checkpoint, "bone": other_checkpoint}, 1: {"joint": checkpoint, "bone": checkpoint}}
    members[2] = {"joint": other_checkpoint}
    for seed, by_stream in members.items():
        for stream, ckpt in by_stream.items():
            run = f"seed_everything={seed},data.transform.stream={stream}"
            (runs / "sw" / run / "checkpoints").mkdir(parents=True)
            shutil.copyfile(ckpt, runs / "sw" / run / "checkpoints" / "last.ckpt")
            params = {"seed_everything": seed, "data.transform.stream": stream}
            record = {"stage": "validate", "epoch": 0, "top1": 0.5, "settings": {"encoder": "tiny"}, "params": params}
            (records / "sw").mkdir(parents=True, exist_ok=True)
            (records / "sw" / f"{run}.json").write_text(json.dumps(record))
    script = Path(__file__).parents[1] / "experiments" / "fuse_streams.py"
    cmd = [sys.executable, script, "sw", "--runs", runs, "--records", records, "--draws", "20"]
    r = subprocess.run(list(map(str, cmd)), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "seed 2: no run of bone yet; skipped" in r.stdout
    assert sorted(p.name for p in (records / "sw_fused").iterdir()) == [
        "seed_everything=0,stream=joint+bone.json",
        "seed_everything=1,stream=joint+bone.json",
    ]
    zero = json.loads((records / "sw_fused" / "seed_everything=0,stream=joint+bone.json").read_text())
    assert zero["params"] == {"seed_everything": 0, "data.transform.stream": "joint+bone"}
    assert zero["settings"] == {"encoder": "tiny"} and zero["streams"] == ["joint", "bone"]
    settings = EvaluationConfig(exemplar_draws=20, calibration_at_test=False, leak_probe=False)
    for stream, ckpt in members[0].items():
        (alone,) = evaluate_model(ckpt, settings).values()
        assert zero["members"][stream]["top1"] == pytest.approx(alone.top1)
    one = json.loads((records / "sw_fused" / "seed_everything=1,stream=joint+bone.json").read_text())
    assert one["members"]["joint"]["top1"] == pytest.approx(zero["members"]["joint"]["top1"])
    # The same cosines up to float rounding: a near-tie of this barely trained model may flip one query.
    assert abs(one["top1"] - one["members"]["joint"]["top1"]) <= 1 / one["queries"] + 1e-9
    # Run again: the sets with records are kept as they are; --again evaluates them anew.
    kept = records / "sw_fused" / "seed_everything=1,stream=joint+bone.json"
    kept.write_text(json.dumps(dict(one, top1=-1.0)))
    r = subprocess.run(list(map(str, cmd)), capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.count("exists; kept") == 2, r.stdout + r.stderr
    assert json.loads(kept.read_text())["top1"] == -1.0
    r = subprocess.run(list(map(str, [*cmd, "--again"])), capture_output=True, text=True)
    assert r.returncode == 0 and json.loads(kept.read_text())["top1"] == pytest.approx(one["top1"])


def test_fuse_streams_from_one_sweep_per_stream_keeps_each_method_apart(checkpoint, other_checkpoint, tmp_path):
    """`joint=SWEEP bone=SWEEP`: runs pair by seed and by their other parameters (plain and
    CrossGLG each get their own set, named after the joint run); the rows of `tables` name
    the stream beside the method."""
    import shutil

    from crossglg.results.records import rows

    runs, records = tmp_path / "runs", tmp_path / "results"
    ckpts = {"plain": checkpoint, "crossglg": other_checkpoint}
    for sweep, stream in (("sj", None), ("sb", "bone")):
        for method, ckpt in ckpts.items():
            run = f"seed_everything=3,config={method}"
            (runs / sweep / run / "checkpoints").mkdir(parents=True)
            shutil.copyfile(ckpt, runs / sweep / run / "checkpoints" / "last.ckpt")
            params = {"seed_everything": 3, "config": f"configs/methods/{method}.yaml"}
            if stream:
                params["data.transform.stream"] = stream
            record = {"stage": "validate", "epoch": 0, "top1": 0.5, "settings": {"encoder": "tiny"}, "params": params}
            (records / sweep).mkdir(parents=True, exist_ok=True)
            (records / sweep / f"{run}.json").write_text(json.dumps(record))
    script = Path(__file__).parents[1] / "experiments" / "fuse_streams.py"
    cmd = [sys.executable, script, "joint=sj", "bone=sb", "--name", "st", "--runs", runs, "--records", records]
    r = subprocess.run(list(map(str, [*cmd, "--draws", "10"])), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (records / "st").iterdir()) == [
        "seed_everything=3,config=crossglg,stream=joint+bone.json",
        "seed_everything=3,config=plain,stream=joint+bone.json",
    ]
    plain = json.loads((records / "st" / "seed_everything=3,config=plain,stream=joint+bone.json").read_text())
    assert plain["member_runs"] == {
        "joint": "sj/seed_everything=3,config=plain",
        "bone": "sb/seed_everything=3,config=plain",
    }
    # plain's members are one checkpoint twice: the set scores as it, up to a near-tie
    assert plain["members"]["joint"]["top1"] == pytest.approx(plain["members"]["bone"]["top1"])
    assert abs(plain["top1"] - plain["members"]["joint"]["top1"]) <= 1 / plain["queries"] + 1e-9
    assert sorted(rows([records / "sj", records / "sb", records / "st"])) == [
        "crossglg",
        "crossglg,stream=bone",
        "crossglg,stream=joint+bone",
        "plain",
        "plain,stream=bone",
        "plain,stream=joint+bone",
    ]
