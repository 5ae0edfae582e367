"""Parameters and FLOPs of a network built from model arguments (the `model-info` command
and `make bench` print them)."""

from __future__ import annotations

import torch


def model_info(model_args: dict, window: int = 64, persons: int = 2) -> dict:
    """`model_args`: the network's arguments (`num_classes`, `text_dim`, and the groups
    `encoder`, `guidance`, `classifier` as dicts or `crossglg.settings` instances; other
    keys are ignored)."""
    from torch.utils.flop_counter import FlopCounterMode

    from ..settings import EncoderConfig, as_group
    from .checkpoint import NETWORK_KEYS
    from .network import CrossGLGNet, count_parameters

    model = CrossGLGNet(
        **{k: v for k, v in model_args.items() if k in NETWORK_KEYS and k != "persons"}, persons=persons
    ).eval()
    x = torch.randn(1, 3, window, 25, persons)
    # Counted with autograd on: under no_grad the counter's module tracker fails on a layer
    # that iterates over a parameter (CTR-GCN's adjacency); the forward FLOPs are the same.
    with FlopCounterMode(display=False) as fc:
        model.embed(x)
    enc, jid = count_parameters(model.encoder), count_parameters(model.jid)
    return {
        "encoder": as_group(EncoderConfig, model_args.get("encoder")).name,
        "encoder_params": enc,
        "jid_params": jid,
        "inference_params": enc + jid,
        "interaction_params": count_parameters(model.interaction),
        "classifier_params": count_parameters(model.classifier),
        "training_params": count_parameters(model),
        "gflops_per_sample": fc.get_total_flops() / 1e9,
        "window": window,
        "persons": persons,
    }
