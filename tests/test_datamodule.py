import numpy as np
import torch

from crossglg.data.samplers import EpisodeBatchSampler, EvalShardSampler, ShuffledShardSampler
from crossglg.data.transforms import crop_resize, random_rotate, to_stream
from helpers import tiny_datamodule


def make_dm(cache, **kw):
    dm = tiny_datamodule(cache, window=32, batch_size=16, **kw)
    dm.setup("fit")
    return dm


def test_batches_and_no_novel_class_in_training(builtin_cache):
    dm = make_dm(builtin_cache)
    novel = set(dm.protocol.novel)
    seen = set()
    for batch in dm.train_dataloader():
        assert batch["x"].shape == (16, 3, 32, 25, 2) and batch["x"].dtype == torch.float32
        seen |= {int(dm.split.aux_classes[y]) for y in batch["y"]}
    assert not seen & novel and len(seen) == 16
    ev = next(iter(dm.val_dataloader()))
    assert ev["exemplar"][:8].all() and not ev["exemplar"][8:].any()
    assert ev["y"][:8].tolist() == list(range(8))


def test_seed_reproduces_batches_with_workers(builtin_cache):
    a = next(iter(make_dm(builtin_cache, seed=3).train_dataloader()))["x"]
    b = next(iter(make_dm(builtin_cache, seed=3, num_workers=2).train_dataloader()))["x"]
    c = next(iter(make_dm(builtin_cache, seed=4).train_dataloader()))["x"]
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_episodic_batches(builtin_cache):
    dm = make_dm(builtin_cache, episodic=True, n_way=4, k_shot=1, n_query=3, episodes_per_epoch=5)
    batches = list(dm.train_dataloader())
    assert len(batches) == 5
    y = batches[0]["y"].view(4, 4)
    assert (y == y[:, :1]).all() and len(set(y[:, 0].tolist())) == 4


def test_shards_cover_everything_once():
    ev = [list(EvalShardSampler(11, rank=r, world=3)) for r in range(3)]
    assert sorted(p for s in ev for p, _ in s) == list(range(11))
    tr = [list(ShuffledShardSampler(10, seed=1, rank=r, world=2)) for r in range(2)]
    assert len(tr[0]) == len(tr[1]) == 5 and sorted(p for s in tr for p, _ in s) == list(range(10))
    e = [list(EpisodeBatchSampler(np.repeat(np.arange(5), 4), 3, 1, 1, 2, rank=r, world=2)) for r in range(2)]
    assert e[0] != e[1]


def test_transforms():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 40, 25, 2)).astype(np.float32)
    x[..., 1] = 0
    assert crop_resize(x, 64, rng).shape == (3, 64, 25, 2)
    test = crop_resize(x, 38, None)  # central 95 % of 40 frames = 38 frames, no resampling
    np.testing.assert_allclose(test, x[:, 1:39])
    r = random_rotate(x, rng)
    np.testing.assert_allclose(np.linalg.norm(r, axis=0), np.linalg.norm(x, axis=0), rtol=1e-5)
    assert not r[..., 1].any()
    bone = to_stream(x, "bone")
    np.testing.assert_allclose(bone[:, :, 4], x[:, :, 4] - x[:, :, 20])  # left shoulder - spine at shoulders
    motion = to_stream(x, "motion")
    np.testing.assert_allclose(motion[:, 0], x[:, 1] - x[:, 0])
