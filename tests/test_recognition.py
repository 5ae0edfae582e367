import json
import subprocess
import sys

import lightning as L
import pytest

from crossglg.data.datamodule import SkeletonDataModule
from crossglg.models.crossglg import CrossGLG

TINY = {"widths": [8, 8, 8, 16, 16, 16, 16, 16, 16]}


@pytest.fixture(scope="module")
def checkpoint(builtin_cache, tiny_encoder, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rec")
    dm = SkeletonDataModule("builtin", cache_dir=str(builtin_cache.path), window=16, batch_size=32,
                            text_encoder=tiny_encoder, embedding_cache=str(tmp / "emb"))
    m = CrossGLG(num_classes=dm.num_aux_classes, text_dim=dm.text_dim, encoder_args=TINY, jid_hidden=8,
                 interaction_heads=2)
    t = L.Trainer(max_epochs=1, limit_train_batches=2, limit_val_batches=0, logger=False, enable_progress_bar=False,
                  default_root_dir=str(tmp), use_distributed_sampler=False, enable_model_summary=False,
                  callbacks=[L.pytorch.callbacks.ModelCheckpoint(dirpath=tmp / "ck", save_last=True)])
    t.fit(m, dm)
    return tmp / "ck" / "last.ckpt"


def cli(*args):
    return subprocess.run([sys.executable, "-m", "crossglg", *map(str, args)], capture_output=True, text=True)


def test_enroll_recognize_and_errors(checkpoint, builtin_cache, tmp_path):
    raw = builtin_cache.path.parent / "raw"
    g = tmp_path / "gallery.json"
    for a, name in ((1, "raise right hand"), (4, "clap")):
        r = cli("enroll", "--ckpt", checkpoint, "--gallery", g, "--name", name, raw / f"S001C002P001R001A{a:03d}.skeleton")
        assert r.returncode == 0, r.stderr
    r = cli("enroll", "--ckpt", checkpoint, "--gallery", g, "--name", "clap", raw / "S001C001P001R001A004.skeleton")
    data = json.loads(g.read_text())
    assert sorted(data["actions"]) == ["clap", "raise right hand"] and len(data["actions"]["clap"]["files"]) == 2
    r = cli("recognize", "--ckpt", checkpoint, "--gallery", g, raw / "S001C003P002R002A001.skeleton")
    assert r.returncode == 0 and "(cosine" in r.stdout and "top-2" in r.stdout
    png = tmp_path / "imp.png"
    r = cli("importance", "--ckpt", checkpoint, "--out", png, raw / "S001C002P001R001A001.skeleton")
    assert r.returncode == 0 and png.stat().st_size > 1000
    bad = tmp_path / "bad.skeleton"
    bad.write_text("3\n1\n")
    r = cli("recognize", "--ckpt", checkpoint, "--gallery", g, bad)
    assert r.returncode == 1 and "bad.skeleton" in r.stderr
    # a gallery from another model is refused and left as it was
    data["model"] = "0000000000000000"
    g.write_text(json.dumps(data))
    before = g.read_text()
    r = cli("enroll", "--ckpt", checkpoint, "--gallery", g, "--name", "x", raw / "S001C002P001R001A001.skeleton")
    assert r.returncode == 1 and "another model" in r.stderr and g.read_text() == before


def test_checkpoint_from_the_cli_loads(checkpoint, tmp_path):
    import torch

    from crossglg.models.crossglg import load_inference_model

    ck = torch.load(checkpoint, weights_only=True)
    ck["hyper_parameters"]["_instantiator"] = "lightning.pytorch.cli.instantiate_module"  # what LightningCLI adds
    torch.save(ck, tmp_path / "cli.ckpt")
    assert load_inference_model(tmp_path / "cli.ckpt").jid is not None
    ck["crossglg_version"] = 99
    torch.save(ck, tmp_path / "future.ckpt")
    with pytest.raises(ValueError, match="checkpoint version 99"):
        load_inference_model(tmp_path / "future.ckpt")
