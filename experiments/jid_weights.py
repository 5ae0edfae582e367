"""How far the JID's re-weighting of the joints, `V * k_out` (1 for every joint is no
re-weighting), is from the identity: at initialisation (the network a config builds,
one per seed) and in trained runs (their `checkpoints/last.ckpt`). It answers whether
re-weighting from an untrained JID at epoch 0 distorts the encoder's features, i.e.
whether the JID needs a warm-up.

    python experiments/jid_weights.py --config configs/utdmhad.yaml --config configs/encoders/infogcn.yaml \
        --seeds 10 --runs runs/sweeps/utdmhad_encoders/*config=crossglg

Measured on up to `--samples` auxiliary-class training recordings (evaluation
transform), in training mode at initialisation (as epoch 0 runs) and in evaluation mode
for trained runs. Per network: the mean over recordings of the largest |w - 1| over
joints, the mean spread (sd) of w over joints, and the smallest and largest w seen.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import torch

from crossglg.data.datamodule import SkeletonDataModule
from crossglg.models.checkpoint import load_inference_model
from crossglg.models.network import CrossGLGNet
from crossglg.train import network_args, resolve_config


def weight_stats(net: CrossGLGNet, batches: list[torch.Tensor]) -> dict[str, float]:
    """`V * k_out` over `batches` of `(N, C, T, V, M)`: mean max |w - 1|, mean sd over joints, min, max."""
    with torch.no_grad():
        k = torch.cat([net(x).k_out for x in batches])  # (N, V)
    w = k * k.shape[1]
    return {
        "max_dev": float((w - 1).abs().amax(1).mean()),
        "sd": float(w.std(1).mean()),
        "min": float(w.min()),
        "max": float(w.max()),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--config", action="append", required=True, help="config files as fit takes them")
    p.add_argument("--seeds", type=int, default=10, help="untrained networks, seeds 0..N-1")
    p.add_argument("--runs", nargs="*", default=[], help="fit run folders whose last.ckpt to measure")
    p.add_argument("--samples", type=int, default=256)
    a = p.parse_args()
    cfg = resolve_config([x for c in a.config for x in ("--config", c)])
    data = cfg["data"]
    dm = SkeletonDataModule(**data)
    dm.setup("fit")
    batches, n = [], 0
    for batch in dm.aux_eval_dataloader():
        batches.append(batch["x"][: a.samples - n])
        n += len(batches[-1])
        if n >= a.samples:
            break
    model = network_args(cfg)
    untrained, trained = [], []
    for seed in range(a.seeds):
        torch.manual_seed(seed)
        net = CrossGLGNet(**model).train()  # epoch 0: training mode
        if net.jid is None:
            raise SystemExit("the config has no JID (guidance.g2l is off)")
        untrained.append((f"untrained, seed {seed}", weight_stats(net, batches)))
    for run in a.runs:
        net = load_inference_model(Path(run) / "checkpoints" / "last.ckpt")
        trained.append((f"trained: {Path(run).name}", weight_stats(net, batches)))
    print(f"V * k_out on {n} auxiliary recordings ({data['dataset']}); 1 = no re-weighting\n")
    print("| network | mean max abs(w - 1) | mean sd over joints | min w | max w |\n|---|---|---|---|---|")
    for name, s in untrained + trained:
        print(f"| {name} | {s['max_dev']:.3f} | {s['sd']:.3f} | {s['min']:.2f} | {s['max']:.2f} |")
    for label, rows in (("untrained", untrained), ("trained", trained)):
        if rows:
            sel = [s for _, s in rows]
            print(
                f"\n{label} ({len(sel)}): mean max abs(w - 1) {statistics.mean(s['max_dev'] for s in sel):.3f}, "
                f"mean sd {statistics.mean(s['sd'] for s in sel):.3f}, "
                f"w in [{min(s['min'] for s in sel):.2f}, {max(s['max'] for s in sel):.2f}]"
            )


if __name__ == "__main__":
    main()
