"""The evaluation tools: `floor` (the no-learning floor of a protocol) and `probe` (the
text-leak probe of finished fit runs); listed in `COMMANDS`, as every tool module."""

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


COMMANDS = {"floor": (floor_arguments, floor), "probe": (probe_arguments, probe)}
