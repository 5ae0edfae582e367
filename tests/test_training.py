import lightning as L
import pytest
import torch

from crossglg.errors import CheckpointError
from crossglg.models.checkpoint import load_inference_model
from crossglg.task import load_task
from helpers import tiny_datamodule, tiny_task, tiny_trainer


def datamodule(cache, **kw):
    return tiny_datamodule(cache, eval_batch_size=50, **kw)


def model(dm, encoder, tmp_path, **guidance):
    return tiny_task(
        dm,
        encoder,
        tmp_path / "emb",
        guidance=guidance,
        optimiser=dict(lr=0.05, warmup_epochs=1),
        evaluation=dict(episodes=20, calibration_at_test=False),
    )


def trainer(tmp_path, **kw):
    args = dict(max_epochs=1, limit_train_batches=3, num_sanity_val_steps=0)
    args.update(kw)
    return tiny_trainer(tmp_path, **args)


def test_fit_then_inference_touches_no_text(builtin_cache, tiny_encoder, tmp_path, monkeypatch):
    dm = datamodule(builtin_cache)
    m = model(dm, tiny_encoder, tmp_path)
    t = trainer(tmp_path, callbacks=[L.pytorch.callbacks.ModelCheckpoint(dirpath=tmp_path / "ck", save_last=True)])
    t.fit(m, dm)
    assert "validate" in m.results and m.results["validate"].num_queries == 280
    # inference from the checkpoint: no text, no encoder, no interaction branch
    import crossglg.text.embeddings as emb

    monkeypatch.setattr(emb, "load_encoder", lambda *a, **k: pytest.fail("text encoder loaded at inference"))
    import crossglg.task
    import crossglg.text.features as features

    monkeypatch.setattr(crossglg.task.CrossGLGTask, "text_features", lambda *a, **k: pytest.fail("text features used"))
    monkeypatch.setattr(features, "class_text_features", lambda *a, **k: pytest.fail("text features used"))
    inf = load_task(tmp_path / "ck" / "last.ckpt")
    inf.net.interaction.register_forward_hook(lambda *a: pytest.fail("cross-modal branch ran at inference"))
    assert inf.joint_text is None and inf.k_gt is None
    dm2 = datamodule(builtin_cache)
    t2 = trainer(tmp_path)
    t2.test(inf, dm2)
    res = inf.results["test"]
    assert res.num_queries == 280 and 0 <= res.top1 <= 1 and res.episode_mean is not None
    assert res.importance.shape == (res.num_classes, 25) and res.class_names and res.final
    x = next(iter(dm2.val_dataloader()))["x"]
    with torch.no_grad():
        assert torch.allclose(inf.embed(x), m.eval().embed(x), atol=1e-5)
        assert torch.allclose(load_inference_model(tmp_path / "ck" / "last.ckpt").embed(x), inf.embed(x))


def test_cli_resume_across_a_milestone_restores_lr_momentum_and_weights(builtin_cache, tmp_path):
    """`fit --ckpt_path` through the CLI: 2 epochs, then resume to 3. The milestone at
    epoch 2 divides the learning rate by 10, so a resume that dropped the scheduler
    would start again at 0.05; the momentum buffers and the weights must be the
    checkpoint's when the resumed epoch starts."""
    import helpers
    from crossglg.train import run_lightning_cli

    root = tmp_path / "run"
    common = [
        "--config",
        "configs/demo.yaml",
        "--config",
        "configs/methods/plain.yaml",
        f"--data.data_dir={builtin_cache.path.parent.parent}",
        "--data.transform.window=16",
        helpers.TINY_ARG,
        "--model.optimiser.lr=0.05",
        "--model.optimiser.warmup_epochs=1",
        "--model.optimiser.milestones=[2]",
        "--trainer.logger=false",
        "--trainer.limit_train_batches=2",
        "--trainer.limit_val_batches=0",
        f"--trainer.default_root_dir={root}",
        "--trainer.enable_progress_bar=false",
    ]
    run_lightning_cli(["fit", *common, "--trainer.max_epochs=2"])
    last = root / "checkpoints" / "last.ckpt"
    saved = torch.load(last, weights_only=True)
    assert saved["lr_schedulers"][0]["last_epoch"] == 2  # two epochs stepped: the next is past the milestone
    helpers.RESUMED.clear()
    run_lightning_cli(
        ["fit", *common, "--trainer.max_epochs=3", f"--ckpt_path={last}", "--trainer.callbacks+=helpers.RecordResume"]
    )
    ((epoch, lr, momentum, weights),) = helpers.RESUMED  # only the missing epoch ran
    assert epoch == 2 and lr == pytest.approx(0.005)
    expected = saved["optimizer_states"][0]["state"]
    assert len(momentum) == len(expected) > 0
    assert all(torch.equal(momentum[i], expected[i]["momentum_buffer"]) for i in expected)
    assert weights.keys() == saved["state_dict"].keys()
    assert all(torch.equal(weights[k], saved["state_dict"][k]) for k in weights)


