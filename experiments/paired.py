"""The paired comparison of a sweep's rows against a baseline row, by seed.

    python experiments/paired.py results/sweeps/utdmhad_text [results/sweeps/utdmhad_text_sources ...]
        [--baseline plain] [--out results/utdmhad_text.md]

Reads every `<sweep>/<run>/result.json` (written by `python -m crossglg sweep`). A
run's row is its `config` parameter (the overlay's file stem): `<overlay>@<encoder>`
when the runs use several encoders, then `@<N>ep` when they train for different
numbers of epochs, then `@<sweep>` where two sweeps hold the same row at the same seed.
A run's seed is `(seed_everything, data.seed)`: initial weights, dropout and text swap,
then the data order (0 where the run predates `data_seed` in result.json); a pair
shares both. For each row: per-seed exemplar-averaged top-1 (the number that
decides, mean over random exemplar draws), the protocol's fixed-exemplar top-1 (the
headline), and the paired difference to the baseline over the seeds both have, with
its 95 % interval (Student t and paired bootstrap). Also the text-leak probe and the
JID's mass on the key joints, where the run has them. Where the runs validated after
every epoch (result.json's `curve`), how far the result moves over the last
`--last` validations (the stopping point as a source of variance); `--curves PNG` plots
those rows' learning curves (mean and sd over seeds, with the floor).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from crossglg.eval.stats import paired_difference  # noqa: E402
from crossglg.io import atomic_write_text  # noqa: E402
from crossglg.run_result import seed_of  # noqa: E402
from crossglg.models.encoder import ENCODER_ALIASES  # noqa: E402


Seed = tuple[int, int]  # (seed_everything: initial weights, dropout, text swap; data.seed: data order)


def seed_label(seed: Seed, data: bool = False) -> str:
    """`3`, or `3/data 1` with `data` (where the table's runs vary the data order)."""
    return f"{seed[0]}/data {seed[1]}" if data else f"{seed[0]}"


def load(roots: list[Path]) -> dict[str, dict[Seed, dict]]:
    """Rows by method overlay (`config` stem), then seed (`(seed_everything, data.seed)`).
    When the runs use more than one encoder, a row is `<overlay>@<encoder>` (e.g.
    `plain@infogcn`); when they train for different numbers of epochs, `@<N>ep` follows
    (e.g. `plain@15ep`); when two sweeps still hold the same row at the same seed, both
    rows take `@<sweep folder>` (e.g. `plain@utdmhad_val`). Two runs of one row at one
    seed in a single sweep are an error, as is a sweep folder without results."""
    runs = []
    for root in dict.fromkeys(Path(r).resolve() for r in roots):
        files = sorted(root.glob("*/result.json"))
        if not files:
            raise SystemExit(f"{root}: no <run>/result.json here (run its sweep first: python -m crossglg sweep FILE)")
        for f in files:
            r = json.loads(f.read_text())
            p, settings = r.get("params", {}), r.get("settings") or {}
            enc = settings.get("encoder")
            runs.append((Path(str(p.get("config", "default"))).stem, seed_of(r),
                         ENCODER_ALIASES.get(enc, enc), settings.get("max_epochs"), r, f.parent))
    encoders, lengths = len({r[2] for r in runs}) > 1, len({r[3] for r in runs}) > 1
    named = [(row + (f"@{enc}" if encoders else "") + (f"@{epochs or '?'}ep" if lengths else ""), seed, r, run_dir)
             for row, seed, enc, epochs, r, run_dir in runs]
    sweeps_of = defaultdict(set)  # (row, seed) -> the sweep folders holding it
    for name, seed, _, run_dir in named:
        sweeps_of[name, seed].add(run_dir.parent)
    clash = {name for (name, _), sweeps in sweeps_of.items() if len(sweeps) > 1}
    rows: dict[str, dict[Seed, dict]] = defaultdict(dict)
    where: dict[tuple[str, Seed], Path] = {}
    for name, seed, r, run_dir in named:
        if name in clash:
            name += f"@{run_dir.parent.name}"
        if (name, seed) in where:
            raise SystemExit(f"two runs of row {name!r} at seed {seed_label(seed, True)}: {where[name, seed]} and "
                             f"{run_dir} (they differ in a setting that does not name a row; split the sweep)")
        where[name, seed] = run_dir
        rows[name][seed] = r
    return rows


def curve_points(run: dict) -> dict[int, float]:
    """A run's learning curve (result.json's `curve`): `{epoch: exemplar-averaged top-1}`."""
    return {p["epoch"]: p["exemplar_avg_top1"] for p in run.get("curve") or [] if p.get("exemplar_avg_top1") is not None}


def stopping_spread(run: dict, last: int) -> float | None:
    """The sd of the exemplar-averaged top-1 over a run's last `last` validations, where
    they are consecutive epochs; None otherwise (or where the curve is shorter)."""
    points = sorted(curve_points(run).items())[-last:]
    if last < 2 or len(points) < last or points[-1][0] - points[0][0] != last - 1:
        return None
    return statistics.stdev(v for _, v in points)


def curves(rows: dict[str, dict[Seed, dict]]) -> dict[str, list[dict[int, float]]]:
    """The rows whose runs have a learning curve of two points or more: per run,
    `{epoch: exemplar-averaged top-1}`."""
    out = {}
    for name, runs in rows.items():
        per_run = [c for c in (curve_points(r) for r in runs.values()) if len(c) > 1]
        if per_run:
            out[name] = per_run
    return out


def _fmt(v) -> str:
    return "-" if v is None else f"{v:.3f}"


def table(rows: dict[str, dict[Seed, dict]], baseline: str, last: int = 3) -> str:
    if baseline not in rows:
        raise SystemExit(f"no runs of the baseline row {baseline!r} (rows: {', '.join(rows)})")
    seeds = sorted({s for r in rows.values() for s in r})
    data = any(s[1] for s in seeds)
    out = ["## Per seed: exemplar-averaged top-1 (protocol exemplars' top-1 in brackets)", "",
           "| row | " + " | ".join(f"seed {seed_label(s, data)}" for s in seeds) + " |", "|---|" + "---|" * len(seeds)]
    for name, runs in rows.items():
        cells = [f"{runs[s]['exemplar_avg_top1']:.3f} ({runs[s]['top1']:.3f})" if s in runs else "" for s in seeds]
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    out += ["", f"## Paired against `{baseline}` (same seeds)", "",
            "| row | seeds | exemplar-avg top-1 | diff (95 % t) | diff (95 % bootstrap) | protocol top-1 | diff (95 % t) |",
            "|---|---|---|---|---|---|---|"]
    base = rows[baseline]
    for name, runs in rows.items():
        common = sorted(set(runs) & set(base))
        avg = statistics.mean(runs[s]["exemplar_avg_top1"] for s in runs)
        top = statistics.mean(runs[s]["top1"] for s in runs)
        if name == baseline or len(common) < 2:
            out.append(f"| {name} | {len(runs)} | {avg:.3f} | | | {top:.3f} | |")
            continue
        d = paired_difference([base[s]["exemplar_avg_top1"] for s in common], [runs[s]["exemplar_avg_top1"] for s in common])
        dt = paired_difference([base[s]["top1"] for s in common], [runs[s]["top1"] for s in common])
        out.append(f"| {name} | {len(common)} | {avg:.3f} | {d.diff:+.3f} [{d.t_low:+.3f}, {d.t_high:+.3f}] | "
                   f"[{d.boot_low:+.3f}, {d.boot_high:+.3f}] | {top:.3f} | {dt.diff:+.3f} [{dt.t_low:+.3f}, {dt.t_high:+.3f}] |")
    out += ["", "## Diagnostics (means over seeds)", "",
            "| row | text-leak probe: own / shuffled / zero skeleton | JID mass on key joints (uniform) | floor (exemplar-avg) |",
            "|---|---|---|---|"]
    for name, runs in rows.items():
        probes = [r["leak_probe"] for r in runs.values() if r.get("leak_probe")]
        probe = " / ".join(f"{statistics.mean(p[k] for p in probes):.3f}" for k in ("own", "shuffled", "zero")) if probes else "-"
        km = [(r["key_mass"], r["key_mass_uniform"]) for r in runs.values() if r.get("key_mass") is not None]
        mass = f"{statistics.mean(a for a, _ in km):.3f} ({statistics.mean(b for _, b in km):.3f})" if km else "-"
        fl = next((r for r in runs.values() if r.get("floor") is not None), {})
        out.append(f"| {name} | {probe} | {mass} | {_fmt(fl.get('floor'))} ({_fmt(fl.get('floor_exemplar_avg'))}) |")
    stops = {name: [v for v in (stopping_spread(r, last) for r in runs.values()) if v is not None]
             for name, runs in rows.items()}
    stopping = any(stops.values())
    out += ["", "## Where the variance comes from (per row)", "",
            "| row | sd over exemplar draws (within a checkpoint) | sd over seeds, exemplar-averaged | "
            "sd over seeds, protocol exemplars |" + (f" sd over the last {last} epochs' validations (within a run) |"
                                                     if stopping else ""),
            "|---|---|---|---|" + ("---|" if stopping else "")]
    for name, runs in rows.items():
        within = [r["exemplar_avg_std"] for r in runs.values() if r.get("exemplar_avg_std") is not None]
        avg = [r["exemplar_avg_top1"] for r in runs.values()]
        top = [r["top1"] for r in runs.values()]
        sd = (lambda v: f"{statistics.stdev(v):.3f}" if len(v) > 1 else "-")
        mean = (lambda v: f"{statistics.mean(v):.3f}" if v else "-")
        out.append(f"| {name} | {mean(within)} | {sd(avg)} | {sd(top)} |" + (f" {mean(stops[name])} |" if stopping else ""))
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sweeps", nargs="+", type=Path)
    ap.add_argument("--baseline", default="plain")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--curves", type=Path, default=None, help="write the rows' learning curves here (PNG)")
    ap.add_argument("--last", type=int, default=3, help="validations at the end of a run's curve for the stopping-point sd")
    a = ap.parse_args(argv)
    rows = load(a.sweeps)
    text = table(rows, a.baseline, a.last)
    if a.out:
        atomic_write_text(a.out, text)
    print(text)
    if a.curves:
        from crossglg.eval.plots import learning_curves_png

        drawn = curves(rows)
        if not drawn:
            raise SystemExit("no run has a learning curve (result.json `curve`; validate every epoch to get one)")
        floor = next((r["floor_exemplar_avg"] for runs in rows.values() for r in runs.values()
                      if r.get("floor_exemplar_avg") is not None), None)
        print(f"learning curves of {', '.join(drawn)}: {learning_curves_png(drawn, a.curves, ' + '.join(p.name for p in a.sweeps), floor)}")


if __name__ == "__main__":
    main()
