"""Paired comparison of two methods over seeds: the mean difference and its 95 %
interval (Student t over the per-seed differences, and a paired bootstrap)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass
class PairedDifference:
    n: int
    mean_a: float
    mean_b: float
    diff: float  # mean of (b - a)
    sd: float  # standard deviation of the per-seed differences
    t_low: float
    t_high: float
    boot_low: float
    boot_high: float

    def line(self, a: str = "a", b: str = "b") -> str:
        return (
            f"{b} - {a}: {self.diff:+.3f} (95 % t [{self.t_low:+.3f}, {self.t_high:+.3f}], bootstrap "
            f"[{self.boot_low:+.3f}, {self.boot_high:+.3f}], n={self.n}, sd {self.sd:.3f})"
        )


def paired_difference(a, b, level: float = 0.95, resamples: int = 10000, seed: int = 0) -> PairedDifference:
    """`a`, `b`: one value per seed, in the same seed order (b is compared against a)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape or a.ndim != 1 or len(a) < 2:
        raise ValueError(f"paired values need two equal-length 1-D sequences of at least 2 (got {a.shape}, {b.shape})")
    d = b - a
    n, mean, sd = len(d), float(d.mean()), float(d.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * sd / np.sqrt(n))
    rng = np.random.default_rng(seed)
    boots = d[rng.integers(0, n, size=(resamples, n))].mean(1)
    lo, hi = np.quantile(boots, [(1 - level) / 2, (1 + level) / 2])
    return PairedDifference(
        n, float(a.mean()), float(b.mean()), mean, sd, mean - half, mean + half, float(lo), float(hi)
    )
