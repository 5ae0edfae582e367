"""`make tables`: our one-shot results beside the paper's (its Tables: InfoGCN base encoder), as
markdown (results/tables.md) and CSV (results/tables.csv), mean and spread over seeds.

Reads every `result.json` under results/sweeps/<sweep>/ written by
`python -m crossglg sweep`, grouped by the settings each run actually used: the
protocol (a validation split such as `utdmhad_val` is a benchmark of its own), encoder,
method and auxiliary classes; where one benchmark's runs train for different numbers of
epochs, the method names its length. A row's n counts seeds: runs of one setting at
the same `(seed_everything, data.seed)` in several sweeps are repeats of one run, and
count once, at their mean.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
from collections import defaultdict
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from crossglg.models.encoder import ENCODER_ALIASES  # noqa: E402
from crossglg.run_result import seed_of  # noqa: E402

# Top-1 % from the paper (InfoGCN base encoder); keys: benchmark -> method -> aux classes -> value.
PAPER = {
    "ntu120_oneshot": {
        "plain encoder": {20: 37.0, 40: 53.9, 60: 58.8, 80: 55.7, 100: 56.1},
        "G2L only": {20: 43.3, 60: 60.9, 100: 61.7},
        "L2G only": {20: 42.5, 60: 61.7, 100: 58.6},
        "CrossGLG": {20: 45.3, 40: 56.8, 60: 62.1, 80: 61.6, 100: 62.6},
    },
    "ntu60_oneshot": {
        "plain encoder": {10: 51.1, 20: 62.1, 30: 65.7, 40: 72.1, 50: 72.3},
        "CrossGLG": {10: 57.9, 20: 67.1, 30: 70.9, 40: 73.4, 50: 75.6},
    },
}
ALL_AUX = {"ntu120_oneshot": 100, "ntu60_oneshot": 50}


def method_of(settings: dict) -> str:
    name = {(False, False): "plain encoder", (True, False): "G2L only", (False, True): "L2G only",
            (True, True): "CrossGLG"}[(bool(settings["g2l"]), bool(settings["l2g"]))]
    if settings.get("l2g"):  # the default cross-modal branch: gathered fusion, text swap 0.5
        if settings.get("fusion") == "residual":
            name += " (residual fusion)"
        elif settings.get("text_swap") not in (None, 0.5):
            name += f" (text swap {settings.get('text_swap')})"
    if settings.get("g2l") and settings.get("jid_ramp_epochs"):
        name += f" (JID ramp {settings['jid_ramp_epochs']:g} epochs)"
    if settings.get("descriptions"):
        name += f" [text: {Path(str(settings['descriptions'])).stem}]"
    return name + (" + distillation" if settings.get("distill") else "")


def collect(root: Path) -> dict:
    runs = []
    floors = defaultdict(list)
    for f in sorted(root.glob("*/*/result.json")):
        r = json.loads(f.read_text())
        if "settings" not in r:
            raise SystemExit(f"{f}: no 'settings' (written by an older crossglg); delete it to rerun that run")
        st = r["settings"]
        bench = st.get("protocol") or f"{st['dataset']}_oneshot"
        aux = st["aux_classes"] if st["aux_classes"] is not None else ALL_AUX.get(bench, "all")
        runs.append((bench, str(ENCODER_ALIASES.get(st["encoder"], st["encoder"])), method_of(st), aux,
                     st.get("max_epochs"), seed_of(r), 100 * r["top1"]))
        if r.get("floor") is not None:
            floors[bench].append(100 * r["floor"])
    lengths = defaultdict(set)
    for bench, *_, epochs, _seed, _top1 in runs:
        lengths[bench].add(epochs)
    by_seed = defaultdict(lambda: defaultdict(list))
    for bench, enc, meth, aux, epochs, seed, top1 in runs:
        if len(lengths[bench]) > 1:
            meth += f" ({epochs} epochs)"
        by_seed[bench, enc, meth, aux][seed].append(top1)
    groups = {k: [statistics.mean(v) for v in seeds.values()] for k, seeds in by_seed.items()}
    return groups, floors


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", default="results/sweeps")
    ap.add_argument("--out", default="results")
    a = ap.parse_args()
    groups, floors = collect(Path(a.results))
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    rows, md = [], ["# One-shot top-1 (%): ours (mean ± std over seeds, n) beside the paper", ""]
    for bench in sorted({k[0] for k in groups}):
        keys = [k for k in groups if k[0] == bench]
        auxes = sorted({k[3] for k in keys}, key=lambda x: (isinstance(x, str), x))
        md += [f"## {bench}", "", "| encoder | method | " + " | ".join(f"aux {x}" for x in auxes) + " |",
               "|---|---|" + "---|" * len(auxes)]
        for enc, meth in sorted({(k[1], k[2]) for k in keys}):
            cells = []
            for aux in auxes:
                v = groups.get((bench, enc, meth, aux))
                paper = PAPER.get(bench, {}).get(meth, {}).get(aux) if enc == "infogcn" else None
                if v:
                    sd = statistics.stdev(v) if len(v) > 1 else 0.0
                    cell = f"{statistics.mean(v):.1f} ± {sd:.1f} (n={len(v)})"
                    rows.append({"benchmark": bench, "encoder": enc, "method": meth, "aux_classes": aux,
                                 "ours_mean": round(statistics.mean(v), 2), "ours_std": round(sd, 2), "seeds": len(v),
                                 "paper": paper})
                else:
                    cell = "—"
                cells.append(cell + (f" [paper {paper}]" if paper is not None else ""))
            md.append(f"| {enc} | {meth} | " + " | ".join(cells) + " |")
        if floors.get(bench):
            md += ["", f"Floor (raw coordinates, no learning): {statistics.mean(floors[bench]):.1f}"]
        md.append("")
    (out / "tables.md").write_text("\n".join(md) + "\n")
    with open(out / "tables.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["benchmark", "encoder", "method", "aux_classes", "ours_mean", "ours_std",
                                           "seeds", "paper"])
        w.writeheader()
        w.writerows(rows)
    print("\n".join(md))


if __name__ == "__main__":
    main()
