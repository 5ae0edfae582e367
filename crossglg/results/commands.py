"""`python -m crossglg tables`: regenerate every table in README.md and docs/ from the
committed run records (`results/<sweep>/<run>.json`), or show one."""

from __future__ import annotations

from pathlib import Path


def tables_arguments(p) -> None:
    p.add_argument("--records", default="results", help="the records folder (<records>/<sweep>/<run>.json)")
    p.add_argument("--root", default=".", help="the folder holding README.md and docs/")
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 when a table differs from the records")
    p.add_argument(
        "--show",
        default=None,
        metavar="SWEEP[,SWEEP]",
        help="print one paired table of these sweeps instead (with --baseline)",
    )
    p.add_argument("--baseline", default="plain", help="the row the others are paired against (with --show)")
    p.add_argument(
        "--common-seeds",
        action="store_true",
        help="with --show: only the seeds that every row has (same seeds per mean)",
    )
    p.add_argument(
        "--benchmarks", action="store_true", help="print every record beside the paper's numbers (and write --csv)"
    )
    p.add_argument("--csv", default=None, help="with --benchmarks: also write the rows as CSV here")


def tables(args) -> int:
    from .docs import regenerate, stale
    from .records import common_seeds, rows
    from .tables import all_records, benchmark_tables, paired_table

    records, root = Path(args.records), Path(args.root)
    if args.show:
        found = rows([records / s for s in args.show.split(",")])
        print(paired_table(common_seeds(found) if args.common_seeds else found, args.baseline), end="")
        return 0
    if args.benchmarks:
        recs = all_records(records) if records.is_dir() else []
        if not recs:
            print(f"{records}: no records yet (a sweep writes them: python -m crossglg sweep FILE)")
            return 0
        md, csv_rows = benchmark_tables(recs, heading="##")
        print(md)
        if args.csv:
            write_csv(Path(args.csv), csv_rows)
            print(f"wrote {args.csv}")
        return 0
    if args.check:
        bad = stale(root, records)
        for p in bad:
            print(f"{p}: a generated table differs from the records (run: python -m crossglg tables)")
        if not bad:
            print(f"every generated table in {root / 'README.md'} and {root / 'docs'} matches {records}")
        return 1 if bad else 0
    changed = regenerate(root, records)
    print("\n".join(f"rewrote {p}" for p in changed) or f"every generated table already matches {records}")
    return 0


def write_csv(path: Path, rows: list[dict]) -> None:
    import csv
    import io

    from ..io import atomic_write_text

    buf = io.StringIO()
    w = csv.DictWriter(
        buf, fieldnames=["benchmark", "encoder", "method", "aux_classes", "ours_mean", "ours_std", "seeds", "paper"]
    )
    w.writeheader()
    w.writerows(rows)
    atomic_write_text(path, buf.getvalue())


COMMANDS = {"tables": (tables_arguments, tables)}
