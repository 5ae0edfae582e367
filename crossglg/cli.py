"""`python -m crossglg`: LightningCLI's fit/validate/test/predict, and the data, text
and model tools beside them under the same entry point."""

from __future__ import annotations

import argparse
import json
import sys

LIGHTNING_COMMANDS = {
    "fit": "train a model (text-guided) and report its one-shot accuracy",
    "validate": "one-shot evaluation of a checkpoint on the validation set",
    "test": "one-shot evaluation of a checkpoint (prints the one-shot line)",
    "predict": "embed the evaluation samples with the text-free branch",
}
TOOL_COMMANDS = {
    "generate": "write a generated data set (builtin, composed) as NTU-format .skeleton files",
    "prepare": "parse a data set's raw files once into a memory-mapped cache",
    "protocol": "show a one-shot protocol, or check it against a cache",
    "floor": "the no-learning floor: nearest exemplar by cosine on raw coordinates",
    "describe": "LLM text descriptions of every class (Anthropic API; --show prints the shipped file)",
    "embed": "fill the sentence-embedding cache of a data set's descriptions",
    "model-info": "parameters and FLOPs of a configured model",
    "probe": "text-leak probe of fit runs: does the cross-modal branch use the skeleton?",
    "enroll": "add a new action to a gallery from one or a few recordings",
    "recognize": "recognise recordings against a gallery (no text needed)",
    "importance": "plot which joints the JID weighs most for a recording",
    "sweep": "run a wandb sweep file's grid locally (resumable; one run per GPU)",
}


_COMMAND_MODULES: list[str] = ["text.commands", "eval.commands", "recognition_commands", "sweep"]  # modules that add their own sub-commands


def _usage() -> str:
    lines = ["usage: python -m crossglg COMMAND [options]", "", "training and evaluation (LightningCLI):"]
    lines += [f"  {k:<11} {v}" for k, v in LIGHTNING_COMMANDS.items()]
    lines += ["", "tools:"]
    lines += [f"  {k:<11} {v}" for k, v in TOOL_COMMANDS.items()]
    lines += ["", "`python -m crossglg COMMAND --help` for a command's options."]
    return "\n".join(lines)


def _tool_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m crossglg")
    sub = p.add_subparsers(dest="command", required=True)

    g = sub.add_parser("generate", help=TOOL_COMMANDS["generate"])
    g.add_argument("--dataset", default="builtin", choices=["builtin", "composed"],
                   help="which generated set (default: builtin, the demo's)")
    g.add_argument("--out", default=None, help="folder to write (default: data/<dataset>/raw)")
    g.add_argument("--seed", type=int, default=0)

    pr = sub.add_parser("prepare", help=TOOL_COMMANDS["prepare"])
    pr.add_argument("dataset", help="ntu60, ntu120, pkummd2 (or pkummd), utdmhad, builtin, composed")
    pr.add_argument("--raw-dir", required=True, help="folder holding the raw files (searched recursively)")
    pr.add_argument("--out", required=True, help="cache folder to write")
    pr.add_argument("--workers", type=int, default=2, help="parser processes (0: in this process)")
    pr.add_argument("--missing-list", default="auto",
                    help="official NTU missing-skeleton list to skip ('auto': the shipped one if found; 'none')")
    pr.add_argument("--label-dir", default=None, help="PKU-MMD label folder (default: <raw-dir>/../Label)")
    pr.add_argument("--force", action="store_true", help="rebuild even if the cache is up to date")

    pt = sub.add_parser("protocol", help=TOOL_COMMANDS["protocol"])
    pt.add_argument("action", choices=["show", "check", "list"])
    pt.add_argument("name", nargs="?")
    pt.add_argument("--json", action="store_true")
    pt.add_argument("--cache", help="with check: the prepared cache to apply it to")
    pt.add_argument("--aux-classes", type=int, default=None)

    fl = sub.add_parser("floor", help=TOOL_COMMANDS["floor"])
    fl.add_argument("dataset")
    fl.add_argument("--data-dir", default="data")
    fl.add_argument("--cache", default=None)
    fl.add_argument("--frames", type=int, default=32)

    m = sub.add_parser("model-info", help=TOOL_COMMANDS["model-info"],
                       description="Build the model of a config (without data) and count parameters and FLOPs "
                                   "at the config's window and persons (default: NTU settings T=64, V=25, M=2). "
                                   "Overrides as `fit` takes them may follow, e.g. --data.aux_classes=20.")
    m.add_argument("--config", required=True, action="append",
                   help="a config file as `fit` takes it; repeat to layer (e.g. a setting, then configs/methods/*.yaml)")
    m.add_argument("--num-classes", type=int, default=None, help="default: the protocol's auxiliary classes")
    m.add_argument("--text-dim", type=int, default=None, help="default: the config's text encoder's width")
    m.add_argument("--json", action="store_true")

    for module in _COMMAND_MODULES:
        __import__(f"crossglg.{module}", fromlist=["add_commands"]).add_commands(sub)
    return p


