"""The one ramp every schedule in training uses: the learning rate's warm-up, the
distillation's weight (`callbacks.Distillation`) and the JID's re-weighting
(`GuidanceConfig.jid_ramp_epochs`)."""

from __future__ import annotations


def ramp(progress: float, start: float = 0.0, length: float = 0.0) -> float:
    """A linear ramp in training progress (epochs, possibly fractional): 0 before `start`,
    then rising to 1 over `length` epochs, `(progress - start) / length`; with
    `length <= 0`, a step to 1 at `start`."""
    if progress < start:
        return 0.0
    if length <= 0:
        return 1.0
    return min(1.0, (progress - start) / length)
