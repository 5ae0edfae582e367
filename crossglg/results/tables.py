"""Tables built from run records (`records.py`), as markdown.

- `paired_table`: a sweep's rows against a baseline row, by seed: per-seed
  exemplar-averaged top-1 (the mean over random exemplar draws, the number that
  decides) with the protocol exemplars' top-1, the paired difference over the seeds
  both rows have with its 95 % intervals (Student t and paired bootstrap), the
  diagnostics (text-leak probe, JID mass on the key joints, floor) and where the
  variance comes from (exemplar draws, seeds, and the stopping point where runs
  validated every epoch).
- `headline_table`: the same pairing in three lines, for the README.
- `benchmark_tables`: every record grouped by the settings it ran with (benchmark,
  encoder, method, auxiliary classes), mean and sd over seeds, beside the paper's
  numbers (InfoGCN base encoder). One setting at one seed in several sweeps is one
  run repeated: it counts once, at its mean.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from pathlib import Path

from ..eval.stats import paired_difference
from .records import Record, RecordError, Seed, load_sweep, method_of, seed_label, seed_of

#: Top-1 % from the paper (InfoGCN base encoder): benchmark -> method -> aux classes -> value.
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


def _fmt(v) -> str:
    return "-" if v is None else f"{v:.3f}"


def sd(values) -> str:
    return f"{statistics.stdev(values):.3f}" if len(values) > 1 else "-"


def mean(values) -> str:
    return f"{statistics.mean(values):.3f}" if values else "-"


def curve_points(run: Record | dict) -> dict[int, float]:
    """A run's learning curve: `{epoch: exemplar-averaged top-1}`."""
    return {
        p["epoch"]: p["exemplar_avg_top1"] for p in run.get("curve") or [] if p.get("exemplar_avg_top1") is not None
    }


def stopping_spread(run: Record | dict, last: int) -> float | None:
    """The sd of the exemplar-averaged top-1 over a run's last `last` validations, where
    they are consecutive epochs; None otherwise."""
    points = sorted(curve_points(run).items())[-last:]
    if last < 2 or len(points) < last or points[-1][0] - points[0][0] != last - 1:
        return None
    return statistics.stdev(v for _, v in points)


def _check_baseline(rows: dict, baseline: str) -> None:
    if baseline not in rows:
        raise RecordError(f"no records of the baseline row {baseline!r} (rows: {', '.join(rows)})")
    for runs in rows.values():
        for r in runs.values():
            if r.get("exemplar_avg_top1") is None:
                raise RecordError(
                    f"{r.path}: no exemplar-averaged top-1 (the run had model.evaluation.exemplar_draws 0)"
                )


def _paired(rows, name, baseline, key):
    base, runs = rows[baseline], rows[name]
    common = sorted(set(runs) & set(base))
    if name == baseline or len(common) < 2:
        return None, common
    return paired_difference([base[s][key] for s in common], [runs[s][key] for s in common]), common


def headline_table(rows: dict[str, dict[Seed, Record]], baseline: str) -> str:
    """Each row's mean exemplar-averaged and protocol top-1 over seeds, and its paired
    difference to `baseline` with the 95 % t interval."""
    _check_baseline(rows, baseline)
    out = [
        "| row | seeds | exemplar-averaged top-1 | paired difference (95 % t) | protocol top-1 |",
        "|---|---|---|---|---|",
    ]
    for name, runs in rows.items():
        d, common = _paired(rows, name, baseline, "exemplar_avg_top1")
        avg = statistics.mean(r["exemplar_avg_top1"] for r in runs.values())
        top = statistics.mean(r["top1"] for r in runs.values())
        diff = (
            "baseline"
            if name == baseline
            else ("-" if d is None else f"{d.diff:+.3f} [{d.t_low:+.3f}, {d.t_high:+.3f}]")
        )
        out.append(f"| {name} | {len(runs)} | {avg:.3f} | {diff} | {top:.3f} |")
    return "\n".join(out) + "\n"


