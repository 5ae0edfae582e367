"""The data tools: `generate`, `prepare` and `protocol` (each an `add_arguments`
function and a `run` function, listed in `COMMANDS`; `crossglg.cli` holds the table of
every tool and its help)."""

from __future__ import annotations

import json
import sys

GENERATED = ("builtin", "composed", "ntu120-standin")


def generate_arguments(p) -> None:
    p.add_argument(
        "what",
        nargs="?",
        choices=GENERATED,
        default=None,
        help="which generated set (default: builtin, the demo's); ntu120-standin: NTU RGB+D 120's names "
        "and structure at any size, to measure time and memory (accuracy on it means nothing)",
    )
    p.add_argument("--dataset", default=None, choices=GENERATED, help="the same as WHAT (the older spelling)")
    p.add_argument("--out", default=None, help="folder to write (default: data/<dataset>/raw, or .../cache)")
    p.add_argument("--seed", type=int, default=0)
    s = p.add_argument_group("ntu120-standin")
    s.add_argument(
        "--per-class",
        default=None,
        metavar="N",
        help="recordings per class (a positive integer, or 'full': 114,480 less the missing list); required",
    )
    s.add_argument(
        "--cache",
        action="store_true",
        help="write straight into a cache in the format `prepare ntu120` writes (no .skeleton text)",
    )
    s.add_argument("--workers", type=int, default=0, help="generating processes (0: in this process)")
    s.add_argument(
        "--missing-list",
        default="auto",
        help="official NTU-120 missing-skeleton list: no listed name is written ('auto': the shipped one; 'none')",
    )
    s.add_argument("--force", action="store_true", help="with --cache: rewrite the cache even if it is up to date")


def generate(args) -> int:
    from .datasets import get_dataset

    if args.what and args.dataset and args.what != args.dataset:
        print(f"generate: {args.what} or --dataset {args.dataset}? Name one set", file=sys.stderr)
        return 2
    dataset = args.what or args.dataset or "builtin"
    if dataset == "ntu120-standin":
        return generate_standin(args)
    standin_only = {
        "--per-class": args.per_class is not None,
        "--cache": args.cache,
        "--workers": args.workers != 0,
        "--missing-list": args.missing_list != "auto",
        "--force": args.force,
    }
    given = [o for o, v in standin_only.items() if v]
    if given:
        print(f"generate {dataset}: {', '.join(given)}: for ntu120-standin only", file=sys.stderr)
        return 2
    out = args.out or f"data/{dataset}/raw"
    paths = get_dataset(dataset).generate(out, seed=args.seed)
    print(f"{len(paths)} files in {out}")
    return 0


def generate_standin(args) -> int:
    from .ntu_standin import check_per_class, write_standin_cache, write_standin_skeletons

    if args.per_class is None:
        print("generate ntu120-standin needs --per-class N (or --per-class full)", file=sys.stderr)
        return 2
    per_class = check_per_class(args.per_class)
    missing = None if args.missing_list == "none" else args.missing_list
    out = args.out or f"data/ntu120-standin/{'cache' if args.cache else 'raw'}"
    if args.cache:
        s = write_standin_cache(out, per_class, args.seed, missing, workers=args.workers, force=args.force)
        state = "up to date" if s["up_to_date"] else f"{s['seconds']:.1f} s"
        size = f"{s['samples']} samples, {s['frames']} frames, {s['bytes'] / 2**30:.2f} GiB"
        print(f"{out}: an ntu120 cache of {size} ({state})")
    else:
        paths = write_standin_skeletons(out, per_class, args.seed, missing, workers=args.workers)
        print(f"{len(paths)} files in {out} (python -m crossglg prepare ntu120 --raw-dir {out} --out CACHE)")
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
