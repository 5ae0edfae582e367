"""LightningCLI wiring: `python -m crossglg fit|validate|test|predict --config ...`.

Where outputs go, from the one option `trainer.default_root_dir` (a run's folder):
a `ModelCheckpoint` without `dirpath` writes to `<root>/checkpoints` (so a crashed run
resumes with `--ckpt_path <root>/checkpoints/last.ckpt`), and a `WandbLogger` without
`save_dir` writes its run under `<root>/wandb`; `predict` writes `predictions.csv` and
`embeddings.npy` there (`eval.evaluation.OneShotPredictionWriter`). wandb runs offline
unless the user has a key (`WANDB_API_KEY` or `wandb login`) or sets `WANDB_MODE` themselves; the whole
parsed config is logged to every logger, beside the metrics and the plots.
"""

from __future__ import annotations

import logging
import netrc
import os
import sys
import time
from pathlib import Path

from lightning.pytorch.cli import LightningArgumentParser, LightningCLI, SaveConfigCallback

from .data.datamodule import SkeletonDataModule
from .task import CrossGLGTask


def _has_wandb_key() -> bool:
    if os.environ.get("WANDB_API_KEY"):
        return True
    try:
        return netrc.netrc().authenticators("api.wandb.ai") is not None
    except (FileNotFoundError, netrc.NetrcParseError, OSError):
        return False


def default_wandb_mode() -> None:
    """Offline by default, online when the user has a key; an explicit WANDB_MODE wins.
    wandb's own console lines are silenced where crossglg chose offline for the user."""
    if "WANDB_MODE" not in os.environ and not _has_wandb_key():
        os.environ["WANDB_MODE"] = "offline"
        os.environ.setdefault("WANDB_SILENT", "true")


