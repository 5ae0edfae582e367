"""Text guidance that must use the skeleton, and an evaluation that can see a gain:
the text-leak probe, the two fusions, text swap, exemplar-averaged top-1, paired
intervals, the JID key-joint mass, the pseudo-novel protocol."""

from pathlib import Path

import numpy as np
import pytest
import torch

from crossglg.data.protocols import get_protocol
from crossglg.eval.oneshot import evaluate_oneshot, exemplar_averaged_top1, exemplar_draws, key_joint_mass
from crossglg.eval.probe import text_leak_probe
from crossglg.eval.stats import paired_difference
from crossglg.models.interaction import CrossModalInteraction
from helpers import TINY_ARG, tiny_net, tiny_text


def _class_signal_batch(n_per_class=6, classes=4, t=8, signal=1.0):
    """Class c lights up joint 4c (`signal=0`: skeletons carry no class); labels
    interleaved so that rolling the batch by one hands a sample another class's skeleton."""
    g = torch.Generator().manual_seed(0)
    y = torch.arange(classes).repeat(n_per_class)
    x = 0.1 * torch.randn(len(y), 3, t, 25, 1, generator=g)
    x[torch.arange(len(y)), :, :, 4 * y, 0] += signal
    return x, y


def _train_cross_modal(fusion, text_swap, signal=1.0, steps=60):
    torch.manual_seed(0)
    m, text = (
        tiny_net(guidance=dict(fusion=fusion, text_swap=text_swap, g2l=False, w_c=1.0), classifier=dict(dropout=0.0)),
        tiny_text(),
    )
    x, y = _class_signal_batch(signal=signal)
    opt = torch.optim.Adam(m.parameters(), lr=1e-2)
    m.train()
    for _ in range(steps):
        opt.zero_grad()
        m.losses(x, y, *text)["loss"].backward()
        opt.step()
    return text_leak_probe(m, text[0], [{"x": x, "y": y}])


def test_residual_fusion_reads_the_class_from_the_text():
    """The paper-literal branch learns the class from the text alone: skeletons that
    carry nothing still get classified, with another sample's tokens or with none (the
    leak the probe exists to show). The gathered fusion with text swap cannot."""
    p = _train_cross_modal("residual", 0.0, signal=0.0)
    assert p["own"] == 1.0 and p["zero"] == 1.0 and p["samples"] == 24
    q = _train_cross_modal("gathered", 0.5, signal=0.0)
    # no skeleton, or another class's: at or below chance (0.25). With its own noise it
    # may be right, by memorising the 24 skeletons, which is reading the skeleton.
    assert q["shuffled"] <= 0.3 and q["zero"] <= 0.3


def test_gathered_fusion_with_text_swap_cannot_classify_from_text():
    """The fix: with another sample's skeleton (always another class here) or zero
    tokens the branch is at or below chance (0.25); with its own it is right."""
    p = _train_cross_modal("gathered", 0.5)
    assert p["own"] >= 0.9
    assert p["shuffled"] <= 0.3 and p["zero"] <= 0.3


def test_gathered_fusion_ignores_text_without_skeleton():
    torch.manual_seed(0)
    m = CrossModalInteraction(text_dim=32, dim=16, depth=2, heads=2, dropout=0.0, fusion="gathered").eval()
    zero = torch.zeros(2, 25, 16)
    a, b = m(torch.randn(2, 25, 32), zero), m(torch.randn(2, 25, 32), zero)
    assert torch.allclose(a, b, atol=1e-5)  # no skeleton, no class: the text alone cannot move the feature
    r = CrossModalInteraction(text_dim=32, dim=16, depth=2, heads=2, dropout=0.0, fusion="residual").eval()
    assert not torch.allclose(r(torch.randn(2, 25, 32), zero), r(torch.randn(2, 25, 32), zero), atol=1e-3)
    with pytest.raises(ValueError, match="fusion"):
        CrossModalInteraction(32, 16, fusion="sum")


