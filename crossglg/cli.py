"""`python -m crossglg`: LightningCLI's fit/validate/test/predict, and the data, text,
model, evaluation and recognition tools beside them under the same entry point. The
tools are listed once, in `TOOLS`; each lives in its own layer's `commands` module
(`data/commands.py`, `text/commands.py`, `eval/commands.py`, `recognition_commands.py`, `video/commands.py`,
`sweep.py`; `model-info` here, as it resolves configs the way `fit` does)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Callable

LIGHTNING_COMMANDS = {
    "fit": "train a model (text-guided) and report its one-shot accuracy",
    "validate": "one-shot evaluation of a checkpoint on the validation set",
    "test": "one-shot evaluation of a checkpoint (prints the one-shot line)",
    "predict": "embed the evaluation samples with the text-free branch",
}
#: Every tool, once: its help line and the module whose `COMMANDS[name]` gives the
#: tool's `(add_arguments(parser), run(args) -> exit code)`. Modules load only when used.
TOOLS: dict[str, tuple[str, str]] = {
    "generate": (
        "write a generated data set (builtin, composed, ntu120-standin) as NTU-format .skeleton files",
        "crossglg.data.commands",
    ),
    "prepare": ("parse a data set's raw files once into a memory-mapped cache", "crossglg.data.commands"),
    "protocol": ("show a one-shot protocol, or check it against a cache", "crossglg.data.commands"),
    "floor": ("the no-learning floor: nearest exemplar by cosine on raw coordinates", "crossglg.eval.commands"),
    "evaluate": ("one-shot evaluation of a checkpoint or a stream set (streams fused)", "crossglg.eval.commands"),
    "describe": (
        "LLM text descriptions of every class (Anthropic API; --show prints the shipped file)",
        "crossglg.text.commands",
    ),
    "embed": ("fill the sentence-embedding cache of a data set's descriptions", "crossglg.text.commands"),
    "model-info": ("parameters and FLOPs of a configured model", "crossglg.cli"),
    "probe": ("text-leak probe of fit runs: does the cross-modal branch use the skeleton?", "crossglg.eval.commands"),
    "enroll": ("add a new action to a gallery from one or a few recordings", "crossglg.recognition_commands"),
    "recognize": ("recognise recordings against a gallery (no text needed)", "crossglg.recognition_commands"),
    "importance": ("plot which joints the JID weighs most for a recording", "crossglg.recognition_commands"),
    "pose": ("a video's skeleton by MediaPipe Pose (.npy; the video extra)", "crossglg.video.commands"),
    "pretrained": (
        "the model shipped in the package: its making, data, licence, result, checksum",
        "crossglg.recognition_commands",
    ),
    "sweep": (
        "run wandb sweep files' grids locally (resumable; several runs per GPU; --dry-run: the plan and its cost)",
        "crossglg.sweep",
    ),
    "tables": (
        "regenerate every table in README.md and docs/ from the committed run records",
        "crossglg.results.commands",
    ),
}


def _usage() -> str:
    lines = ["usage: python -m crossglg COMMAND [options]", "", "training and evaluation (LightningCLI):"]
    lines += [f"  {k:<11} {v}" for k, v in LIGHTNING_COMMANDS.items()]
    lines += ["", "tools:"]
    lines += [f"  {k:<11} {help}" for k, (help, _) in TOOLS.items()]
    lines += ["", "`python -m crossglg COMMAND --help` for a command's options."]
    return "\n".join(lines)


def tool_parser(name: str) -> tuple[argparse.ArgumentParser, Callable[[argparse.Namespace], int]]:
    """The parser of tool `name` and its run function, from the `TOOLS` table."""
    import importlib

    help, module = TOOLS[name]
    add_arguments, run = importlib.import_module(module).COMMANDS[name]
    parser = argparse.ArgumentParser(prog=f"python -m crossglg {name}", description=help)
    add_arguments(parser)
    return parser, run


def model_info_arguments(m) -> None:
    m.description = (
        "Build the model of a config (without data) and count parameters and FLOPs at the config's "
        "window and persons (default: NTU settings T=64, V=25, M=2). Overrides as `fit` takes them "
        "may follow, e.g. --data.num_aux_classes=20."
    )
    m.add_argument(
        "--config",
        required=True,
        action="append",
        help="a config file as `fit` takes it; repeat to layer (e.g. a setting, then configs/methods/*.yaml)",
    )
    m.add_argument("--num-classes", type=int, default=None, help="default: the auxiliary classes, as fit links them")
    m.add_argument("--text-dim", type=int, default=None, help="default: the config's text encoder's width")
    m.add_argument("--json", action="store_true")
    m.set_defaults(takes_overrides=True)


def model_info(args) -> int:
    from .models.info import model_info as measure
    from .train import network_args, resolve_config

    cfg = resolve_config([x for path in args.config for x in ("--config", path)] + list(args.overrides))
    data = cfg.get("data") or {}
    margs = network_args(cfg)
    if args.num_classes is not None:
        margs["num_classes"] = args.num_classes
    if args.text_dim is not None:
        margs["text_dim"] = args.text_dim
    info = measure(margs, (data.get("transform") or {}).get("window", 64), data.get("persons", 2))
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
        started = time.monotonic()  # before torch and Lightning load: a record's wall time is the whole command's
        from .train import run_lightning_cli

        run_lightning_cli(argv, started=started)
        return
    if argv[0] not in TOOLS:
        print(f"unknown command {argv[0]!r}\n\n{_usage()}", file=sys.stderr)
        sys.exit(2)
    from .errors import CrossGLGError

    try:
        parser, run = tool_parser(argv[0])
        args, extra = parser.parse_known_args(argv[1:])
        overrides = getattr(args, "takes_overrides", False) and all(
            a.startswith("--") and "." in a.split("=")[0] for a in extra if a.startswith("-")
        )
        if extra and not overrides:  # only model-info takes config overrides (--data.num_aux_classes=20, ...)
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        args.overrides = extra
        code = run(args)
    except (CrossGLGError, FileNotFoundError, KeyError, ValueError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"error: {msg}", file=sys.stderr)
        sys.exit(1)
    sys.exit(code or 0)


COMMANDS = {"model-info": (model_info_arguments, model_info)}