def paired_table(rows: dict[str, dict[Seed, Record]], baseline: str, last: int = 3) -> str:
    _check_baseline(rows, baseline)
    seeds = sorted({s for r in rows.values() for s in r})
    data = any(s[1] for s in seeds)
    out = [
        "Per seed: exemplar-averaged top-1 (protocol exemplars' top-1 in brackets)",
        "",
        "| row | " + " | ".join(f"seed {seed_label(s, data)}" for s in seeds) + " |",
        "|---|" + "---|" * len(seeds),
    ]
    for name, runs in rows.items():
        cells = [f"{runs[s]['exemplar_avg_top1']:.3f} ({runs[s]['top1']:.3f})" if s in runs else "" for s in seeds]
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    out += [
        "",
        f"Paired against `{baseline}` (same seeds)",
        "",
        "| row | seeds | exemplar-avg top-1 | diff (95 % t) | diff (95 % bootstrap) | protocol top-1 | diff (95 % t) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, runs in rows.items():
        avg = statistics.mean(r["exemplar_avg_top1"] for r in runs.values())
        top = statistics.mean(r["top1"] for r in runs.values())
        d, common = _paired(rows, name, baseline, "exemplar_avg_top1")
        if d is None:
            out.append(f"| {name} | {len(runs)} | {avg:.3f} | | | {top:.3f} | |")
            continue
        dt, _ = _paired(rows, name, baseline, "top1")
        out.append(
            f"| {name} | {len(common)} | {avg:.3f} | {d.diff:+.3f} [{d.t_low:+.3f}, {d.t_high:+.3f}] | "
            f"[{d.boot_low:+.3f}, {d.boot_high:+.3f}] | {top:.3f} | {dt.diff:+.3f} [{dt.t_low:+.3f}, {dt.t_high:+.3f}] |"
        )
    out += [
        "",
        "Diagnostics (means over seeds)",
        "",
        "| row | text-leak probe: own / shuffled / zero skeleton | JID mass on key joints (uniform) | floor (exemplar-avg) |",
        "|---|---|---|---|",
    ]
    for name, runs in rows.items():
        probes = [r["leak_probe"] for r in runs.values() if r.get("leak_probe")]
        probe = (
            " / ".join(f"{statistics.mean(p[k] for p in probes):.3f}" for k in ("own", "shuffled", "zero"))
            if probes
            else "-"
        )
        km = [(r["key_mass"], r["key_mass_uniform"]) for r in runs.values() if r.get("key_mass") is not None]
        mass = f"{statistics.mean(a for a, _ in km):.3f} ({statistics.mean(b for _, b in km):.3f})" if km else "-"
        fl = next((r for r in runs.values() if r.get("floor") is not None), {})
        out.append(f"| {name} | {probe} | {mass} | {_fmt(fl.get('floor'))} ({_fmt(fl.get('floor_exemplar_avg'))}) |")
    stops = {
        name: [v for v in (stopping_spread(r, last) for r in runs.values()) if v is not None]
        for name, runs in rows.items()
    }
    stopping = any(stops.values())
    out += [
        "",
        "Where the variance comes from (per row)",
        "",
        "| row | sd over exemplar draws (within a checkpoint) | sd over seeds, exemplar-averaged | "
        "sd over seeds, protocol exemplars |"
        + (f" sd over the last {last} epochs' validations (within a run) |" if stopping else ""),
        "|---|---|---|---|" + ("---|" if stopping else ""),
    ]
    for name, runs in rows.items():
        within = [r["exemplar_avg_std"] for r in runs.values() if r.get("exemplar_avg_std") is not None]
        avg = [r["exemplar_avg_top1"] for r in runs.values()]
        top = [r["top1"] for r in runs.values()]
        out.append(
            f"| {name} | {mean(within)} | {sd(avg)} | {sd(top)} |" + (f" {mean(stops[name])} |" if stopping else "")
        )
    return "\n".join(out) + "\n"


def benchmark_groups(records: list[Record]) -> tuple[dict, dict]:
    """`{(benchmark, encoder, method, aux): [top-1 % per seed]}` and `{benchmark: [floor %]}`."""
    runs, floors = [], defaultdict(list)
    for r in records:
        st = r["settings"]
        lacking = [k for k in ("dataset", "encoder", "g2l", "l2g") if k not in st]
        if lacking:
            raise RecordError(f"{r.path}: its settings lack {', '.join(lacking)}")
        bench = st.get("protocol") or f"{st['dataset']}_oneshot"
        aux = st["num_aux_classes"] if st.get("num_aux_classes") is not None else ALL_AUX.get(bench, "all")
        runs.append(
            (
                bench,
                str(st["encoder"]),
                method_of(st),
                aux,
                st.get("max_epochs"),
                seed_of(r.data),
                100 * r["top1"],
            )
        )
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
    return {k: [statistics.mean(v) for v in seeds.values()] for k, seeds in by_seed.items()}, dict(floors)


def benchmark_tables(records: list[Record], heading: str = "###") -> tuple[str, list[dict]]:
    """Markdown (one table per benchmark, ours as mean ± sd (n) beside the paper) and
    the same as CSV rows."""
    groups, floors = benchmark_groups(records)
    rows, md = [], []
    for bench in sorted({k[0] for k in groups}):
        keys = [k for k in groups if k[0] == bench]
        auxes = sorted({k[3] for k in keys}, key=lambda x: (isinstance(x, str), x))
        md += [
            f"{heading} {bench}",
            "",
            "| encoder | method | " + " | ".join(f"aux {x}" for x in auxes) + " |",
            "|---|---|" + "---|" * len(auxes),
        ]
        for enc, meth in sorted({(k[1], k[2]) for k in keys}):
            cells = []
            for aux in auxes:
                v = groups.get((bench, enc, meth, aux))
                paper = PAPER.get(bench, {}).get(meth, {}).get(aux) if enc == "infogcn" else None
                if v:
                    sd = statistics.stdev(v) if len(v) > 1 else 0.0
                    cell = f"{statistics.mean(v):.1f} ± {sd:.1f} (n={len(v)})"
                    rows.append(
                        {
                            "benchmark": bench,
                            "encoder": enc,
                            "method": meth,
                            "aux_classes": aux,
                            "ours_mean": round(statistics.mean(v), 2),
                            "ours_std": round(sd, 2),
                            "seeds": len(v),
                            "paper": paper,
                        }
                    )
                else:
                    cell = "—"
                cells.append(cell + (f" [paper {paper}]" if paper is not None else ""))
            md.append(f"| {enc} | {meth} | " + " | ".join(cells) + " |")
        if floors.get(bench):
            md += ["", f"Floor (raw coordinates, no learning): {statistics.mean(floors[bench]):.1f}"]
        md.append("")
    return "\n".join(md), rows


def all_records(root: str | Path) -> list[Record]:
    """Every record under `root` (`<root>/<sweep>/*.json`)."""
    return [
        r
        for folder in sorted(p for p in Path(root).iterdir() if p.is_dir() and any(p.glob("*.json")))
        for r in load_sweep(folder)
    ]