def test_a_resumed_fit_trains_exactly_as_one_that_never_stopped(builtin_cache, tmp_path):
    """CrossGLG with the text swap and dropout (both draw from torch's random stream):
    3 epochs straight, against 2 then `--ckpt_path` to 3. The weights at the end are
    bit-identical, and `result.json`'s learning curve has every epoch's validation, the
    resumed run's first two from its checkpoint. A later `test` or `validate` of the
    checkpoint writes `result_test.json` or `result_validate.json` with the checkpoint's
    epoch and leaves `result.json` alone."""
    import json

    import helpers
    from crossglg.train import run_lightning_cli

    def fit(root, epochs, *extra, command="fit"):
        run_lightning_cli(
            [
                command,
                "--config",
                "configs/demo.yaml",
                "--config",
                "configs/methods/crossglg.yaml",
                f"--data.data_dir={builtin_cache.path.parent.parent}",
                "--data.transform.window=16",
                helpers.TINY_ARG,
                "--model.guidance.jid_hidden=8",
                "--trainer.logger=false",
                "--trainer.limit_train_batches=3",
                "--trainer.check_val_every_n_epoch=1",
                "--model.evaluation.plots=false",
                "--model.evaluation.exemplar_draws=20",
                f"--trainer.default_root_dir={root}",
                "--trainer.enable_progress_bar=false",
                f"--trainer.max_epochs={epochs}",
                *extra,
            ]
        )
        return torch.load(root / "checkpoints" / "last.ckpt", weights_only=True), json.loads(
            (root / "result.json").read_text()
        )

    straight, straight_result = fit(tmp_path / "a", 3)
    fit(tmp_path / "b", 2)  # 2 of 3 epochs, as a run that crashed after epoch 2's checkpoint
    (tmp_path / "b" / "result.json").unlink()
    resumed, resumed_result = fit(tmp_path / "b", 3, f"--ckpt_path={tmp_path / 'b' / 'checkpoints' / 'last.ckpt'}")
    assert straight["state_dict"].keys() == resumed["state_dict"].keys()
    assert all(torch.equal(straight["state_dict"][k], resumed["state_dict"][k]) for k in straight["state_dict"])
    assert [p["epoch"] for p in straight_result["curve"]] == [0, 1, 2]
    assert resumed_result["curve"] == straight_result["curve"]
    last = straight_result["curve"][-1]
    assert last["top1"] == straight_result["top1"] and last["exemplar_avg_top1"] == straight_result["exemplar_avg_top1"]
    assert straight_result["epoch"] == resumed_result["epoch"] == last["epoch"] == 2

    # a test of the finished run reports the checkpoint's epoch, beside the fit's record
    fit(tmp_path / "a", 3, f"--ckpt_path={tmp_path / 'a' / 'checkpoints' / 'last.ckpt'}", command="test")
    tested = json.loads((tmp_path / "a" / "result_test.json").read_text())
    assert tested["stage"] == "test" and tested["epoch"] == 2 and tested["top1"] == straight_result["top1"]
    fit(tmp_path / "a", 3, f"--ckpt_path={tmp_path / 'a' / 'checkpoints' / 'last.ckpt'}", command="validate")
    validated = json.loads((tmp_path / "a" / "result_validate.json").read_text())
    assert validated["stage"] == "validate" and validated["epoch"] == 2
    assert validated["top1"] == straight_result["top1"] and validated["settings"] == straight_result["settings"]
    for key in ("exemplar_avg_top1", "floor", "leak_probe", "key_mass"):  # the whole final evaluation
        assert validated[key] == straight_result[key] and straight_result[key] is not None, key
    assert json.loads((tmp_path / "a" / "result.json").read_text()) == straight_result

    # a finished run's folder is never fitted into again, resumed or not; nor is an unfinished one afresh
    for extra in ((), (f"--ckpt_path={tmp_path / 'a' / 'checkpoints' / 'last.ckpt'}",)):
        with pytest.raises(SystemExit, match="already holds a finished run"):
            fit(tmp_path / "a", 3, *extra)
    assert json.loads((tmp_path / "a" / "result.json").read_text()) == straight_result
    (tmp_path / "b" / "result.json").unlink()
    with pytest.raises(SystemExit, match="holds an unfinished run; resume it with --ckpt_path"):
        fit(tmp_path / "b", 3)
    # a resume with nothing left to train still ends with a full evaluation of its weights
    _, again = fit(tmp_path / "b", 3, f"--ckpt_path={tmp_path / 'b' / 'checkpoints' / 'last.ckpt'}")
    assert again["epoch"] == 2 and again["queries"] == straight_result["queries"]
    assert (
        again["top1"] == straight_result["top1"] and again["exemplar_avg_top1"] == straight_result["exemplar_avg_top1"]
    )


