"""`model-info`: parameters and FLOPs of a configured model."""

from __future__ import annotations

import json

import torch


def add_commands(sub) -> None:
    m = sub.add_parser("model-info", help="parameters and FLOPs of a configured model",
                       description="Build the model of a config (without data) and count parameters and FLOPs "
                                   "at the config's window and persons (default: NTU settings T=64, V=25, M=2).")
    m.add_argument("--config", required=True, action="append",
                   help="a config file as `fit` takes it; repeat to layer (e.g. a setting, then configs/methods/*.yaml)")
    m.add_argument("--num-classes", type=int, default=None, help="default: the protocol's auxiliary classes")
    m.add_argument("--text-dim", type=int, default=384)
    m.add_argument("--json", action="store_true")
    m.set_defaults(func=_model_info)


def model_info(model_args: dict, window: int = 64, persons: int = 2) -> dict:
    from torch.utils.flop_counter import FlopCounterMode

    from .network import ARCHITECTURE, LOSS, CrossGLGNet, count_parameters

    model = CrossGLGNet(**{k: v for k, v in model_args.items() if k in ARCHITECTURE + LOSS}).eval()
    x = torch.randn(1, 3, window, 25, persons)
    with torch.no_grad(), FlopCounterMode(display=False) as fc:
        model.embed(x)
    enc, jid = count_parameters(model.encoder), count_parameters(model.jid)
    return {"encoder": model_args.get("encoder", "infogcn"), "encoder_params": enc, "jid_params": jid,
            "inference_params": enc + jid, "interaction_params": count_parameters(model.interaction),
            "classifier_params": count_parameters(model.classifier), "training_params": count_parameters(model),
            "gflops_per_sample": fc.get_total_flops() / 1e9, "window": window, "persons": persons}


def _model_info(args) -> int:
    from ..train import resolve_config

    argv = [x for path in args.config for x in ("--config", path)]
    cfg = resolve_config(argv)
    margs = {k: v for k, v in (cfg.get("model") or {}).items() if not k.startswith("_")}
    data = cfg.get("data") or {}
    if args.num_classes:
        margs["num_classes"] = args.num_classes
    else:
        from ..data.protocols import get_protocol

        proto = get_protocol(data.get("protocol") or f"{data.get('dataset', 'builtin')}_oneshot")
        n = data.get("aux_classes")
        margs["num_classes"] = len(proto.auxiliary_classes(n=n)) if proto.auxiliary is not None else 31
    margs.setdefault("text_dim", args.text_dim)
    info = model_info(margs, data.get("window", 64), data.get("persons", 2))
    if args.json:
        print(json.dumps(info))
    else:
        for k, v in info.items():
            print(f"{k}: {v:,}" if isinstance(v, int) else f"{k}: {v}")
    return 0
