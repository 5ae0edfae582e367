"""The data tools: `generate`, `prepare` and `protocol` (each an `add_arguments`
function and a `run` function, listed in `COMMANDS`; `crossglg.cli` holds the table of
every tool and its help)."""

from __future__ import annotations

import json
import sys


def generate_arguments(p) -> None:
    p.add_argument(
        "--dataset",
        default="builtin",
        choices=["builtin", "composed"],
        help="which generated set (default: builtin, the demo's)",
    )
    p.add_argument("--out", default=None, help="folder to write (default: data/<dataset>/raw)")
    p.add_argument("--seed", type=int, default=0)


def generate(args) -> int:
    from .datasets import get_dataset

    out = args.out or f"data/{args.dataset}/raw"
    paths = get_dataset(args.dataset).generate(out, seed=args.seed)
    print(f"{len(paths)} files in {out}")
    return 0


def prepare_arguments(p) -> None:
    p.add_argument("dataset", help="ntu60, ntu120, pkummd2 (or pkummd), utdmhad, builtin, composed")
    p.add_argument("--raw-dir", required=True, help="folder holding the raw files (searched recursively)")
    p.add_argument("--out", required=True, help="cache folder to write")
    p.add_argument("--workers", type=int, default=2, help="parser processes (0: in this process)")
    p.add_argument(
        "--missing-list",
        default="auto",
        help="official NTU missing-skeleton list to skip ('auto': the shipped one if found; 'none')",
    )
    p.add_argument("--label-dir", default=None, help="PKU-MMD label folder (default: <raw-dir>/../Label)")
    p.add_argument("--force", action="store_true", help="rebuild even if the cache is up to date")


def prepare(args) -> int:
    from .cache import prepare as prepare_cache

    missing = None if args.missing_list == "none" else args.missing_list
    s = prepare_cache(
        args.dataset,
        args.raw_dir,
        args.out,
        workers=args.workers,
        missing_list=missing,
        label_dir=args.label_dir,
        force=args.force,
    )
    if s["up_to_date"]:
        print(f"{args.out}: up to date ({s['samples']} samples, {s['skipped']} skipped)")
    else:
        rate = f", {s['resumed']} files taken over from an interrupted run" if s["resumed"] else ""
        print(
            f"{args.out}: {s['samples']} samples, {s['frames']} frames, {s['skipped']} skipped "
            f"(see {args.out}/report.json), {s['seconds']:.1f} s{rate}"
        )
    return 0


def protocol_arguments(p) -> None:
    p.add_argument("action", choices=["show", "check", "list"])
    p.add_argument("name", nargs="?")
    p.add_argument("--json", action="store_true")
    p.add_argument("--cache", help="with check: the prepared cache to apply it to")
    p.add_argument("--aux-classes", type=int, default=None)


def protocol(args) -> int:
    from .protocols import PROTOCOLS, get_protocol

    if args.action == "list":
        print("\n".join(PROTOCOLS))
        return 0
    if not args.name:
        print("protocol show|check needs a NAME", file=sys.stderr)
        return 2
    proto = get_protocol(args.name)
    if args.action == "show":
        info = proto.show()
        if args.json:
            print(json.dumps(info))
        else:
            for k, v in info.items():
                print(f"{k}: {v}")
        return 0
    from .cache import SkeletonCache

    if not args.cache:
        print("protocol check needs --cache DIR", file=sys.stderr)
        return 2
    print(proto.apply(SkeletonCache(args.cache), args.aux_classes).summary())
    return 0


COMMANDS = {
    "generate": (generate_arguments, generate),
    "prepare": (prepare_arguments, prepare),
    "protocol": (protocol_arguments, protocol),
}