def test_a_fit_result_is_a_full_evaluation_of_the_last_epoch(builtin_cache, tmp_path):
    """Where the last epoch is not a validation epoch (2 epochs, validation every 15),
    the fit still validates it in full: the result is epoch 1 on all 280 queries, never
    Lightning's sanity check of the untrained weights (2 batches, epoch 0)."""
    import json

    import helpers
    from crossglg.train import run_lightning_cli

    root = tmp_path / "run"
    run_lightning_cli(
        [
            "fit",
            "--config",
            "configs/demo.yaml",
            f"--data.data_dir={builtin_cache.path.parent.parent}",
            "--data.transform.window=16",
            helpers.TINY_ARG,
            "--model.guidance.jid_hidden=8",
            "--trainer.logger=false",
            "--trainer.limit_train_batches=2",
            "--trainer.check_val_every_n_epoch=15",
            "--trainer.num_sanity_val_steps=2",
            "--data.loader.eval_batch_size=64",
            "--model.evaluation.plots=false",
            "--model.evaluation.exemplar_draws=10",
            f"--trainer.default_root_dir={root}",
            "--trainer.enable_progress_bar=false",
            "--trainer.max_epochs=2",
        ]
    )
    result = json.loads((root / "result.json").read_text())
    assert result["epoch"] == 1 and result["queries"] == 280 and [p["epoch"] for p in result["curve"]] == [1]


def test_a_fresh_fit_keeps_nothing_of_a_checkpoint_loaded_before(builtin_cache, tiny_encoder, tmp_path):
    """A task that read a checkpoint (its curve and random state) and is then fitted
    without `ckpt_path` starts a curve of its own and leaves torch's stream as seeded."""
    dm = datamodule(builtin_cache)
    m = model(dm, tiny_encoder, tmp_path)
    m.on_load_checkpoint(
        {
            "state_dict": m.state_dict(),
            "crossglg_version": 5,
            "crossglg_curve": [{"epoch": 7, "top1": 0.0, "exemplar_avg_top1": 0.0}],
            "crossglg_rng": {"cpu": torch.get_rng_state(), "cuda": None},
        }
    )
    assert m.curve and m._resume_rng is not None
    with pytest.raises(CheckpointError, match="checkpoint version 3, this crossglg reads version 5 only"):
        m.on_load_checkpoint({"state_dict": m.state_dict(), "crossglg_version": 3})
    trainer(tmp_path, max_epochs=2, limit_train_batches=1).fit(m, dm)
    assert [p["epoch"] for p in m.curve] == [0, 1] and m._resume_rng is None
    assert m.curve[-1]["top1"] == m.results["validate"].top1


def test_jid_ramp_phases_the_reweighting_in_and_saves_it_full(builtin_cache, tiny_encoder, tmp_path):
    """`guidance.jid_ramp_epochs=2` over 3 epochs of 3 batches: the share is 0 at the
    first step, rises by 1/6 a step to 1 at epoch 2, and the network leaves fit at 1. A
    ramp that would not end before the last epoch is refused before training."""
    seen = []

    class Record(L.Callback):
        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            seen.append(pl_module.net.jid_mix)

    dm = datamodule(builtin_cache)
    m = model(dm, tiny_encoder, tmp_path, jid_ramp_epochs=2)
    trainer(tmp_path, max_epochs=3, callbacks=[Record()], limit_val_batches=0).fit(m, dm)
    assert seen == pytest.approx([0, 1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6, 1, 1, 1])
    assert m.net.jid_mix == 1.0 and m.jid_mix_at(0.0) == 0.0
    assert (
        model(dm, tiny_encoder, tmp_path).jid_mix_at(0.0) == 1.0
    )  # no ramp: the paper's full re-weighting from the start
    with pytest.raises(ValueError, match=r"jid_ramp_epochs=3(\.0)? must end.*max_epochs - 1 = 2"):
        trainer(tmp_path, max_epochs=3, limit_val_batches=0).fit(
            model(dm, tiny_encoder, tmp_path, jid_ramp_epochs=3), dm
        )