def _run_tool(args) -> int:
    if args.command == "generate":
        from .data.datasets import get_dataset

        out = args.out or f"data/{args.dataset}/raw"
        paths = get_dataset(args.dataset).generate(out, seed=args.seed)
        print(f"{len(paths)} files in {out}")
    elif args.command == "prepare":
        from .data.cache import prepare

        missing = None if args.missing_list == "none" else args.missing_list
        s = prepare(args.dataset, args.raw_dir, args.out, workers=args.workers, missing_list=missing,
                    label_dir=args.label_dir, force=args.force)
        if s["up_to_date"]:
            print(f"{args.out}: up to date ({s['samples']} samples, {s['skipped']} skipped)")
        else:
            rate = f", {s['resumed']} files taken over from an interrupted run" if s["resumed"] else ""
            print(f"{args.out}: {s['samples']} samples, {s['frames']} frames, {s['skipped']} skipped "
                  f"(see {args.out}/report.json), {s['seconds']:.1f} s{rate}")
    elif args.command == "protocol":
        from .data.protocols import PROTOCOLS, get_protocol

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
        else:
            from .data.cache import SkeletonCache

            if not args.cache:
                print("protocol check needs --cache DIR", file=sys.stderr)
                return 2
            print(proto.apply(SkeletonCache(args.cache), args.aux_classes).summary())
    elif args.command == "floor":
        from .data.datamodule import ensure_cache
        from .data.protocols import get_protocol
        from .eval.floor import raw_coordinate_floor

        cache = ensure_cache(args.dataset, args.data_dir, cache_dir=args.cache)
        split = get_protocol(args.dataset).apply(cache)
        acc = raw_coordinate_floor(cache, split, args.frames)
        print(f"floor (raw coordinates, nearest exemplar): {acc:.3f} top-1 "
              f"({len(split.query_idx)} queries, {len(split.exemplar_idx)} novel classes; "
              f"chance {1 / len(split.exemplar_idx):.3f})")
    elif args.command == "model-info":
        return _model_info(args)
    else:
        return args.func(args)
    return 0


def _model_info(args) -> int:
    from .data.protocols import get_protocol
    from .models.info import model_info
    from .train import resolve_config

    cfg = resolve_config([x for path in args.config for x in ("--config", path)] + list(args.overrides))
    margs = {k: v for k, v in (cfg.get("model") or {}).items() if not k.startswith("_")}
    data = cfg.get("data") or {}
    proto = get_protocol(data.get("protocol") or f"{data.get('dataset', 'builtin')}_oneshot")
    if args.num_classes:
        margs["num_classes"] = args.num_classes
    elif proto.auxiliary is not None:
        margs["num_classes"] = len(proto.auxiliary_classes(n=data.get("aux_classes")))
    else:  # the auxiliary classes are those in the prepared data: PKU-MMD phase II has 31
        margs["num_classes"] = 31
    if args.text_dim is not None:
        margs["text_dim"] = args.text_dim
    info = model_info(margs, data.get("window", 64), data.get("persons", 2))
    if args.json:
        print(json.dumps(info))
    else:
        for k, v in info.items():
            print(f"{k}: {v:,}" if isinstance(v, int) else f"{k}: {v}")
    return 0


def main(argv: list[str] | None = None) -> None:
    import signal

    if hasattr(signal, "SIGPIPE"):  # `... | head` ends quietly
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage())
        return
    if argv[0] in LIGHTNING_COMMANDS:
        from .train import run_lightning_cli

        run_lightning_cli(argv)
        return
    if argv[0] not in TOOL_COMMANDS:
        print(f"unknown command {argv[0]!r}\n\n{_usage()}", file=sys.stderr)
        sys.exit(2)
    from .errors import CrossGLGError

    try:
        parser = _tool_parser()
        args, extra = parser.parse_known_args(argv)
        overrides = args.command == "model-info" and extra and extra[0].startswith("--") and "." in extra[0]
        if extra and not overrides:  # only model-info takes config overrides (--data.aux_classes=20, ...)
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        args.overrides = extra
        code = _run_tool(args)
    except (CrossGLGError, FileNotFoundError, KeyError, ValueError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"error: {msg}", file=sys.stderr)
        sys.exit(1)
    sys.exit(code or 0)
