"""The shipped configs: every benchmark setting composes with every method and encoder
overlay into the values the paper's protocol asks for; the CLI routes outputs and
logs the config."""

import csv
import json
import os
from pathlib import Path

import numpy as np
import pytest
import yaml

from crossglg.train import run_lightning_cli
from helpers import TINY_ARG

CONFIGS = Path(__file__).parent.parent / "configs"

# setting file -> (dataset, aux classes, run folder)
SETTINGS = {
    "ntu120.yaml": ("ntu120", None, "runs/ntu120"),
    "ntu60.yaml": ("ntu60", None, "runs/ntu60"),
    "pkummd2.yaml": ("pkummd2", None, "runs/pkummd2"),
    "utdmhad.yaml": ("utdmhad", None, "runs/utdmhad"),
    "demo.yaml": ("builtin", None, "runs/demo"),
    "composed.yaml": ("composed", None, "runs/composed"),
}
METHODS = {
    "plain": (False, False, False),
    "g2l": (True, False, False),
    "l2g": (False, True, False),
    "crossglg": (True, True, False),
    "distill": (True, True, True),
}


def resolved(capsys, *configs: str) -> dict:
    args = ["fit"]
    for c in configs:
        args += ["--config", str(CONFIGS / c)]
    with pytest.raises(SystemExit) as e:
        run_lightning_cli(args + ["--print_config"])
    assert e.value.code in (0, None)
    return yaml.safe_load(capsys.readouterr().out)


