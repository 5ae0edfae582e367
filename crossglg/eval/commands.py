"""The evaluation tools: `floor` (the no-learning floor of a protocol), `evaluate` (the
one-shot evaluation of a checkpoint or a stream set) and `probe` (the text-leak probe of
finished fit runs); listed in `COMMANDS`, as every tool module."""

from __future__ import annotations

import sys


def floor_arguments(p) -> None:
    p.add_argument("dataset")
    p.add_argument("--data-dir", default="data")
    p.add_argument("--cache", default=None)
    p.add_argument("--frames", type=int, default=32)


def floor(args) -> int:
    from ..data.datamodule import ensure_cache
    from ..data.protocols import get_protocol
    from .floor import raw_coordinate_floor

    cache = ensure_cache(args.dataset, args.data_dir, cache_dir=args.cache)
    split = get_protocol(args.dataset).apply(cache)
    acc = raw_coordinate_floor(cache, split, args.frames)
    print(
        f"floor (raw coordinates, nearest exemplar): {acc:.3f} top-1 "
        f"({len(split.query_idx)} queries, {len(split.exemplar_idx)} novel classes; "
        f"chance {1 / len(split.exemplar_idx):.3f})"
    )
    return 0


def probe_arguments(p) -> None:
    p.description = (
        "Re-measure the cross-modal branch of finished fit runs on their auxiliary samples: top-1 "
        "with own, another class's (shuffled) and zero skeleton tokens. Each RUN is a folder with "
        "LightningCLI's config.yaml and checkpoints/last.ckpt."
    )
    p.add_argument("runs", nargs="+", help="fit run folders (e.g. runs/sweeps/utdmhad_encoders/*)")


def probe(args) -> int:
    from .probe import probe_run

    status = 0
    for run in args.runs:
        try:
            p = probe_run(run)
        except (FileNotFoundError, ValueError, RuntimeError) as e:
            print(f"{run}: {e}", file=sys.stderr)
            status = 1
            continue
        print(
            f"{run}: own {p['own']:.3f}, shuffled (another class) {p['shuffled']:.3f}, zero {p['zero']:.3f} "
            f"({p['samples']} samples)",
            flush=True,
        )
    return status


def evaluate_arguments(p) -> None:
    p.description = (
        "The one-shot evaluation of a checkpoint or a stream set (a folder of checkpoints of several "
        "streams, fused by their cosine similarities) on the data and protocol its first checkpoint was "
        "trained on: the result lines, and with --out the record (JSON) and its plots beside it."
    )
    p.add_argument("--ckpt", default=None, help="a checkpoint, or a stream-set folder (default: the shipped model)")
    p.add_argument("--data-dir", default=None, help="where the data's caches are (default: as trained)")
    p.add_argument("--cache-dir", default=None, help="the prepared cache (default: as trained)")
    p.add_argument("--protocol", default=None, help="another protocol of the same data (default: as trained)")
    p.add_argument("--draws", type=int, default=200, help="exemplar draws of the exemplar-averaged top-1")
    p.add_argument("--members", action="store_true", help="also each member of a set alone")
    p.add_argument("--out", default=None, help="write the record here (JSON), with its plots beside it")


def evaluate(args) -> int:
    from pathlib import Path

    from ..io import atomic_write_text
    from ..recognition_commands import checkpoint_of
    from ..settings import EvaluationConfig
    from .fused import evaluate_model
    from .report import result_lines, summary, write_plots

    args.ckpt = checkpoint_of(args)
    settings = EvaluationConfig(exemplar_draws=args.draws, calibration_at_test=False, leak_probe=False)
    overrides = {"data_dir": args.data_dir, "cache_dir": args.cache_dir, "protocol": args.protocol}
    results = evaluate_model(args.ckpt, settings, {k: v for k, v in overrides.items() if v}, args.members)
    for name, res in results.items():
        print(f"[{name}]" if len(results) > 1 else f"[{args.ckpt}]")
        print("\n".join(result_lines(res, args.draws)), flush=True)
    if args.out:
        import json

        fused = results["fused"] if "fused" in results else next(iter(results.values()))
        record = dict(summary("test", fused, args.draws), ckpt=str(args.ckpt), streams=list(results))
        record["members"] = {k: summary("test", r, args.draws) for k, r in results.items() if k != "fused"}
        atomic_write_text(Path(args.out), json.dumps(record, indent=1))
        write_plots(fused, Path(args.out).parent, f"_{Path(args.out).stem}")
        print(f"wrote {args.out}")
    return 0


COMMANDS = {
    "floor": (floor_arguments, floor),
    "evaluate": (evaluate_arguments, evaluate),
    "probe": (probe_arguments, probe),
}
