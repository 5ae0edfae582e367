"""Does the cross-modal branch use the skeleton? The text-leak probe.

The cross-modal feature is built from the true class's joint text. If the shared
classifier can read the class from that text alone, `L_c` falls without help from
the skeleton and the branch teaches the encoder nothing. The probe classifies
samples with the cross-modal branch three times: (a) with each sample's own skeleton
joint tokens, (b) with the tokens of a random sample of another class in the same
batch (shuffled), (c) with zero tokens. If (b) and (c) stay near (a), the branch
reads the label from the text. Batches should mix classes (`probe_loader`).
"""

from __future__ import annotations

import torch
from torch.utils.data import DataLoader


def probe_loader(dataset, batch_size: int = 128, seed: int = 0, num_workers: int = 0) -> DataLoader:
    """A seeded, shuffled loader, so that every batch mixes classes."""
    g = torch.Generator().manual_seed(seed)
    return DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=g, num_workers=num_workers)


def other_class_partner(y: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """For each sample, the index of a random sample of another class in the batch
    (-1 where the batch has none). `y (N,)` -> `(N,)`."""
    other = y[None, :] != y[:, None]  # (N, N)
    scores = torch.rand(other.shape, generator=generator).to(y.device).masked_fill(~other, -1.0)
    best = scores.argmax(1)
    return torch.where(other.any(1), best, torch.full_like(best, -1))


@torch.no_grad()
def text_leak_probe(
    model, joint_text: torch.Tensor, loader, max_batches: int | None = None, seed: int = 0
) -> dict[str, float]:
    """Cross-modal top-1 on `loader`'s (auxiliary-class) samples: `{"own", "shuffled",
    "zero", "samples"}` (shuffled: over the samples that had a partner of another class).
    `model` is a `CrossGLGNet` with its interaction; `joint_text (A, V, D)` the
    auxiliary classes' joint-sentence embeddings in classifier order."""
    if model.interaction is None:
        raise ValueError("the model has no cross-modal branch (l2g is off)")
    was_training = model.training
    model.eval()
    g = torch.Generator().manual_seed(seed)
    hits = {"own": 0, "shuffled": 0, "zero": 0}
    n = n_shuffled = 0
    try:
        for b, batch in enumerate(loader):
            if max_batches is not None and b >= max_batches:
                break
            x, y = batch["x"].to(model.device), batch["y"].to(model.device)
            tokens = model.forward(x).joint_tokens  # (N, V, C)
            text = joint_text.to(model.device)[y]
            partner = other_class_partner(y, g)
            has = partner >= 0
            variants = {
                "own": (tokens, slice(None)),
                "zero": (torch.zeros_like(tokens), slice(None)),
                "shuffled": (tokens[partner.clamp(min=0)], has),
            }
            for name, (tok, keep) in variants.items():
                pred = model.classifier(model.interaction(text, tok)).argmax(1)
                hits[name] += int((pred == y)[keep].sum())
            n += len(y)
            n_shuffled += int(has.sum())
    finally:
        model.train(was_training)
    return {
        "own": hits["own"] / max(n, 1),
        "shuffled": hits["shuffled"] / max(n_shuffled, 1),
        "zero": hits["zero"] / max(n, 1),
        "samples": n,
    }


def probe_run(run_dir, checkpoint: str | None = None) -> dict[str, float]:
    """Re-measure a finished fit run from its folder: its `config.yaml` (LightningCLI's
    resolved config) gives the data and the text, `checkpoints/last.ckpt` the model."""
    from pathlib import Path

    import yaml

    from ..data.datamodule import SkeletonDataModule
    from ..models.checkpoint import load_inference_model
    from ..settings import TextConfig, as_group
    from ..text.features import class_text_features

    run = Path(run_dir)
    cfg_path = run / "config.yaml"
    ckpt = Path(checkpoint) if checkpoint else run / "checkpoints" / "last.ckpt"
    for p in (cfg_path, ckpt):
        if not p.is_file():
            raise FileNotFoundError(f"{p}: not found (probe needs a fit run folder with config.yaml and a checkpoint)")
    cfg = yaml.safe_load(cfg_path.read_text())
    dm = SkeletonDataModule(**{k: v for k, v in cfg.get("data", {}).items() if v is not None})
    dm.setup("fit")
    model = load_inference_model(ckpt)
    if model.interaction is None:
        raise ValueError(f"{ckpt}: the model has no cross-modal branch (l2g is off); nothing to probe")
    t = as_group(TextConfig, cfg.get("model", {}).get("text"))
    classes = [int(c) for c in dm.split.aux_classes]
    text = class_text_features(dm.dataset_name, classes, t.encoder, t.descriptions, t.embedding_cache)
    return text_leak_probe(model, text.joint_emb.float(), probe_loader(dm.aux_eval_dataloader().dataset))
