"""The CrossGLG ablation on one benchmark: plain encoder vs G2L vs L2G vs both (and
both + distillation), several seeds, same budget; prints a markdown table with mean
and standard deviation of the text-free branch's one-shot top-1.

    python experiments/ablation.py --config configs/utdmhad.yaml --seeds 0 1 2 [--out results/ablation-utdmhad]

Each run is `python -m crossglg fit` in its own process and writes its result file;
finished runs are skipped when the command is run again (resumable).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

METHODS = Path(__file__).resolve().parent.parent / "configs" / "methods"
# variant -> its method overlay in configs/methods/
VARIANTS = {
    "plain encoder": "plain",
    "G2L only": "g2l",
    "L2G only": "l2g",
    "CrossGLG (both)": "crossglg",
    "CrossGLG + distillation": "distill",
}


def run(config: str, variant: str, seed: int, out: Path, extra: list[str]) -> dict:
    slug = variant.lower().replace(" ", "-").replace("(", "").replace(")", "").replace("+", "plus")
    root = out / f"{slug}-seed{seed}"
    result = root / "result.json"
    if result.exists():
        return json.loads(result.read_text())
    cmd = [sys.executable, "-m", "crossglg", "fit", "--config", config,
           "--config", str(METHODS / f"{VARIANTS[variant]}.yaml"), "--seed_everything", str(seed),
           "--data.seed", str(seed), "--trainer.default_root_dir", str(root), "--trainer.enable_progress_bar", "false",
           *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{variant} seed {seed} failed:\n{proc.stderr[-3000:]}")
    files = sorted(root.rglob("oneshot_validate.json"), key=lambda p: p.stat().st_mtime)
    res = json.loads(files[-1].read_text())
    floor = next((ln for ln in proc.stdout.splitlines() if "floor" in ln), "")
    res["floor_line"] = floor.strip()
    result.write_text(json.dumps(res))
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS))
    ap.add_argument("--out", default=None)
    ap.add_argument("extra", nargs="*", help="further overrides after --, e.g. -- --trainer.max_epochs 5")
    a = ap.parse_args()
    out = Path(a.out or f"results/ablation-{Path(a.config).stem}")
    out.mkdir(parents=True, exist_ok=True)
    rows, floor = [], ""
    for variant in a.variants:
        accs = []
        for seed in a.seeds:
            r = run(a.config, variant, seed, out, a.extra)
            accs.append(r["top1"])
            floor = r.get("floor_line") or floor
            print(f"{variant:<26} seed {seed}: {r['top1']:.3f}", flush=True)
        sd = statistics.stdev(accs) if len(accs) > 1 else 0.0
        rows.append((variant, statistics.mean(accs), sd, accs))
    lines = [f"| method ({Path(a.config).stem}, text-free inference) | one-shot top-1 mean | std | seeds |",
             "|---|---|---|---|"]
    lines += [f"| {v} | {m:.3f} | {s:.3f} | {', '.join(f'{x:.3f}' for x in accs)} |" for v, m, s, accs in rows]
    if floor:
        lines.append(f"\n{floor}")
    table = "\n".join(lines)
    (out / "table.md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
