"""Samplers that own sharding and augmentation seeds.

Every sampler yields `(position, aug_seed)` pairs: the dataset derives its random
augmentation from `aug_seed` alone, so a batch is the same whatever the number of
DataLoader workers. Under DDP each rank takes its own shard (rank r takes positions
r, r + world, ...), without padding for evaluation.
"""

from __future__ import annotations

import numpy as np
import torch.distributed as dist
from torch.utils.data import Sampler


def dist_info() -> tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


class ShuffledShardSampler(Sampler):
    """Training: a seeded permutation per epoch, sharded by rank. Every rank yields
    the same number of items (the permutation wraps around), as DDP needs."""

    def __init__(self, n: int, seed: int = 0, shuffle: bool = True, rank: int | None = None, world: int | None = None):
        self.n, self.seed, self.shuffle, self.epoch = n, seed, shuffle, 0
        r, w = dist_info()
        self.rank, self.world = (r if rank is None else rank), (w if world is None else world)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return -(-self.n // self.world)

    def __iter__(self):
        rng = np.random.default_rng([self.seed, self.epoch])
        order = rng.permutation(self.n) if self.shuffle else np.arange(self.n)
        seeds = rng.integers(0, 2**31, self.n)
        per = len(self)
        order = np.resize(order, per * self.world)
        for pos in order[self.rank :: self.world]:
            yield int(pos), int(seeds[pos])


class EvalShardSampler(Sampler):
    """Evaluation: rank r takes positions r, r + world, ...; nothing is padded or
    repeated, so gathering the shards gives every sample exactly once."""

    def __init__(self, n: int, rank: int | None = None, world: int | None = None):
        r, w = dist_info()
        self.n, self.rank, self.world = n, (r if rank is None else rank), (w if world is None else world)

    def __len__(self) -> int:
        return len(range(self.rank, self.n, self.world))

    def __iter__(self):
        for pos in range(self.rank, self.n, self.world):
            yield pos, None


class EpisodeBatchSampler(Sampler):
    """N-way K-shot episodes over the training classes: each batch is `n_way` classes x
    (`k_shot` support + `n_query` query) samples, class-major. Ranks draw different
    episodes from the same seeded stream."""

    def __init__(
        self,
        targets: np.ndarray,
        n_way: int,
        k_shot: int,
        n_query: int,
        episodes: int,
        seed: int = 0,
        rank: int | None = None,
        world: int | None = None,
    ):
        self.by_class = [np.flatnonzero(targets == c) for c in np.unique(targets)]
        if n_way > len(self.by_class):
            raise ValueError(f"{n_way}-way episodes need {n_way} training classes, there are {len(self.by_class)}")
        need = k_shot + n_query
        small = [len(ix) for ix in self.by_class if len(ix) < need]
        if small:
            raise ValueError(f"episodes need {need} samples per class; some classes have only {min(small)}")
        self.n_way, self.k_shot, self.n_query, self.episodes, self.seed, self.epoch = (
            n_way,
            k_shot,
            n_query,
            episodes,
            seed,
            0,
        )
        r, w = dist_info()
        self.rank, self.world = (r if rank is None else rank), (w if world is None else world)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.episodes

    def __iter__(self):
        rng = np.random.default_rng([self.seed, self.epoch, self.rank])
        for _ in range(self.episodes):
            classes = rng.choice(len(self.by_class), self.n_way, replace=False)
            batch = []
            for c in classes:
                for pos in rng.choice(self.by_class[c], self.k_shot + self.n_query, replace=False):
                    batch.append((int(pos), int(rng.integers(0, 2**31))))
            yield batch
