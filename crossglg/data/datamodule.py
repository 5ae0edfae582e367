"""The LightningDataModule: training batches from the auxiliary classes (plain or
episodic) and the one-shot evaluation set (exemplars and queries of the novel
classes). It knows nothing of text: the task reads the auxiliary classes it trains on
from the split (`CrossGLGTask.setup`).

Data flows one way: raw files -> cache (`prepare`) -> `SkeletonDataset` -> batch.
A batch is a dict: `x (N, C, T, V, M)`, `y (N,)` (training: the auxiliary-class
position; evaluation: the novel-class position), `index (N,)` (evaluation position)
and `exemplar (N,)` (evaluation: True for the exemplars).
"""

from __future__ import annotations

from pathlib import Path

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from ..settings import LoaderConfig, TransformConfig, as_group, to_dicts
from .cache import SkeletonCache, prepare
from .datasets import get_dataset, shared_data
from .protocols import Split, get_protocol
from .samplers import EpisodeBatchSampler, EvalShardSampler, ShuffledShardSampler
from .transforms import SampleTransform


class SkeletonDataset(Dataset):
    """Samples `indices` of a cache with their targets; items are keyed by
    `(position, aug_seed)` from the samplers (aug_seed None: no randomness)."""

    def __init__(
        self,
        cache: SkeletonCache,
        indices: np.ndarray,
        targets: np.ndarray,
        transform: SampleTransform,
        exemplar: np.ndarray | None = None,
    ):
        self.cache, self.indices, self.targets, self.transform = (
            cache,
            np.asarray(indices),
            np.asarray(targets),
            transform,
        )
        self.exemplar = np.zeros(len(self.indices), bool) if exemplar is None else np.asarray(exemplar)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, key):
        pos, seed = key if isinstance(key, tuple) else (key, None)
        rng = None if seed is None else np.random.default_rng(seed)
        x = self.transform(self.cache[int(self.indices[pos])], rng)
        return {
            "x": torch.from_numpy(x),
            "y": int(self.targets[pos]),
            "index": pos,
            "exemplar": bool(self.exemplar[pos]),
        }


def default_raw_dir(dataset: str, data_dir: str | Path) -> Path:
    if get_dataset(dataset).generate is not None:
        return Path(data_dir) / dataset / "raw"
    root = shared_data()
    if dataset == "utdmhad" and root is not None and (root / "utd-mhad" / "Skeleton").is_dir():
        return root / "utd-mhad" / "Skeleton"
    return Path(data_dir) / dataset / "raw"


def ensure_cache(
    dataset: str,
    data_dir: str | Path = "data",
    raw_dir: str | Path | None = None,
    cache_dir: str | Path | None = None,
    workers: int = 0,
    progress: bool = True,
) -> SkeletonCache:
    """Open the cache of a dataset, preparing it first when it does not exist (the
    generated sets are generated first; others need their raw files)."""
    spec = get_dataset(dataset)
    cache_dir = Path(cache_dir) if cache_dir else Path(data_dir) / spec.name / "cache"
    if (cache_dir / "manifest.json").exists():
        return SkeletonCache(cache_dir)
    raw = Path(raw_dir) if raw_dir else default_raw_dir(spec.name, data_dir)
    if spec.generate is not None:
        spec.generate(raw, progress=progress)
    elif not raw.is_dir():
        raise FileNotFoundError(
            f"no cache at {cache_dir} and no raw data at {raw}: run "
            f"`python -m crossglg prepare {spec.name} --raw-dir YOUR_COPY --out {cache_dir}`"
        )
    prepare(spec.name, raw, cache_dir, workers=workers, progress=progress)
    return SkeletonCache(cache_dir)