def test_text_swap_keeps_the_label_and_changes_the_text():
    torch.manual_seed(0)
    m, (joint_text, k_gt) = tiny_net(guidance=dict(fusion="gathered", text_swap=1.0, g2l=False)), tiny_text()
    seen = {}

    def spy(text, tokens):
        seen["text"] = text
        return tokens.mean(1)

    m.interaction.forward = spy
    y = torch.tensor([0, 1, 2, 3, 0, 1])
    m.train()
    m.losses(torch.randn(6, 3, 8, 25, 1), y, joint_text, k_gt)
    # every sample got another class's text (rows of joint_text that are not its own)
    for i, c in enumerate(y):
        assert not torch.equal(seen["text"][i], joint_text[c])
        assert any(torch.equal(seen["text"][i], joint_text[k]) for k in range(4))
    m.eval()  # never at evaluation
    m.losses(torch.randn(6, 3, 8, 25, 1), y, joint_text, k_gt)
    assert all(torch.equal(seen["text"][i], joint_text[c]) for i, c in enumerate(y))


def test_exemplar_draws_match_single_exemplar_evaluation():
    torch.manual_seed(0)
    y = torch.arange(3).repeat(5)
    feats = torch.randn(15, 6) + 2 * torch.nn.functional.one_hot(y, 6).float()
    accs = exemplar_averaged_top1(feats, y, draws=20, seed=3)
    sets = exemplar_draws(y.numpy(), 20, seed=3)
    assert sets.shape == (20, 3) and (y.numpy()[sets] == np.arange(3)).all()
    assert np.array_equal(accs, exemplar_averaged_top1(feats, y, draws=20, seed=3))  # seeded: paired across models
    for d in (0, 7, 19):
        ex = torch.zeros(15, dtype=torch.bool)
        ex[torch.from_numpy(sets[d])] = True
        assert accs[d] == pytest.approx(evaluate_oneshot(feats, y, ex).top1)
    # separable classes: every draw is exact
    sep = torch.nn.functional.one_hot(y, 3).float() + 0.01 * torch.randn(15, 3)
    assert exemplar_averaged_top1(sep, y, draws=10).tolist() == [1.0] * 10
    with pytest.raises(ValueError, match="two samples"):
        exemplar_draws(np.array([0, 0, 1]), 2)


def test_paired_difference_interval():
    d = paired_difference([0.5, 0.5, 0.5, 0.5], [0.51, 0.52, 0.53, 0.54])
    assert d.diff == pytest.approx(0.025) and d.sd == pytest.approx(0.0129099, rel=1e-4)
    half = 3.182446 * 0.0129099 / 2  # t(0.975, 3) * sd / sqrt(4)
    assert (d.t_low, d.t_high) == (pytest.approx(0.025 - half, rel=1e-4), pytest.approx(0.025 + half, rel=1e-4))
    assert 0.01 <= d.boot_low <= d.diff <= d.boot_high <= 0.04
    with pytest.raises(ValueError):
        paired_difference([1.0], [2.0])


def test_key_joint_mass():
    k = torch.tensor([[0.5, 0.5, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25]])
    mask = torch.tensor([[1.0, 0, 0, 0], [1, 1, 0, 0]])
    assert key_joint_mass(k, mask) == (pytest.approx(0.5), pytest.approx(0.375))


def test_pseudo_novel_protocol_leaves_out_the_novel_classes():
    val, test = get_protocol("utdmhad_val"), get_protocol("utdmhad_oneshot")
    assert len(val.novel) == 4 and not set(val.novel) & set(test.novel)
    assert set(val.auxiliary) == set(range(27)) - set(val.novel) - set(test.novel) and len(val.auxiliary) == 14