class _NoTips(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "Tip:" not in str(record.msg)


def quiet() -> None:
    """Nothing before a command's own output but what the user needs: Lightning's
    advertising tips and the deprecation warnings of Lightning's own dependencies go."""
    import warnings

    logging.getLogger("lightning.pytorch.utilities.rank_zero").addFilter(_NoTips())
    warnings.filterwarnings("ignore", message=".*isinstance\\(treespec, LeafSpec\\)")
    warnings.filterwarnings("ignore", category=DeprecationWarning, module="jsonargparse")
    warnings.filterwarnings("ignore", message=".*is smaller than the logging interval")


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and "class_path" not in v:
            out.update(_flatten(v, f"{key}/"))
        else:
            out[key] = v
    return out


class LogConfig(SaveConfigCallback):
    """Writes `config.yaml` to the run folder (LightningCLI's behaviour) and logs the
    whole config (trainer, model, data, seed) to the run's loggers, e.g. wandb."""

    def save_config(self, trainer, pl_module, stage: str) -> None:
        flat = _flatten(self.config.as_dict())
        flat = {k: v for k, v in flat.items() if not k.startswith("config")}
        for lg in trainer.loggers:
            lg.log_hyperparams({f"cli/{k}": v for k, v in flat.items()})


class ArgumentParser(LightningArgumentParser):
    """LightningCLI's parser with a short error: the message and where the options are
    listed, without the usage's hundred lines; flags are never abbreviated
    (`--trainer.max_epoch` is an error, not `max_epochs`)."""

    def __init__(self, *args, **kwargs):
        kwargs["allow_abbrev"] = False
        super().__init__(*args, **kwargs)

    def error(self, message: str, ex: Exception | None = None):
        try:
            from jsonargparse._common import debug_mode_active
        except ImportError:  # jsonargparse moved it: the short error still applies

            def debug_mode_active() -> bool:
                return False

        if not self.exit_on_error or debug_mode_active():
            return super().error(message, ex)
        prog = " ".join(["python -m crossglg", *self.prog.replace(" [options]", "").split()[1:]])
        sys.stderr.write(f"error: {message.strip()}\n(the options: {prog} --help)\n")
        sys.exit(2)


class CrossGLGCLI(LightningCLI):
    """LightningCLI with the run folder's defaults, and the
    run's `result.json` (`crossglg.run_result`) in the run folder
    (`trainer.default_root_dir`) after `fit`, `result_test.json` after `test` and
    `result_validate.json` after a standalone `validate`."""

    command_started: float | None = None  # set by run_lightning_cli

    def __init__(self, *args, **kwargs):
        # LightningCLI runs the subcommand inside __init__; the command may have started earlier
        self.started = self.command_started or time.monotonic()
        super().__init__(*args, **kwargs)

    def after_fit(self) -> None:
        last = self.trainer.current_epoch - 1
        res = self.model.results.get("validate")
        if res is None or not res.final or res.step != self.trainer.global_step:
            # the fit's last validation was not of the weights it ends with (a resumed run
            # with nothing left to train, validation inside the epoch, a run bounded by
            # steps or time): evaluate those weights, in full
            self.model.checkpoint_epoch = last
            self.trainer.validate(self.model, datamodule=self.datamodule, verbose=False)
        self._write_result("validate", "")

    def after_validate(self) -> None:
        self._write_result("validate", "_validate")

    def after_test(self) -> None:
        self._write_result("test", "_test")

    def _write_result(self, stage: str, suffix: str) -> None:
        """The run's record `result<suffix>.json`, its plots beside it, and its result lines."""
        from .eval.report import write_report

        res = self.model.results.get(stage)
        if res is None or not self.trainer.is_global_zero:
            return
        extra = dict(
            curve=list(self.model.curve),
            wall_s=round(time.monotonic() - self.started, 1),
            machine=machine(self.trainer),
        )
        config = self.config[self.subcommand].as_dict()
        root = Path(self.trainer.default_root_dir)
        write_report(res, stage, root, config, self.model.evaluation, extra, suffix, self.trainer.loggers)

    def instantiate_classes(self) -> None:
        super().instantiate_classes()
        for lg in self.trainer.loggers:
            # Lightning hands wandb `anonymous=None`, which wandb >= 0.19 warns about on every
            # run though it means "not set": leave it out (wandb reads it nowhere else)
            init = getattr(lg, "_wandb_init", None)
            if isinstance(init, dict) and init.get("anonymous") is None:
                init.pop("anonymous", None)

    def before_instantiate_classes(self) -> None:
        cfg = self.config[self.subcommand] if self.subcommand else self.config
        trainer = cfg.trainer
        root = Path(trainer.default_root_dir or "runs")
        if self.subcommand == "fit":  # before anything is written there
            check_run_folder(root, cfg.get("ckpt_path"))
        loggers = trainer.logger if isinstance(trainer.logger, list) else [trainer.logger]
        for lg in loggers:
            if _is(lg, "WandbLogger"):
                default_wandb_mode()
                if lg.init_args.get("save_dir") in (None, "."):
                    lg.init_args.save_dir = str(root)
                (root / "wandb").mkdir(parents=True, exist_ok=True)
        for cb in trainer.callbacks or []:
            if _is(cb, "ModelCheckpoint") and cb.init_args.get("dirpath") is None:
                cb.init_args.dirpath = str(root / "checkpoints")
        if self.subcommand == "predict" and not any(
            _is(cb, "OneShotPredictionWriter") for cb in trainer.callbacks or []
        ):
            from jsonargparse import Namespace

            writer = Namespace(
                class_path="crossglg.eval.evaluation.OneShotPredictionWriter", init_args=Namespace(out_dir=None)
            )
            trainer.callbacks = list(trainer.callbacks or []) + [writer]


def cpu_name() -> str:
    import platform

    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "cpu"


def machine(trainer) -> dict:
    """Where a run ran: the device's name and the CPU threads torch used."""
    import torch

    root = trainer.strategy.root_device
    device = torch.cuda.get_device_name(root) if root.type == "cuda" else cpu_name()
    return {
        "device": device,
        "threads": torch.get_num_threads(),
        "devices": trainer.world_size,
        "torch": torch.__version__,
    }


def check_run_folder(root: Path, ckpt_path: str | None) -> None:
    """A fit never replaces a result nor mixes two runs in one folder: a folder with a
    finished run's `result.json` is refused, and so is a fresh fit (no `--ckpt_path`)
    into a folder that holds an unfinished run's checkpoints."""
    if (root / "result.json").is_file():
        raise SystemExit(
            f"error: {root} already holds a finished run (result.json); a fit never replaces a "
            f"result: give another --trainer.default_root_dir, or delete the folder"
        )
    ckpts = root / "checkpoints"
    if ckpt_path is None and ckpts.is_dir() and any(ckpts.glob("*.ckpt")):
        raise SystemExit(
            f"error: {root} holds an unfinished run; resume it with --ckpt_path "
            f"{ckpts / 'last.ckpt'}, or give another --trainer.default_root_dir"
        )


def _is(spec, name: str) -> bool:
    return spec is not None and not isinstance(spec, bool) and str(spec.get("class_path", "")).endswith(name)


TRAINER_DEFAULTS = {"use_distributed_sampler": False, "default_root_dir": "runs"}


def check_config_files(argv: list[str]) -> None:
    """A one-line error for a `--config` file that does not exist."""
    paths = [a.split("=", 1)[1] for a in argv if a.startswith("--config=")]
    paths += [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--config"]
    for path in paths:
        if not Path(path).is_file():
            raise SystemExit(f"error: {path}: no such config file")


def run_lightning_cli(argv: list[str], run: bool = True, started: float | None = None) -> CrossGLGCLI:
    """LightningCLI on `argv` (`["fit", "--config", ...]`); with `run=False`, `argv` has no
    sub-command and the CLI only builds the model, data and trainer. `started`: the
    `time.monotonic()` the command started at (default: now), from which a record's
    `wall_s` counts."""
    import warnings

    CrossGLGCLI.command_started = started

    check_config_files(argv)
    quiet()

    with warnings.catch_warnings():  # `python -m crossglg fit ...` passes its own argv on: not a mistake
        warnings.filterwarnings("ignore", message=".*args parameter is intended")
        return CrossGLGCLI(
            CrossGLGTask,
            SkeletonDataModule,
            args=argv,
            seed_everything_default=0,
            parser_class=ArgumentParser,
            save_config_callback=LogConfig,
            save_config_kwargs={"overwrite": True},
            trainer_defaults=TRAINER_DEFAULTS,
            run=run,
        )


class _ParseOnly(CrossGLGCLI):
    def before_instantiate_classes(self) -> None:
        pass

    def instantiate_classes(self) -> None:
        pass


def resolve_config(argv: list[str]) -> dict:
    """The config `fit` would run with (config files in order, includes and overrides
    applied, defaults filled in), as a dict, without building data, model or trainer.
    `argv`: e.g. `["--config", "configs/ntu120.yaml", "--data.num_aux_classes=20", "--model.encoder.name=stgcn"]`."""
    import random
    import warnings

    import numpy as np
    import torch

    states = random.getstate(), np.random.get_state(), torch.random.get_rng_state(), os.environ.get("PL_GLOBAL_SEED")
    seed_log = logging.getLogger("lightning.fabric.utilities.seed")
    level = seed_log.level
    seed_log.setLevel(logging.WARNING)  # parsing seeds nothing the user needs to hear of
    try:
        with warnings.catch_warnings():  # parsing only: the global random state is left as it was
            warnings.filterwarnings("ignore", message=".*args parameter is intended")
            cli = _ParseOnly(
                CrossGLGTask,
                SkeletonDataModule,
                args=argv,
                run=False,
                seed_everything_default=0,
                parser_class=ArgumentParser,
                save_config_callback=None,
                trainer_defaults=TRAINER_DEFAULTS,
            )
    finally:
        seed_log.setLevel(level)
    random.setstate(states[0])
    np.random.set_state(states[1])
    torch.random.set_rng_state(states[2])
    if states[3] is None:
        os.environ.pop("PL_GLOBAL_SEED", None)
    else:
        os.environ["PL_GLOBAL_SEED"] = states[3]
    return cli.config.as_dict()


def network_args(cfg: dict) -> dict:
    """The arguments of the network a resolved config (`resolve_config`) trains, sized as
    the task sizes it in `setup`: `num_classes` from the data's auxiliary classes (from
    the protocol, or the prepared data where the protocol takes every class present),
    `text_dim` from the text encoder (loaded to ask it), `persons` from the data; with the
    groups `encoder`, `guidance`, `classifier`. `CrossGLGNet(**network_args(cfg))` is the
    network, untrained."""
    from .models.checkpoint import NETWORK_KEYS
    from .settings import GuidanceConfig, TextConfig, as_group
    from .text.embeddings import text_width

    data, model = cfg.get("data") or {}, cfg.get("model") or {}
    args = {k: v for k, v in model.items() if k in NETWORK_KEYS and v is not None}
    guidance, text = as_group(GuidanceConfig, model.get("guidance")), as_group(TextConfig, model.get("text"))
    uses_text = (guidance.g2l or guidance.l2g) and text.encoder is not None
    args.setdefault("num_classes", SkeletonDataModule(**data).count_aux_classes())
    args.setdefault("text_dim", text_width(text.encoder) if uses_text else 0)
    args.setdefault("persons", data.get("persons", 2))
    return args