class SkeletonDataModule(L.LightningDataModule):
    """One-shot benchmark data.

    Args:
        dataset: `builtin`, `composed`, `utdmhad`, `ntu60`, `ntu120` or `pkummd2`.
        protocol: one-shot protocol name (default `<dataset>_oneshot`).
        num_aux_classes: train on the first N auxiliary classes only (None: all).
        data_dir: root for generated data and caches (`<data_dir>/<dataset>/cache`).
        raw_dir / cache_dir: override where the raw files / the cache are.
        persons: bodies per sample fed to the model (2 for NTU; 1 for single-person data).
        prepare_workers: processes that parse raw files when the cache is prepared.
        transform: how a recording becomes a sample (`crossglg.settings.TransformConfig`).
        loader: how samples become batches (`crossglg.settings.LoaderConfig`).
    """

    def __init__(
        self,
        dataset: str = "builtin",
        protocol: str | None = None,
        num_aux_classes: int | None = None,
        data_dir: str = "data",
        raw_dir: str | None = None,
        cache_dir: str | None = None,
        persons: int = 2,
        prepare_workers: int = 2,
        transform: TransformConfig = TransformConfig(),
        loader: LoaderConfig = LoaderConfig(),
    ):
        super().__init__()
        self.transform, self.loader = as_group(TransformConfig, transform), as_group(LoaderConfig, loader)
        self.save_hyperparameters(
            to_dicts(
                dict(
                    dataset=dataset,
                    protocol=protocol,
                    num_aux_classes=num_aux_classes,
                    data_dir=data_dir,
                    raw_dir=raw_dir,
                    cache_dir=cache_dir,
                    persons=persons,
                    prepare_workers=prepare_workers,
                    transform=self.transform,
                    loader=self.loader,
                )
            )
        )
        self.dataset_name = get_dataset(dataset).name
        self.protocol = get_protocol(protocol or f"{self.dataset_name}_oneshot")
        self.cache: SkeletonCache | None = None
        self.split: Split | None = None

    # -- set-up -------------------------------------------------------------------
    def prepare_data(self) -> None:
        h = self.hparams
        ensure_cache(self.dataset_name, h.data_dir, h.raw_dir, h.cache_dir, workers=h.prepare_workers)

    def setup(self, stage: str | None = None) -> None:
        if self.split is not None:
            return
        h = self.hparams
        self.cache = ensure_cache(self.dataset_name, h.data_dir, h.raw_dir, h.cache_dir, workers=h.prepare_workers)
        self.split = self.protocol.apply(self.cache, h.num_aux_classes)
        t = self.transform
        common = dict(window=t.window, stream=t.stream, min_crop=t.min_crop, persons=h.persons)
        self.train_transform = SampleTransform(train=True, rotation=t.rotation, **common)
        self.eval_transform = SampleTransform(train=False, rotation=0.0, **common)
        aux_pos = {int(c): k for k, c in enumerate(self.split.aux_classes)}
        s = self.split
        self.train_set = SkeletonDataset(
            self.cache,
            s.train_idx,
            np.array([aux_pos[int(c)] for c in self.cache.labels[s.train_idx]]),
            self.train_transform,
        )
        eval_idx = np.concatenate([s.exemplar_idx, s.query_idx])
        eval_targets = np.concatenate([np.arange(len(s.exemplar_idx)), s.query_targets])
        exemplar = np.arange(len(eval_idx)) < len(s.exemplar_idx)
        self.eval_set = SkeletonDataset(self.cache, eval_idx, eval_targets, self.eval_transform, exemplar)

    def count_aux_classes(self) -> int:
        """Auxiliary classes (the classifier's outputs): from the protocol where it lists
        them, so that sizing a network from a config prepares no data; else from the
        prepared data."""
        if self.split is not None:
            return len(self.split.aux_classes)
        if self.protocol.auxiliary is not None:
            return len(self.protocol.auxiliary_classes(n=self.hparams.num_aux_classes))
        if self.split is None:
            self.setup()
        return len(self.split.aux_classes)

    def novel_class_names(self) -> list[str]:
        from .datasets import class_names

        try:
            names = class_names(self.dataset_name)
        except KeyError:
            return [f"A{c + 1:03d}" for c in self.protocol.novel]
        return [names[c] for c in self.protocol.novel]

    def aux_eval_dataloader(self) -> DataLoader:
        """The auxiliary-class training samples with the evaluation transform (for the
        base-class statistics of distribution calibration)."""
        ds = SkeletonDataset(self.cache, self.train_set.indices, self.train_set.targets, self.eval_transform)
        return DataLoader(
            ds,
            batch_size=self.loader.eval_batch_size,
            num_workers=self.loader.num_workers,
            generator=self._generator(),
        )

    # -- loaders ------------------------------------------------------------------
    def _generator(self) -> torch.Generator:
        """A loader's own generator for the seed each iterator draws (the samplers seed
        the order and the augmentation themselves), so that loaders never draw from torch's
        global stream: that stream is the model's (dropout, text swap), and a resumed fit
        restores it exactly."""
        return torch.Generator().manual_seed(self.loader.seed)

    def _loader(self, dataset, **kw) -> DataLoader:
        h = self.loader
        return DataLoader(
            dataset,
            num_workers=h.num_workers,
            persistent_workers=h.num_workers > 0,
            pin_memory=torch.cuda.is_available(),
            generator=self._generator(),
            **kw,
        )

    def train_dataloader(self) -> DataLoader:
        h = self.loader
        if h.episodic:
            sampler = EpisodeBatchSampler(
                self.train_set.targets, h.n_way, h.k_shot, h.n_query, h.episodes_per_epoch, seed=h.seed
            )
            return self._loader(self.train_set, batch_sampler=sampler)
        sampler = ShuffledShardSampler(len(self.train_set), seed=h.seed)
        return self._loader(
            self.train_set, sampler=sampler, batch_size=h.batch_size, drop_last=len(self.train_set) > h.batch_size
        )

    def val_dataloader(self) -> DataLoader:
        return self._loader(
            self.eval_set, sampler=EvalShardSampler(len(self.eval_set)), batch_size=self.loader.eval_batch_size
        )

    def test_dataloader(self) -> DataLoader:
        return self.val_dataloader()

    def predict_dataloader(self) -> DataLoader:
        return self.val_dataloader()
