"""DDP gives what one process gives: evaluation and `predict` over uneven shards (288
evaluation samples over 5 ranks: 58, 58, 58, 57, 57), and validation during a DDP fit
agrees with a single-process test of the checkpoint it wrote."""

import csv
import json
import subprocess
import sys
import textwrap

import lightning as L
import pytest

from crossglg.eval.evaluation import OneShotPredictionWriter
from crossglg.settings import EncoderConfig, EvaluationConfig, GuidanceConfig, OptimiserConfig
from crossglg.task import CrossGLGTask, load_task
from helpers import TINY, tiny_datamodule, tiny_trainer


def _rows(path):
    return list(csv.DictReader(open(path)))


def test_ddp_uneven_shards_and_fit_validation_equal_single(builtin_cache, tmp_path):
    def dm():
        return tiny_datamodule(builtin_cache, eval_batch_size=37)

    m = CrossGLGTask(
        num_classes=16,
        encoder=EncoderConfig("infogcn_lite", TINY),
        guidance=GuidanceConfig(g2l=False, l2g=False),
        optimiser=OptimiserConfig(lr=0.05, warmup_epochs=1),
        evaluation=EvaluationConfig(episodes=20, calibration_at_test=False),
    )
    ck = L.pytorch.callbacks.ModelCheckpoint(dirpath=tmp_path / "ck", save_last=True)
    t = tiny_trainer(tmp_path / "single", max_epochs=1, limit_train_batches=2, num_sanity_val_steps=0, callbacks=[ck])
    t.fit(m, dm())
    t.test(m, dm())
    single = m.results["test"]
    tiny_trainer(tmp_path / "single", callbacks=[OneShotPredictionWriter()]).predict(m, dm(), return_predictions=False)

    script = textwrap.dedent(f"""
        import json
        import lightning as L
        from crossglg.eval.report import summary
        from crossglg.eval.evaluation import OneShotPredictionWriter
        from crossglg.data.datamodule import SkeletonDataModule
        from crossglg.task import CrossGLGTask, load_task

        class Keep(L.Callback):
            # rank 0 holds the gathered result of `stage`: its JSON summary
            def __init__(self, stage, path):
                self.stage, self.path = stage, path

            def teardown(self, trainer, pl_module, stage):
                if trainer.is_global_zero and self.stage in pl_module.results:
                    res = pl_module.results[self.stage]
                    open(self.path, "w").write(json.dumps(summary(self.stage, res, 0)))

        def dm():
            return SkeletonDataModule("builtin", cache_dir={str(builtin_cache.path)!r}, transform={{"window": 16}},
                                      loader={{"batch_size": 32, "eval_batch_size": 37}})

        if __name__ == "__main__":
            common = dict(accelerator="cpu", strategy="ddp_spawn", logger=False, enable_progress_bar=False,
                          enable_model_summary=False, use_distributed_sampler=False)
            m = load_task({str(tmp_path / "ck" / "last.ckpt")!r})
            L.Trainer(devices=5, default_root_dir={str(tmp_path / "ddp")!r}, callbacks=[Keep("test", {str(tmp_path / "ddp_test.json")!r})],
                      **common).test(m, dm())
            L.Trainer(devices=5, default_root_dir={str(tmp_path / "ddp")!r}, callbacks=[OneShotPredictionWriter()],
                      **common).predict(m, dm(), return_predictions=False)
            fresh = CrossGLGTask(num_classes=16, encoder={{"name": "infogcn_lite", "args": {TINY!r}}},
                             guidance={{"g2l": False, "l2g": False}}, optimiser={{"lr": 0.05, "warmup_epochs": 1}},
                             evaluation={{"leak_probe": False}})
            ck = L.pytorch.callbacks.ModelCheckpoint(dirpath={str(tmp_path / "ddp_fit" / "ck")!r}, save_last=True)
            L.Trainer(devices=2, max_epochs=1, limit_train_batches=2, num_sanity_val_steps=0,
                      callbacks=[ck, Keep("validate", {str(tmp_path / "ddp_fit.json")!r})],
                      default_root_dir={str(tmp_path / "ddp_fit")!r}, **common).fit(fresh, dm())
    """)
    (tmp_path / "ddp.py").write_text(script)
    r = subprocess.run([sys.executable, str(tmp_path / "ddp.py")], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]

    ddp = json.loads((tmp_path / "ddp_test.json").read_text())
    assert ddp["queries"] == single.num_queries == 280
    assert ddp["top1"] == single.top1 and ddp["per_class"] == single.per_class
    one, many = _rows(tmp_path / "single" / "predictions.csv"), _rows(tmp_path / "ddp" / "predictions.csv")
    assert len(many) == len(one) == 288
    key = ("sample", "true", "role", "predicted", "correct")
    assert [[r[k] for k in key] for r in many] == [[r[k] for k in key] for r in one]
    assert [float(r["similarity"]) for r in many] == pytest.approx([float(r["similarity"]) for r in one], abs=2e-4)

    # validation during the DDP fit == a single-process test of the checkpoint it wrote
    val = json.loads((tmp_path / "ddp_fit.json").read_text())
    t2 = tiny_trainer(tmp_path / "check")
    fitted = load_task(tmp_path / "ddp_fit" / "ck" / "last.ckpt")
    t2.test(fitted, dm())
    assert val["queries"] == 280 and val["top1"] == fitted.results["test"].top1