def test_paired_table_reads_records(tmp_path):
    import json

    from crossglg.results.records import RecordError
    from crossglg.results.records import rows as load
    from crossglg.results.tables import headline_table, paired_table

    def record(sweep, run, **data):
        (tmp_path / sweep).mkdir(exist_ok=True)
        (tmp_path / sweep / f"{run}.json").write_text(json.dumps(data))

    values = {"plain": [0.80, 0.82, 0.78], "crossglg": [0.83, 0.84, 0.80]}
    for row, accs in values.items():
        for seed, a in enumerate(accs):
            record(
                "sweep",
                f"seed_everything={seed},config={row}",
                params={"seed_everything": seed, "config": f"configs/methods/{row}.yaml"},
                settings={"max_epochs": 15},
                top1=a - 0.01,
                exemplar_avg_top1=a,
                exemplar_avg_std=0.05,
                floor=0.6,
                floor_exemplar_avg=0.7,
                leak_probe={"own": 1.0, "shuffled": 0.1, "zero": 0.05},
            )
    text = paired_table(load([tmp_path / "sweep"]), "plain")
    line = next(ln for ln in text.splitlines() if ln.startswith("| crossglg | 3 |"))
    # differences 0.03, 0.02, 0.02: mean +0.023
    assert "| 0.823 | +0.023 [" in line
    assert "| crossglg | 1.000 / 0.100 / 0.050 |" in text
    head = headline_table(load([tmp_path / "sweep"]), "plain")
    assert "| plain | 3 | 0.800 | baseline | 0.790 |" in head and "| crossglg | 3 | 0.823 | +0.023 [" in head
    with pytest.raises(RecordError, match="baseline"):
        paired_table(load([tmp_path / "sweep"]), "nothing")

    # a second sweep trains 30 epochs and validates every epoch: rows split by length, and
    # the curve's last 3 points give the stopping-point spread (sd of 0.80, 0.82, 0.84 = 0.02)
    for seed in range(3):
        curve = [{"epoch": e, "top1": 0.5, "exemplar_avg_top1": a} for e, a in enumerate([0.1, 0.80, 0.82, 0.84])]
        record(
            "long",
            f"seed_everything={seed},config=plain",
            params={"seed_everything": seed, "config": "configs/methods/plain.yaml"},
            settings={"max_epochs": 30},
            top1=0.83,
            exemplar_avg_top1=0.84,
            exemplar_avg_std=0.05,
            curve=curve,
        )
    rows = load([tmp_path / "sweep", tmp_path / "long"])
    assert set(rows) == {"plain@15ep", "crossglg@15ep", "plain@30ep"}
    text = paired_table(rows, "plain@15ep", last=3)
    assert "| plain@30ep | 3 | 0.840 | +0.040 [" in text
    assert "| plain@30ep | 0.050 | 0.000 | 0.000 | 0.020 |" in text
    assert "| plain@15ep | 0.050 | 0.020 | 0.020 | - |" in text
    assert "validations (within a run)" in text
    assert "validations (within a run)" not in paired_table(load([tmp_path / "sweep"]), "plain")

    # a sweep over the data order (data.seed) at one seed_everything: pairs share both seeds
    for data_seed, (a, b) in enumerate([(0.70, 0.75), (0.72, 0.71), (0.74, 0.80)]):
        for row, acc in (("plain", a), ("crossglg", b)):
            record(
                "order",
                f"data_seed={data_seed},config={row}",
                params={"seed_everything": 0, "data.seed": data_seed, "config": f"configs/methods/{row}.yaml"},
                settings={"max_epochs": 15},
                top1=acc,
                exemplar_avg_top1=acc,
            )
    rows = load([tmp_path / "order"])
    assert sorted(rows["plain"]) == [(0, 0), (0, 1), (0, 2)]
    text = paired_table(rows, "plain")
    assert "| seed 0/data 0 | seed 0/data 1 | seed 0/data 2 |" in text
    assert "| crossglg | 3 | 0.753 | +0.033 [" in text  # differences 0.05, -0.01, 0.06
    # with the first sweep (seeds 0-2 at data order 0), both hold seed (0, 0): rows split by sweep
    rows = load([tmp_path / "sweep", tmp_path / "order", tmp_path / "order"])
    assert set(rows) == {"plain@sweep", "crossglg@sweep", "plain@order", "crossglg@order"}
    assert len(rows["plain@order"]) == 3 and rows["plain@sweep"][2, 0]["exemplar_avg_top1"] == 0.78
    with pytest.raises(RecordError, match="missing: no records here"):
        load([tmp_path / "sweep", tmp_path / "missing"])
    (tmp_path / "order" / "data_seed=2,config=plain,aux=10.json").write_text(  # a setting that names no row
        (tmp_path / "order" / "data_seed=2,config=plain.json").read_text()
    )
    with pytest.raises(RecordError, match="two records of row 'plain' at seed 0/data 2: "):
        load([tmp_path / "order"])
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "x.json").write_text("{not json")
    with pytest.raises(RecordError, match="x.json: not a run record"):
        load([tmp_path / "bad"])


