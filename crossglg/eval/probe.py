"""Does the cross-modal branch use the skeleton? The text-leak probe.

The cross-modal feature is built from the true class's joint text. If the shared
classifier can read the class from that text alone, `L_c` falls without help from
the skeleton and the branch teaches the encoder nothing. The probe classifies
samples with the cross-modal branch three times: (a) with each sample's own skeleton
joint tokens, (b) with another sample's tokens (the batch rolled by one), (c) with
zero tokens. If (b) and (c) stay near (a), the branch reads the label from the text.
"""

from __future__ import annotations

import torch


@torch.no_grad()
def text_leak_probe(model, loader, max_batches: int | None = None) -> dict[str, float]:
    """Cross-modal top-1 on `loader`'s (auxiliary-class) samples: `{"own", "shuffled",
    "zero", "samples"}`. `model` is a CrossGLG with its interaction and text buffers."""
    if model.interaction is None:
        raise ValueError("the model has no cross-modal branch (l2g is off)")
    was_training = model.training
    model.eval()
    hits = {"own": 0, "shuffled": 0, "zero": 0}
    n = 0
    try:
        for b, batch in enumerate(loader):
            if max_batches is not None and b >= max_batches:
                break
            x, y = batch["x"].to(model.device), batch["y"].to(model.device)
            tokens = model.forward(x).joint_tokens  # (N, V, C)
            text = model.joint_text[y]
            variants = {"own": tokens, "shuffled": torch.roll(tokens, 1, dims=0), "zero": torch.zeros_like(tokens)}
            for name, tok in variants.items():
                pred = model.classifier(model.interaction(text, tok)).argmax(1)
                hits[name] += int((pred == y).sum())
            n += len(y)
    finally:
        model.train(was_training)
    return {**{k: v / max(n, 1) for k, v in hits.items()}, "samples": n}
