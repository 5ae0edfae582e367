"""Training throughput of the paper recipe on one GPU, option by option, on synthetic
tensors (no data files): InfoGCN as configured (configs/ntu120.yaml, which includes
configs/paper.yaml) with CrossGLG's guidance (G2L and L2G), T=64, M=2, V=25, batch 64,
384-d text, 100 auxiliary classes. Each option is timed end to end (forward, the losses,
backward, the SGD step) and reported as samples/s, peak GPU memory and the hours the
NTU-120 grid (experiments/sweeps/ntu120_oneshot.yaml: 120 runs x 110 epochs, each run's
steps from `crossglg.sweep`'s training-set estimate, ~950 recordings an auxiliary class)
would take on one GPU at that rate.

    python experiments/bench_gpu.py [--quick] [--out bench_gpu.json]
    python experiments/bench_gpu.py --device cpu --quick --batch 4 --window 8 --widths 8 8 8 16 16 16 16 16 16 \
        --options fp32 nosync --procs 1          # a smoke test at tiny sizes

The options (`--options` picks some; each is one change from the fp32 baseline unless its
name says more):

- `fp32`: the baseline: fp32, eager, one host sync a step (`loss.item()`, as per-step
  logging of the loss does).
- `bf16`: bf16 autocast (the recipe's `precision: bf16-mixed`).
- `compile`: `torch.compile` of the network's loss function (default mode).
- `cudagraphs`: `torch.compile(mode="reduce-overhead")`: CUDA graphs.
- `sdpa-math`: the cross-modal interaction's attention (`nn.MultiheadAttention`, which
  calls `scaled_dot_product_attention`) held to the unfused math kernel: the baseline,
  which may use the fused kernels, against it. InfoGCN's SA-GC attention cannot use SDPA
  without a code change: it multiplies the softmax by a learned per-head topology before
  aggregating, and aggregates the input features, not per-head values.
- `nosync`: no host sync inside the step (one at the end of the timing).
- `bf16+compile+nosync`: the three together.
- `batch`: bf16 at the larger `--batches` (128, 256), the learning rate scaled linearly.
- `procs`: k processes on the one GPU at once (`--procs`: 1, 2, 4, 8), each a copy of a
  timing worker (bf16, the base batch) timing the same window of time; samples/s summed.
- `inference`: text-free inference (encoder + JID, no text: what a one-shot query costs)
  against the bare encoder's, as a ratio.

Each option runs in its own try/except: a failure is a row with its error, never the end
of the others. `--quick` (~2 minutes, plus torch.compile's compile time) times fewer steps and
fewer process counts; the whole run stops starting options after `--budget-s` seconds
(default 540; quick 150), so it ends within 10 minutes. `--out FILE` writes the record as JSON.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
OPTIONS = (
    "fp32",
    "bf16",
    "compile",
    "cudagraphs",
    "sdpa-math",
    "nosync",
    "bf16+compile+nosync",
    "batch",
    "procs",
    "inference",
)


# -- the workload ------------------------------------------------------------------------


def recipe(a) -> dict:
    """The network and batch of the paper recipe, from `--config` (resolved as `fit` would,
    CrossGLG's guidance on), with the sizes the flags give: `{net, batch, window, persons,
    lr, epochs}`; `net` holds `CrossGLGNet`'s arguments."""
    net: dict = {"encoder": {"name": "infogcn"}, "guidance": {"g2l": True, "l2g": True}, "classifier": {}}
    batch, window, persons, lr, epochs = 64, 64, 2, 0.1, 110
    if a.config != "none":
        from crossglg.train import resolve_config

        cfg = resolve_config(["--config", a.config])
        model, data, trainer = cfg.get("model") or {}, cfg.get("data") or {}, cfg.get("trainer") or {}
        net = {k: dict(model.get(k) or {}) for k in ("encoder", "guidance", "classifier")}
        loader, transform = data.get("loader") or data, data.get("transform") or data
        batch, window = int(loader.get("batch_size", batch)), int(transform.get("window", window))
        persons, lr = int(data.get("persons", persons)), float((model.get("optimiser") or {}).get("lr", lr))
        epochs = int(trainer.get("max_epochs") or epochs)
    net["guidance"].update(g2l=True, l2g=True)
    if a.widths:
        net["encoder"]["args"] = dict(net["encoder"].get("args") or {}, widths=a.widths)
    net.update(num_classes=a.classes, text_dim=a.text_dim, persons=a.persons or persons)
    return {
        "net": net,
        "batch": a.batch or batch,
        "window": a.window or window,
        "persons": a.persons or persons,
        "lr": lr,
        "epochs": a.epochs or epochs,
    }


def build(spec: dict, device: str, batch: int, guided: bool = True):
    """A fresh network (seeded) and a synthetic batch: `x (batch, 3, T, 25, M)`, labels,
    `joint_text (classes, 25, text_dim)`, `k_gt (classes, 25)`."""
    from crossglg.models.network import CrossGLGNet

    torch.manual_seed(0)
    args = json.loads(json.dumps(spec["net"]))
    if not guided:
        args["guidance"].update(g2l=False, l2g=False)
    net = CrossGLGNet(**args).to(device)
    a, v = args["num_classes"], 25
    x = torch.randn(batch, 3, spec["window"], v, spec["persons"], device=device)
    y = torch.randint(0, a, (batch,), device=device)
    text = torch.randn(a, v, args["text_dim"], device=device)
    k_gt = torch.softmax(torch.randn(a, v, device=device), 1)
    return net, (x, y, text, k_gt)


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def train_step(net, inputs, lr: float, device: str, bf16=False, compile_mode=None, host_sync=True):
    """One training step as a closure: SGD Nesterov (the recipe's), the loss under bf16
    autocast or not, the network's loss function compiled or not, `loss.item()` or not."""
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
    losses = net.losses
    if compile_mode is not None:
        losses = torch.compile(net.losses, mode=None if compile_mode == "default" else compile_mode)
    kind = torch.device(device).type
    net.train()

    def step():
        opt.zero_grad(set_to_none=True)
        with torch.autocast(kind, dtype=torch.bfloat16, enabled=bf16):
            loss = losses(*inputs)["loss"]
        loss.backward()
        opt.step()
        if host_sync:
            loss.item()

    return step


def timed(step, warmup: int, steps: int, device: str) -> float:
    """Seconds per call: `warmup` calls (compilation, CUDA graph capture), then the mean of `steps`."""
    for _ in range(warmup):
        step()
    sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    sync(device)
    return (time.perf_counter() - start) / steps


def peak_mib(device: str) -> float | None:
    return torch.cuda.max_memory_allocated() / 2**20 if device.startswith("cuda") else None


def reset(device: str) -> None:
    torch._dynamo.reset()
    gc.collect()
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


# -- the options -------------------------------------------------------------------------


def measure_training(spec, a, batch=None, bf16=False, compile_mode=None, host_sync=True, math_sdpa=False) -> dict:
    batch = spec["batch"] if batch is None else batch
    net, inputs = build(spec, a.device, batch)
    lr = spec["lr"] * batch / spec["batch"]
    step = train_step(net, inputs, lr, a.device, bf16, compile_mode, host_sync)
    warmup = max(a.warmup, 3 if compile_mode else 0)
    if math_sdpa:
        from torch.nn.attention import SDPBackend, sdpa_kernel

        with sdpa_kernel([SDPBackend.MATH]):
            s = timed(step, warmup, a.steps, a.device)
    else:
        s = timed(step, warmup, a.steps, a.device)
    return {"batch": batch, "lr": lr, "samples_per_s": batch / s, "s_per_step": s, "peak_mib": peak_mib(a.device)}


def measure_inference(spec, a, rounds: int = 3) -> dict:
    """Text-free inference (CrossGLG's `embed`: encoder + JID) against the bare encoder's,
    timed alternately over `rounds` rounds, the fastest of each kept (drift, noise)."""
    calls = {}
    for name, guided in (("crossglg", True), ("bare", False)):
        net, (x, *_) = build(spec, a.device, spec["batch"], guided)
        net.eval()

        def infer(net=net, x=x):
            with torch.no_grad():
                net.embed(x)

        calls[name] = infer
    best = {name: timed(fn, a.warmup, 2 * a.steps, a.device) for name, fn in calls.items()}
    for _ in range(rounds - 1):
        for name, fn in calls.items():
            best[name] = min(best[name], timed(fn, 0, 2 * a.steps, a.device))
    return {
        "batch": spec["batch"],
        "samples_per_s": spec["batch"] / best["crossglg"],
        "bare_samples_per_s": spec["batch"] / best["bare"],
        "inference_ratio": best["crossglg"] / best["bare"],
        "peak_mib": peak_mib(a.device),
    }


def measure_procs(spec, a, k: int) -> dict:
    """k timing workers at once on the one device, each timing the same window of time
    after all are warm; their samples/s summed, their peak memories summed."""
    with tempfile.TemporaryDirectory() as tmp:
        spec_path = Path(tmp) / "spec.json"
        spec_path.write_text(json.dumps(spec))
        cmd = [sys.executable, __file__, "--worker", str(spec_path), "--barrier", tmp, "--k", str(k)]
        cmd += ["--device", a.device, "--warmup", str(a.warmup), "--proc-seconds", str(a.proc_seconds)]
        env = dict(os.environ)
        if a.device == "cpu":  # the cores shared as the sweep runner shares them
            env["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // k))
        procs = [
            subprocess.Popen(
                cmd + ["--rank", str(i)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
            )
            for i in range(k)
        ]
        results, errors = [], []
        for p in procs:
            out, err = p.communicate(timeout=a.proc_seconds + 300)
            if p.returncode != 0:
                errors.append(err.strip().splitlines()[-1] if err.strip() else f"exit {p.returncode}")
            else:
                results.append(json.loads(out.strip().splitlines()[-1]))
    if errors:
        raise RuntimeError(f"{len(errors)} of {k} workers failed: {errors[0]}")
    peaks = [r["peak_mib"] for r in results if r["peak_mib"] is not None]
    return {
        "batch": spec["batch"],
        "procs": k,
        "samples_per_s": sum(r["samples_per_s"] for r in results),
        "per_proc": [round(r["samples_per_s"], 1) for r in results],
        "peak_mib": sum(peaks) if peaks else None,
    }


def worker(a) -> None:
    """One of k timing processes: warm up, wait for the others, count steps for `proc_seconds`."""
    spec = json.loads(Path(a.worker).read_text())
    if a.device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    net, inputs = build(spec, a.device, spec["batch"])
    step = train_step(net, inputs, spec["lr"], a.device, bf16=True, host_sync=False)
    for _ in range(max(1, a.warmup)):
        step()
    sync(a.device)
    barrier = Path(a.barrier)
    (barrier / f"ready.{a.rank}").touch()
    deadline = time.monotonic() + 600
    while len(list(barrier.glob("ready.*"))) < a.k:
        if time.monotonic() > deadline:
            raise SystemExit("the other workers never got ready")
        time.sleep(0.01)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < a.proc_seconds:
        for _ in range(5):
            step()
        sync(a.device)
        steps += 5
    elapsed = time.perf_counter() - start
    print(json.dumps({"samples_per_s": steps * spec["batch"] / elapsed, "peak_mib": peak_mib(a.device)}))


# -- the projection ----------------------------------------------------------------------


def grid_samples(sweep_file: Path, epochs: int, batch: int) -> tuple[int, int]:
    """`(runs, samples)` of the NTU-120 grid at `batch`: each run `epochs` x its steps per
    epoch (its auxiliary classes x ~950 recordings, `crossglg.sweep.TRAINING_SET_ESTIMATES`,
    // batch) x batch."""
    from crossglg.sweep import TRAINING_SET_ESTIMATES, expand, read_sweep

    per_class = TRAINING_SET_ESTIMATES["ntu120_oneshot"][0]
    runs = expand(read_sweep(sweep_file))
    total = 0
    for params in runs:
        aux = params.get("data.num_aux_classes", params.get("data.aux_classes")) or 100
        total += epochs * (round(aux * per_class) // batch) * batch
    return len(runs), total


# -- the table ---------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--quick", action="store_true", help="fewer steps and process counts (~2 min plus compile time)")
    ap.add_argument("--out", help="write the record as JSON here")
    ap.add_argument("--config", default=str(ROOT / "configs" / "ntu120.yaml"), help="the recipe ('none': defaults)")
    ap.add_argument("--options", nargs="+", default=list(OPTIONS), choices=OPTIONS, metavar="OPTION")
    ap.add_argument("--batch", type=int, help="the base batch (default: the config's, 64)")
    ap.add_argument("--batches", type=int, nargs="+", default=[128, 256], help="the larger batches")
    ap.add_argument("--procs", type=int, nargs="+", help="process counts (default 1 2 4 8; quick 1 2 4)")
    ap.add_argument("--window", type=int, help="frames T (default: the config's, 64)")
    ap.add_argument("--persons", type=int, help="bodies M (default: the config's, 2)")
    ap.add_argument("--classes", type=int, default=100, help="auxiliary classes")
    ap.add_argument("--text-dim", type=int, default=384)
    ap.add_argument("--widths", type=int, nargs="+", help="the encoder's block widths (small sizes for a smoke test)")
    ap.add_argument("--epochs", type=int, help="epochs a run (default: the config's, 110)")
    ap.add_argument("--warmup", type=int, help="untimed steps first (default 10; quick 3)")
    ap.add_argument("--steps", type=int, help="timed steps (default 30; quick 10)")
    ap.add_argument("--proc-seconds", type=float, help="each process count's timing window (default 15; quick 5)")
    ap.add_argument("--budget-s", type=float, help="start no option after this many seconds (default 540; quick 150)")
    ap.add_argument("--sweep", default=str(ROOT / "experiments" / "sweeps" / "ntu120_oneshot.yaml"))
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--barrier", help=argparse.SUPPRESS)
    ap.add_argument("--rank", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--k", type=int, default=1, help=argparse.SUPPRESS)
    a = ap.parse_args()
    quick = a.quick
    a.warmup = a.warmup if a.warmup is not None else (3 if quick else 10)
    a.steps = a.steps or (10 if quick else 30)
    a.proc_seconds = a.proc_seconds or (5.0 if quick else 15.0)
    a.budget_s = a.budget_s or (150.0 if quick else 540.0)
    a.procs = a.procs or ([1, 2, 4] if quick else [1, 2, 4, 8])
    if a.worker:
        worker(a)
        return
    if a.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit("error: no CUDA device here (--device cpu for a smoke test)")
    started = time.monotonic()
    spec = recipe(a)
    name = torch.cuda.get_device_name(0) if a.device.startswith("cuda") else f"CPU ({os.cpu_count()} cores)"
    runs, _ = grid_samples(Path(a.sweep), spec["epochs"], spec["batch"])

    plan: list[tuple[str, dict]] = []
    for opt in a.options:
        if opt == "batch":
            plan += [
                (f"bf16, batch {b} (lr x{b / spec['batch']:g})", {"kind": "train", "batch": b, "bf16": True})
                for b in a.batches
            ]
        elif opt == "procs":
            plan += [
                (f"{k} process(es) on one device (bf16, batch {spec['batch']})", {"kind": "procs", "k": k})
                for k in a.procs
            ]
        else:
            plan.append((opt, {"kind": opt}))

    rows = []
    for label, job in plan:
        row = {"option": label}
        if time.monotonic() - started > a.budget_s:
            rows.append(dict(row, error=f"skipped: past the {a.budget_s:.0f} s budget"))
            continue
        t0 = time.monotonic()
        try:
            reset(a.device)
            kind = job["kind"]
            if kind == "train":
                row.update(measure_training(spec, a, batch=job["batch"], bf16=job["bf16"]))
            elif kind == "procs":
                row.update(measure_procs(spec, a, job["k"]))
            elif kind == "inference":
                row.update(measure_inference(spec, a))
            else:
                row.update(
                    measure_training(
                        spec,
                        a,
                        bf16=kind in ("bf16", "bf16+compile+nosync"),
                        compile_mode={"compile": "default", "cudagraphs": "reduce-overhead"}.get(
                            kind, "default" if kind == "bf16+compile+nosync" else None
                        ),
                        host_sync=kind not in ("nosync", "bf16+compile+nosync"),
                        math_sdpa=kind == "sdpa-math",
                    )
                )
            if kind != "inference":
                _, samples = grid_samples(Path(a.sweep), spec["epochs"], row["batch"])
                row["grid_hours"] = samples / row["samples_per_s"] / 3600
        except Exception as e:  # noqa: BLE001 - one option's failure is a row, the others go on
            row["error"] = f"{type(e).__name__}: {' '.join(str(e).split())[:200]}"
        row["seconds"] = round(time.monotonic() - t0, 1)
        rows.append(row)
        print(
            f"[{time.monotonic() - started:5.0f} s] {label}: "
            + (row.get("error") or f"{row['samples_per_s']:.1f} samples/s"),
            file=sys.stderr,
        )

    base = next((r["samples_per_s"] for r in rows if r["option"] == "fp32" and "samples_per_s" in r), None)
    enc = spec["net"]["encoder"]
    print(
        f"\n{name}, torch {torch.__version__}: {enc['name']} + CrossGLG (G2L, L2G), batch {spec['batch']}, "
        f"T={spec['window']}, V=25, M={spec['persons']}, text {spec['net']['text_dim']}-d, "
        f"{spec['net']['num_classes']} classes; {a.warmup} warm-up + {a.steps} timed steps"
    )
    print(
        f"NTU-120 grid: {runs} runs x {spec['epochs']} epochs, each run's steps from ~950 recordings an auxiliary "
        "class (every run timed as InfoGCN + CrossGLG: an upper bound for the plain and ST-GCN runs)\n"
    )
    print("| option | samples/s | vs fp32 | peak GPU MiB | NTU-120 grid, hours on one GPU | note |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print(f"| {r['option']} | - | - | - | - | {r['error']} |")
            continue
        sps = r["samples_per_s"]
        rel = f"{sps / base:.2f}x" if base and "inference_ratio" not in r else "-"
        peak = f"{r['peak_mib']:,.0f}" if r.get("peak_mib") is not None else "-"
        hours = f"{r['grid_hours']:,.0f}" if "grid_hours" in r else "-"
        note = ""
        if "inference_ratio" in r:
            note = (
                f"text-free / bare encoder: {r['inference_ratio']:.3f} (bare {r['bare_samples_per_s']:.1f} samples/s)"
            )
        elif "per_proc" in r:
            note = f"per process: {r['per_proc']}"
        elif r["option"] == "sdpa-math":
            note = (
                "interaction attention on the math kernel (fp32 row: fused allowed); SA-GC: n/a without a code change"
            )
        print(f"| {r['option']} | {sps:,.1f} | {rel} | {peak} | {hours} | {note} |")
    print(f"\n{time.monotonic() - started:.0f} s in all")
    if a.out:
        record = {
            "device": a.device,
            "device_name": name,
            "torch": torch.__version__,
            "spec": spec,
            "warmup": a.warmup,
            "steps": a.steps,
            "grid": {"sweep": a.sweep, "runs": runs, "epochs": spec["epochs"]},
            "rows": rows,
            "seconds": round(time.monotonic() - started, 1),
        }
        Path(a.out).write_text(json.dumps(record, indent=1, default=str))


if __name__ == "__main__":
    main()
