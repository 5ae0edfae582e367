"""What a one-shot evaluation needs to know of its data, gathered once from a
`SkeletonDataModule`: the evaluated (novel) classes' names and key-joint mask, the
split and cache (for the raw-coordinate floor), the evaluation samples' names (for
`predict`'s file), and the auxiliary samples with the evaluation transform (the base
of distribution calibration and the text-leak probe's input)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..text.features import key_joint_mask


@dataclass
class EvalContext:
    """Args:
    dataset: the data set's name.
    class_names: the novel classes' names, in evaluation-target order.
    key_mask: `(K, V)` 1 on each novel class's key joints (the descriptions'); None
        without descriptions (the JID's key-joint mass is then not measured).
    cache / split: the prepared data and its one-shot split (None: no floor).
    sample_names: the evaluation set's recording names, by evaluation position.
    aux_loader: the auxiliary training samples with the evaluation transform, batched
        (None: no calibration base or probe input).
    """

    dataset: str
    class_names: list[str]
    key_mask: torch.Tensor | None = None
    cache: object = None
    split: object = None
    sample_names: list[str] | None = None
    aux_loader: object = None

    @classmethod
    def of(cls, dm, descriptions: str | None = None) -> "EvalContext":
        """The context of a set-up DataModule, with the key joints of `descriptions`
        (None: the data set's shipped descriptions)."""
        novel = list(dm.protocol.novel)
        eval_set = getattr(dm, "eval_set", None)
        names = [dm.cache.names[int(i)] for i in eval_set.indices] if eval_set is not None else None
        return cls(
            dataset=dm.dataset_name,
            class_names=dm.novel_class_names(),
            key_mask=key_joint_mask(dm.dataset_name, novel, descriptions),
            cache=dm.cache,
            split=dm.split,
            sample_names=names,
            aux_loader=dm.aux_eval_dataloader(),
        )