def test_bad_command_lines_get_one_line_errors(tmp_path, capsys):
    """A flag typo is an error (never an abbreviation of another flag), and so are a
    config file that does not exist and one with settings the model does not have;
    each says what is wrong without the hundred lines of usage."""
    with pytest.raises(SystemExit) as e:
        run_lightning_cli(["fit", "--config", str(CONFIGS / "demo.yaml"), "--trainer.max_epoch", "1", "--print_config"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "unrecognized arguments: --trainer.max_epoch 1" in err and len(err.splitlines()) <= 3
    with pytest.raises(SystemExit, match=f"error: {tmp_path / 'nope.yaml'}: no such config file"):
        run_lightning_cli(["fit", "--config", str(tmp_path / "nope.yaml")])
    old = tmp_path / "old.yaml"
    old.write_text("model:\n  lr: 0.02\n")
    with pytest.raises(SystemExit):
        run_lightning_cli(["fit", "--config", str(CONFIGS / "demo.yaml"), "--config", str(old), "--print_config"])
    err = capsys.readouterr().err
    assert "error: Group 'model' does not accept option 'lr'" in err and len(err.splitlines()) <= 3


def test_every_config_file_is_covered():
    files = {str(p.relative_to(CONFIGS)) for p in CONFIGS.rglob("*.yaml")}
    overlays = {f"methods/{m}.yaml" for m in METHODS} | {"encoders/infogcn.yaml", "encoders/stgcn.yaml"}
    overlays |= {
        "methods/crossglg_residual.yaml",
        "methods/crossglg_jid_ramp.yaml",
        "text/utdmhad_templated.yaml",
        "text/utdmhad_purls.yaml",
        "encoders/infogcn_lite.yaml",
        "encoders/ctrgcn.yaml",
        "schedules/long.yaml",
    }
    assert files == set(SETTINGS) | overlays | {"paper.yaml", "cpu.yaml"}


def test_paper_configs_use_the_faithful_infogcn(capsys):
    for setting in ("ntu120.yaml", "ntu60.yaml", "pkummd2.yaml"):
        assert resolved(capsys, setting)["model"]["encoder"]["name"] == "infogcn"
    assert resolved(capsys, "demo.yaml")["model"]["encoder"]["name"] == "infogcn_lite"
    assert resolved(capsys, "utdmhad.yaml")["model"]["encoder"]["name"] == "ctrgcn"  # the validation split's choice
    cfg = resolved(capsys, "utdmhad.yaml", "encoders/infogcn.yaml")
    assert cfg["model"]["encoder"]["name"] == "infogcn" and cfg["data"]["persons"] == 1


def test_text_guidance_overlays(capsys):
    cfg = resolved(capsys, "utdmhad.yaml", "methods/crossglg.yaml", "text/utdmhad_templated.yaml")
    g = cfg["model"]["guidance"]
    assert (g["g2l"], g["l2g"], g["fusion"], g["text_swap"]) == (True, True, "gathered", 0.5)
    assert (CONFIGS.parent / cfg["model"]["text"]["descriptions"]).is_file()
    assert resolved(capsys, "utdmhad.yaml", "text/utdmhad_purls.yaml")["model"]["text"]["descriptions"].endswith(
        ".json"
    )
    ramp = resolved(capsys, "utdmhad.yaml", "methods/crossglg_jid_ramp.yaml")["model"]["guidance"]
    assert (ramp["fusion"], ramp["text_swap"], ramp["jid_ramp_epochs"]) == ("gathered", 0.5, 5)
    assert resolved(capsys, "utdmhad.yaml")["model"]["guidance"]["jid_ramp_epochs"] == 0


def test_long_schedule_doubles_the_budget_at_the_same_fractions(capsys):
    short, long = resolved(capsys, "utdmhad.yaml"), resolved(capsys, "utdmhad.yaml", "schedules/long.yaml")
    assert (short["trainer"]["max_epochs"], short["model"]["optimiser"]["milestones"]) == (15, [11, 14])
    assert (long["trainer"]["max_epochs"], long["model"]["optimiser"]["milestones"]) == (30, [22, 28])
    assert long["trainer"]["check_val_every_n_epoch"] == 1
    assert long["model"]["optimiser"]["lr"] == short["model"]["optimiser"]["lr"]


@pytest.mark.parametrize("setting", sorted(SETTINGS))
def test_setting_resolves(setting, capsys):
    dataset, aux, root = SETTINGS[setting]
    cfg = resolved(capsys, setting)
    assert cfg["data"]["dataset"] == dataset and cfg["data"]["num_aux_classes"] == aux
    assert cfg["trainer"]["default_root_dir"] == root
    assert cfg["trainer"]["logger"]["class_path"].endswith("WandbLogger")
    assert cfg["model"]["guidance"]["g2l"] and cfg["model"]["guidance"]["l2g"]
    # last.ckpt after every epoch, not only after the (rare) validations: a crash loses one epoch at most
    (ckpt,) = [c for c in cfg["trainer"]["callbacks"] if c["class_path"].endswith("ModelCheckpoint")]
    assert ckpt["init_args"]["save_last"] and ckpt["init_args"]["save_on_train_epoch_end"]
    if dataset in ("ntu120", "ntu60", "pkummd2"):  # InfoGCN's recipe, through paper.yaml
        m, t, d = cfg["model"], cfg["trainer"], cfg["data"]
        o, g = m["optimiser"], m["guidance"]
        assert (t["max_epochs"], t["precision"], o["lr"], o["warmup_epochs"], o["milestones"]) == (
            110,
            "bf16-mixed",
            0.1,
            5,
            [90, 100],
        )
        assert (
            o["weight_decay"],
            m["classifier"]["label_smoothing"],
            g["w_cal"],
            g["w_c"],
            d["loader"]["batch_size"],
            d["transform"]["window"],
        ) == (0.0005, 0.1, 0.5, 0.2, 64, 64)


@pytest.mark.parametrize("method", sorted(METHODS))
@pytest.mark.parametrize("setting", ["ntu120.yaml", "ntu60.yaml", "utdmhad.yaml"])
def test_method_overlays(setting, method, capsys):
    cfg = resolved(capsys, setting, f"methods/{method}.yaml", "encoders/stgcn.yaml")
    g2l, l2g, distill = METHODS[method]
    g = cfg["model"]["guidance"]
    assert (g["g2l"], g["l2g"], cfg["model"]["encoder"]["name"]) == (g2l, l2g, "stgcn")
    callbacks = [c["class_path"].rsplit(".", 1)[-1] for c in cfg["trainer"]["callbacks"]]
    assert callbacks == ["ModelCheckpoint"] + (["Distillation"] if distill else [])  # appended, not replaced
    assert cfg["data"]["dataset"] == SETTINGS[setting][0] and cfg["data"]["num_aux_classes"] == SETTINGS[setting][1]


def test_fit_then_predict_through_the_cli(builtin_cache, tmp_path, capsys):
    """A CLI run puts checkpoints, config and plots under its root and logs the whole
    config (not only the model's hyperparameters) to its logger; `predict` on its
    checkpoint writes per-sample predictions that agree with the validation result."""
    root = tmp_path / "run"
    common = [
        "--config",
        str(CONFIGS / "demo.yaml"),
        "--config",
        str(CONFIGS / "methods/g2l.yaml"),
        f"--data.data_dir={builtin_cache.path.parent.parent}",
        "--data.transform.window=16",
        TINY_ARG,
        "--model.guidance.jid_hidden=8",
        f"--trainer.default_root_dir={root}",
        "--trainer.enable_progress_bar=false",
    ]
    run_lightning_cli(
        [
            "fit",
            *common,
            "--trainer.max_epochs=1",
            "--trainer.limit_train_batches=2",
            "--trainer.log_every_n_steps=1",
            "--trainer.check_val_every_n_epoch=1",
            "--trainer.logger=lightning.pytorch.loggers.CSVLogger",
            f"--trainer.logger.save_dir={root}",
        ]
    )
    assert "one-shot top-1" in capsys.readouterr().out
    assert (root / "checkpoints" / "last.ckpt").is_file()
    log_dir = root / "lightning_logs" / "version_0"
    hparams = yaml.safe_load((log_dir / "hparams.yaml").read_text())
    assert hparams["cli/data/dataset"] == "builtin" and hparams["cli/model/guidance/l2g"] is False
    assert hparams["cli/trainer/max_epochs"] == 1 and hparams["cli/seed_everything"] == 0
    assert (log_dir / "config.yaml").is_file()
    # the run's one record, its plots beside it
    assert (root / "confusion.png").is_file() and (root / "joint_importance.png").is_file()
    assert not list(root.rglob("oneshot_*.json"))
    validated = json.loads((root / "result.json").read_text())  # every run writes it: settings, numbers, seed, commit
    assert validated["floor"] is not None and validated["seed"] == 0 and validated["commit"]
    assert validated["settings"]["g2l"] is True and validated["settings"]["l2g"] is False
    assert validated["settings"]["data_seed"] == 0 and validated["epoch"] == 0 and validated["queries"] == 280
    assert validated["wall_s"] > 0 and validated["machine"]["threads"] >= 1

    # predict: the same checkpoint, every evaluation sample embedded and matched to its nearest exemplar
    run_lightning_cli(
        ["predict", *common, "--trainer.logger=false", f"--ckpt_path={root / 'checkpoints' / 'last.ckpt'}"]
    )
    rows = list(csv.DictReader(open(root / "predictions.csv")))
    queries = [r for r in rows if r["role"] == "query"]
    assert len(queries) == validated["queries"] and sum(r["role"] == "exemplar" for r in rows) == validated["classes"]
    assert sum(int(r["correct"]) for r in queries) / len(queries) == pytest.approx(validated["top1"], abs=1e-6)
    # each row's prediction is its nearest exemplar by cosine in the written embeddings
    emb = np.load(root / "embeddings.npy")
    assert emb.shape == (len(rows), 16) and rows[0]["sample"] == "S001C002P001R001A001"
    unit = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    ex_rows = [i for i, r in enumerate(rows) if r["role"] == "exemplar"]
    sims = unit @ unit[ex_rows].T  # (N, classes), exemplar j is class rows[ex_rows[j]]["true"]
    column = {rows[i]["true"]: j for j, i in enumerate(ex_rows)}
    chosen = np.array([sims[i, column[r["predicted"]]] for i, r in enumerate(rows)])
    assert np.all(chosen >= sims.max(1) - 1e-5)  # the predicted class is the nearest (up to float ties)
    assert np.allclose(chosen, [float(r["similarity"]) for r in rows], atol=1e-4)


def test_model_info_reads_layered_configs(capsys):
    from crossglg.cli import main

    def info(*configs, overrides=()):
        args = ["model-info", "--json"] + [x for c in configs for x in ("--config", str(CONFIGS / c))] + list(overrides)
        with pytest.raises(SystemExit) as e:
            main(args)
        assert e.value.code == 0
        return json.loads(capsys.readouterr().out)

    full = info("ntu120.yaml")  # 100 auxiliary classes, both guidances, through paper.yaml
    assert (full["encoder_params"], full["jid_params"]) == (1344011, 33281)  # the faithful InfoGCN
    assert full["classifier_params"] == 256 * 256 + 256 + 256 * 100 + 100
    plain = info("ntu120.yaml", "methods/plain.yaml", overrides=["--data.num_aux_classes=20"])
    assert (plain["jid_params"], plain["interaction_params"]) == (0, 0)
    assert plain["classifier_params"] == 256 * 256 + 256 + 256 * 20 + 20
    assert plain["inference_params"] == full["encoder_params"]
    ctr = info("utdmhad.yaml")  # CTR-GCN: its layers iterate over a parameter (the adjacency)
    assert ctr["encoder"] == "ctrgcn" and ctr["gflops_per_sample"] > 0


def test_wandb_is_offline_without_a_key(monkeypatch, tmp_path):
    from crossglg.train import default_wandb_mode

    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.netrc
    monkeypatch.delenv("NETRC", raising=False)
    for env, expected in [
        ({}, "offline"),
        ({"WANDB_API_KEY": "k" * 40}, None),
        ({"WANDB_MODE": "disabled"}, "disabled"),
    ]:
        monkeypatch.delenv("WANDB_MODE", raising=False)
        monkeypatch.delenv("WANDB_API_KEY", raising=False)
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        default_wandb_mode()
        assert os.environ.get("WANDB_MODE") == expected
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    (tmp_path / ".netrc").write_text("machine api.wandb.ai\n  login user\n  password " + "k" * 40 + "\n")
    (tmp_path / ".netrc").chmod(0o600)
    default_wandb_mode()  # `wandb login` wrote a key: online
    assert "WANDB_MODE" not in os.environ


def test_building_a_config_loads_no_encoder_and_prepares_no_data(monkeypatch, tmp_path):
    """Building a config's model, data and trainer reads no data and loads no sentence
    model: the task builds its network when it meets its data (its sizes are the
    protocol's auxiliary classes and the text's width, see test_text)."""
    import crossglg.data.datamodule as datamodule
    import crossglg.text.embeddings as embeddings

    monkeypatch.setattr(embeddings, "load_encoder", lambda *a, **k: pytest.fail("sentence model loaded"))
    monkeypatch.setattr(datamodule, "ensure_cache", lambda *a, **k: pytest.fail("data prepared"))
    cli = run_lightning_cli(
        [
            "--config",
            str(CONFIGS / "utdmhad.yaml"),
            "--trainer.logger",
            "false",
            "--trainer.default_root_dir",
            str(tmp_path),
            "--data.num_aux_classes",
            "12",
        ],
        run=False,
    )
    assert cli.model.net is None and "num_classes" not in cli.model.hparams
    assert cli.datamodule.cache is None and cli.datamodule.count_aux_classes() == 12
