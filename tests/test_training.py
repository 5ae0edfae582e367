import json
import subprocess
import sys
import textwrap

import lightning as L
import pytest
import torch

from crossglg.data.datamodule import SkeletonDataModule
from crossglg.models.crossglg import CrossGLG, load_inference_model

TINY = {"widths": [8, 8, 8, 16, 16, 16, 16, 16, 16]}


def datamodule(cache, encoder, tmp_path, **kw):
    return SkeletonDataModule("builtin", cache_dir=str(cache.path), window=16, batch_size=32, eval_batch_size=50,
                              text_encoder=encoder, embedding_cache=str(tmp_path / "emb"), **kw)


def model(dm, **kw):
    args = dict(num_classes=dm.num_aux_classes, text_dim=dm.text_dim, encoder_args=TINY, jid_hidden=8,
                interaction_heads=2, lr=0.05, warmup_epochs=1, eval_episodes=20, calibration_at_test=False)
    args.update(kw)
    return CrossGLG(**args)


def trainer(tmp_path, **kw):
    args = dict(max_epochs=1, accelerator="cpu", devices=1, default_root_dir=str(tmp_path), logger=False,
                enable_progress_bar=False, enable_model_summary=False, use_distributed_sampler=False,
                limit_train_batches=3, num_sanity_val_steps=0)
    args.update(kw)
    return L.Trainer(**args)


def test_fit_then_inference_touches_no_text(builtin_cache, tiny_encoder, tmp_path, monkeypatch):
    dm = datamodule(builtin_cache, tiny_encoder, tmp_path)
    m = model(dm)
    t = trainer(tmp_path, callbacks=[L.pytorch.callbacks.ModelCheckpoint(dirpath=tmp_path / "ck", save_last=True)])
    t.fit(m, dm)
    assert "validate" in m.results and m.results["validate"].num_queries == 280
    # inference from the checkpoint: no text, no encoder, no interaction branch
    import crossglg.text.embeddings as emb

    monkeypatch.setattr(emb, "load_encoder", lambda *a, **k: pytest.fail("text encoder loaded at inference"))
    monkeypatch.setattr(SkeletonDataModule, "text_features", lambda self: pytest.fail("text features used"))
    inf = load_inference_model(tmp_path / "ck" / "last.ckpt")
    inf.interaction.register_forward_hook(lambda *a: pytest.fail("cross-modal branch ran at inference"))
    assert not hasattr(inf, "joint_text")
    dm2 = datamodule(builtin_cache, tiny_encoder, tmp_path)
    t2 = trainer(tmp_path)
    t2.test(inf, dm2)
    res = inf.results["test"]
    assert res.num_queries == 280 and 0 <= res.top1 <= 1 and res.episode_mean is not None
    assert (tmp_path / "oneshot_test.json").exists() and (tmp_path / "confusion_test.png").exists()
    assert (tmp_path / "joint_importance_test.png").exists()
    x = next(iter(dm2.val_dataloader()))["x"]
    with torch.no_grad():
        assert torch.allclose(inf.embed(x), m.eval().embed(x), atol=1e-5)


def test_resume_continues_epoch_and_optimizer(builtin_cache, tiny_encoder, tmp_path):
    dm = datamodule(builtin_cache, tiny_encoder, tmp_path)
    ck = L.pytorch.callbacks.ModelCheckpoint(dirpath=tmp_path / "ck", save_last=True)
    t = trainer(tmp_path, max_epochs=2, callbacks=[ck], limit_val_batches=0)
    m = model(dm)
    t.fit(m, dm)
    lr_after_2 = t.optimizers[0].param_groups[0]["lr"]
    state = torch.load(tmp_path / "ck" / "last.ckpt", weights_only=True)
    assert state["epoch"] == 1 and state["optimizer_states"][0]["state"]  # momentum buffers saved

    seen = []

    class Record(L.Callback):
        def on_train_epoch_start(self, trainer, pl_module):
            seen.append((trainer.current_epoch, trainer.optimizers[0].param_groups[0]["lr"]))

    t2 = trainer(tmp_path, max_epochs=3, callbacks=[Record()], limit_val_batches=0)
    t2.fit(model(dm), dm, ckpt_path=str(tmp_path / "ck" / "last.ckpt"))
    assert [e for e, _ in seen] == [2]  # only the missing epoch ran
    assert seen[0][1] == pytest.approx(lr_after_2)  # scheduler state restored
    assert t2.global_step == 2 * t.global_step // 2 + 3


def test_ddp_two_processes_equal_single(builtin_cache, tiny_encoder, tmp_path):
    dm = datamodule(builtin_cache, tiny_encoder, tmp_path)
    m = model(dm, g2l=True, l2g=False)
    t = trainer(tmp_path / "single", callbacks=[L.pytorch.callbacks.ModelCheckpoint(dirpath=tmp_path / "ck", save_last=True)])
    t.fit(m, dm)
    t.test(m, dm)
    single = m.results["test"]
    script = textwrap.dedent(f"""
        import lightning as L
        from crossglg.data.datamodule import SkeletonDataModule
        from crossglg.models.crossglg import load_inference_model
        if __name__ == "__main__":
            dm = SkeletonDataModule("builtin", cache_dir={str(builtin_cache.path)!r}, window=16, eval_batch_size=37,
                                    text_encoder=None)
            m = load_inference_model({str(tmp_path / 'ck' / 'last.ckpt')!r})
            t = L.Trainer(accelerator="cpu", devices=2, strategy="ddp_spawn", logger=False, enable_progress_bar=False,
                          default_root_dir={str(tmp_path / 'ddp')!r}, use_distributed_sampler=False)
            t.test(m, dm)
    """)
    (tmp_path / "ddp_test.py").write_text(script)
    subprocess.run([sys.executable, str(tmp_path / "ddp_test.py")], check=True, capture_output=True, timeout=300)
    ddp = json.loads((tmp_path / "ddp" / "oneshot_test.json").read_text())
    assert ddp["queries"] == single.num_queries == 280
    assert ddp["top1"] == single.top1 and ddp["per_class"] == single.per_class
