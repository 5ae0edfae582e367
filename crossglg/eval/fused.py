"""The one-shot evaluation of an inference model, a checkpoint or a stream set
(`models.stream_set`), outside Lightning: the benchmark's evaluation samples are read from
the cache, each member embeds them from its own stream, and `eval.measure.measure`
measures the fused embedding (and each member's own, where asked) with the data's
`EvalContext`."""

from __future__ import annotations

import numpy as np
import torch
from tqdm import tqdm

from ..data.datamodule import SkeletonDataModule
from ..models.checkpoint import read_checkpoint
from ..models.stream_set import InferenceModel, load_inference_model
from ..settings import EvaluationConfig
from .context import EvalContext
from .measure import measure
from .oneshot import OneShotResult


def datamodule_of(model: InferenceModel, overrides: dict | None = None) -> SkeletonDataModule:
    """The data module the first member was trained on (`overrides`: e.g. `cache_dir`), set up."""
    data = dict(read_checkpoint(model.members[0].path).data)
    data.update(overrides or {})
    dm = SkeletonDataModule(**{k: v for k, v in data.items() if v is not None})
    dm.setup("validate")
    return dm


@torch.no_grad()
def embed_eval_set(model: InferenceModel, dm: SkeletonDataModule, batch: int = 128, progress: bool = True):
    """`(fused (N, D), per member [(N, C_s)], y (N,), exemplar (N,))` of the evaluation set."""
    ds = dm.eval_set
    fused, members = [], [[] for _ in model.members]
    for start in tqdm(range(0, len(ds), batch), desc="embedding", unit="batch", disable=not progress):
        idx = range(start, min(start + batch, len(ds)))
        x = torch.from_numpy(np.stack([model.prepare(dm.cache[int(ds.indices[i])]) for i in idx]))
        parts = model.embed_members(x)
        fused.append(model.embed(x))
        for s, p in enumerate(parts):
            members[s].append(p)
    y, ex = torch.from_numpy(np.asarray(ds.targets)), torch.from_numpy(np.asarray(ds.exemplar))
    return torch.cat(fused), [torch.cat(m) for m in members], y, ex


def evaluate_model(
    ckpt, settings: EvaluationConfig, overrides: dict | None = None, members: bool = False
) -> dict[str, OneShotResult]:
    """`{"fused": result}` of a stream set (and `{"<stream>": result}` per member with
    `members`), or `{"<stream>": result}` of one checkpoint."""
    model = load_inference_model(ckpt)
    dm = datamodule_of(model, overrides)
    ctx = EvalContext.of(dm)
    fused, parts, y, ex = embed_eval_set(model, dm)
    none = torch.zeros(len(y), 0)
    if model.single is not None:
        return {model.streams[0]: measure(fused, y, ex, none, ctx, settings, "test")}
    out = {"fused": measure(fused, y, ex, none, ctx, settings, "test")}
    if members:
        for m, emb in zip(model.members, parts):
            name = m.stream if model.streams.count(m.stream) == 1 else m.path.stem
            out[name] = measure(emb, y, ex, none, ctx, settings, "test", final=False)
    return out
