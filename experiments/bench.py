"""Speed and memory benchmark (`make bench`): training step and inference time per
sample of each encoder, bare and with CrossGLG, at NTU settings (T=64, V=25, M=2),
measured in the same run; parameters and FLOPs; peak memory. Writes bench.json with, per
encoder, `train_step_ratio` (CrossGLG training step / bare encoder step) and
`inference_ratio` (text-free inference / bare encoder inference) under `ratios`, and the
first encoder's at the top level; `--record` also writes `results/bench/<date>.json`.

    python experiments/bench.py [--batch 16] [--repeats 5] [--device cpu|cuda] [--bf16] [--compile] [--record]

Targets: training step at most 1.3x the bare encoder's, inference at most 1.05x.
Text embeddings are cached tensors here as in training (never recomputed per step).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

from crossglg.models.info import model_info
from crossglg.models.network import CrossGLGNet
from crossglg.settings import EncoderConfig, GuidanceConfig

REPO = Path(__file__).resolve().parents[1]


def timed(fn, repeats: int, device: str) -> float:
    for _ in range(2):
        fn()
    times = []
    for _ in range(repeats):
        if device == "cuda":
            torch.cuda.synchronize()
        t = time.perf_counter()
        fn()
        if device == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def measure(encoder: str, variant: str, batch: int, repeats: int, device: str, bf16: bool, compile_: bool) -> dict:
    torch.manual_seed(0)
    crossglg = variant == "crossglg"
    m = CrossGLGNet(
        num_classes=100,
        text_dim=384,
        encoder=EncoderConfig(encoder),
        guidance=GuidanceConfig(g2l=crossglg, l2g=crossglg),
    ).to(device)
    text = (torch.randn(100, 25, 384, device=device), torch.softmax(torch.randn(100, 25, device=device), 1))
    x = torch.randn(batch, 3, 64, 25, 2, device=device)
    y = torch.randint(0, 100, (batch,), device=device)
    opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9, nesterov=True)
    losses = torch.compile(m.losses) if compile_ else m.losses
    embed = torch.compile(m.embed) if compile_ else m.embed
    ctx = (lambda: torch.autocast(device, dtype=torch.bfloat16)) if bf16 else torch.enable_grad

    def step():
        opt.zero_grad(set_to_none=True)
        with ctx():
            loss = losses(x, y, *text)["loss"]
        loss.backward()
        opt.step()

    def infer():
        with torch.no_grad(), torch.autocast(device, dtype=torch.bfloat16) if bf16 else torch.enable_grad():
            embed(x)

    m.train()
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    t_train = timed(step, repeats, device)
    m.eval()
    t_inf = timed(infer, 4 * repeats, device)  # short calls: more of them
    peak = (
        torch.cuda.max_memory_allocated() / 2**20
        if device == "cuda"
        else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    )
    return {
        "encoder": encoder,
        "variant": variant,
        "train_ms_per_sample": 1000 * t_train / batch,
        "infer_ms_per_sample": 1000 * t_inf / batch,
        "peak_mb": peak,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--bf16", action="store_true")
    ap.add_argument("--compile", action="store_true")
    ap.add_argument("--encoders", nargs="+", default=["infogcn", "infogcn_lite", "ctrgcn", "stgcn"])
    ap.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="measure every model this many times, interleaved, and keep the fastest (drift, noise)",
    )
    ap.add_argument("--out", default="bench.json")
    ap.add_argument("--record", action="store_true", help="also write results/bench/<date>.json")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        torch.set_num_threads(torch.get_num_threads())
        print(json.dumps(measure(a.child[0], a.child[1], a.batch, a.repeats, a.device, a.bf16, a.compile)))
        return
    by: dict[tuple[str, str], dict] = {}
    for _ in range(a.rounds):
        for enc in a.encoders:
            for variant in ("bare", "crossglg"):
                cmd = (
                    [
                        sys.executable,
                        __file__,
                        "--child",
                        enc,
                        variant,
                        "--batch",
                        str(a.batch),
                        "--repeats",
                        str(a.repeats),
                        "--device",
                        a.device,
                    ]
                    + (["--bf16"] if a.bf16 else [])
                    + (["--compile"] if a.compile else [])
                )
                out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
                r = json.loads(out.strip().splitlines()[-1])
                best = by.setdefault((enc, variant), r)
                for k in ("train_ms_per_sample", "infer_ms_per_sample"):
                    best[k] = min(best[k], r[k])
                best["peak_mb"] = max(best["peak_mb"], r["peak_mb"])
    rows = []
    for enc in a.encoders:
        info = {
            v: model_info(
                {
                    "num_classes": 100,
                    "encoder": EncoderConfig(enc),
                    "guidance": GuidanceConfig(g2l=v == "crossglg", l2g=v == "crossglg"),
                }
            )
            for v in ("bare", "crossglg")
        }
        for variant in ("bare", "crossglg"):
            r = by[(enc, variant)]
            r.update(
                params_inference=info[variant]["inference_params"],
                params_training=info[variant]["training_params"],
                gflops=info[variant]["gflops_per_sample"],
            )
            rows.append(r)
    ref = a.encoders[0]
    ratios = {
        enc: {
            k: by[(enc, "crossglg")][ms] / by[(enc, "bare")][ms]
            for k, ms in (("train_step_ratio", "train_ms_per_sample"), ("inference_ratio", "infer_ms_per_sample"))
        }
        for enc in a.encoders
    }
    result = {
        "device": a.device,
        "batch": a.batch,
        "bf16": a.bf16,
        "compile": a.compile,
        "threads": torch.get_num_threads(),
        "rounds": a.rounds,
        "repeats": a.repeats,
        **ratios[ref],
        "ratios": ratios,
        "rows": rows,
    }
    outs = [Path(a.out)] + (
        [REPO / "results" / "bench" / f"{time.strftime('%Y-%m-%d-%H%M%S')}.json"] if a.record else []
    )
    for out in outs:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=1))
    print(f"device {a.device}, batch {a.batch}, T=64 V=25 M=2, bf16={a.bf16}, compile={a.compile}")
    print(
        "| encoder | model | train ms/sample | inference ms/sample | inference params | training params | GFLOPs/sample (inference) | peak MB |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        name = "bare encoder" if r["variant"] == "bare" else "CrossGLG (train: both branches; infer: text-free)"
        print(
            f"| {r['encoder']} | {name} | {r['train_ms_per_sample']:.1f} | {r['infer_ms_per_sample']:.1f} | "
            f"{r['params_inference'] / 1e6:.3f} M | {r['params_training'] / 1e6:.3f} M | {r['gflops']:.2f} | {r['peak_mb']:.0f} |"
        )
    print()
    print("| encoder | CrossGLG / bare: training step (target <= 1.3) | text-free inference / bare (target <= 1.05) |")
    print("|---|---|---|")
    for enc, r in ratios.items():
        print(f"| {enc} | {r['train_step_ratio']:.3f} | {r['inference_ratio']:.3f} |")
    for out in outs[1:]:
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