def test_other_class_partner():
    from crossglg.eval.probe import other_class_partner

    y = torch.tensor([0, 0, 1, 2, 2])
    g = torch.Generator().manual_seed(0)
    for _ in range(5):
        p = other_class_partner(y, g)
        assert (y[p] != y).all()
    assert other_class_partner(torch.tensor([3, 3])).tolist() == [-1, -1]  # no other class in the batch


def test_probe_command_on_a_fit_run(builtin_cache, tmp_path, capsys):
    """`probe RUN` re-measures a finished run from its config.yaml and last.ckpt, and
    names a folder that is not a run."""
    import json

    from crossglg.cli import main
    from crossglg.train import run_lightning_cli

    configs = Path(__file__).parent.parent / "configs"
    root = tmp_path / "run"
    run_lightning_cli(
        [
            "fit",
            "--config",
            str(configs / "demo.yaml"),
            "--config",
            str(configs / "methods/crossglg.yaml"),
            f"--data.data_dir={builtin_cache.path.parent.parent}",
            "--data.transform.window=16",
            TINY_ARG,
            "--model.guidance.jid_hidden=8",
            f"--trainer.default_root_dir={root}",
            "--trainer.enable_progress_bar=false",
            "--trainer.logger=false",
            "--trainer.max_epochs=1",
            "--trainer.limit_train_batches=2",
            "--trainer.check_val_every_n_epoch=1",
            "--model.evaluation.exemplar_draws=20",
        ]
    )
    saved = json.loads((root / "result.json").read_text())
    assert saved["leak_probe"]["samples"] > 0 and 0 <= saved["exemplar_avg_top1"] <= 1
    assert saved["floor"] is not None and saved["key_mass_uniform"] > 0
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        main(["probe", str(root), str(tmp_path / "nothing")])
    assert e.value.code == 1  # the second folder is not a run
    out, err = capsys.readouterr()
    assert f"{root}: own " in out and "shuffled (another class)" in out
    assert "config.yaml: not found" in err


def test_a_sweep_over_settings_names_its_rows_by_them(tmp_path):
    import json

    from crossglg.results.records import row_of
    from crossglg.results.records import rows as load

    params = {"seed_everything": 1, "model.encoder.name": "ctrgcn", "model.classifier.supcon_weight": 0.5}
    assert row_of(params) == "encoder=ctrgcn,supcon_weight=0.5"
    (tmp_path / "s").mkdir()
    for enc in ("ctrgcn", "infogcn_lite"):
        p = {"seed_everything": 0, "model.encoder.name": enc}
        rec = {"params": p, "settings": {"encoder": enc, "max_epochs": 15}, "top1": 0.5}
        (tmp_path / "s" / f"{enc}.json").write_text(json.dumps(rec))
    # the encoder already names the row: no `@<encoder>` suffix
    assert set(load([tmp_path / "s"])) == {"encoder=ctrgcn", "encoder=infogcn_lite"}
