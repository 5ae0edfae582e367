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

import netrc
import os
from pathlib import Path

from lightning.pytorch.cli import LightningCLI, SaveConfigCallback

from .data.datamodule import SkeletonDataModule
from .task import CrossGLG
from .text.embeddings import encoder_dimension


def _has_wandb_key() -> bool:
    if os.environ.get("WANDB_API_KEY"):
        return True
    try:
        return netrc.netrc().authenticators("api.wandb.ai") is not None
    except (FileNotFoundError, netrc.NetrcParseError, OSError):
        return False


def default_wandb_mode() -> None:
    """Offline by default, online when the user has a key; an explicit WANDB_MODE wins."""
    if "WANDB_MODE" not in os.environ and not _has_wandb_key():
        os.environ["WANDB_MODE"] = "offline"


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


class CrossGLGCLI(LightningCLI):
    """LightningCLI with the data-to-model links, the run folder's defaults, and the
    run's `result.json` (`crossglg.run_result`) in the run folder
    (`trainer.default_root_dir`) after `fit`, `result_test.json` after `test` and
    `result_validate.json` after a standalone `validate`."""

    def after_fit(self) -> None:
        self._write_result("validate", "result.json")

    def after_validate(self) -> None:
        self._write_result("validate", "result_validate.json")

    def after_test(self) -> None:
        self._write_result("test", "result_test.json")

    def _write_result(self, stage: str, name: str) -> None:
        from .eval.report import summary
        from .run_result import write_result

        res = self.model.results.get(stage)
        if res is None or not self.trainer.is_global_zero:
            return
        draws = self.model.evaluation.exemplar_draws
        record = dict(summary(stage, res, draws), curve=list(self.model.curve))
        write_result(self.trainer.default_root_dir, record, self.config[self.subcommand].as_dict(), name)

    def _parse_ckpt_path(self) -> None:
        """LightningCLI applies a `--ckpt_path` checkpoint's hyper-parameters to the config
        (its own `_parse_ckpt_path`); those of a checkpoint written before the settings
        were grouped (crossglg versions 1-3) are put into their groups first."""
        from .models.checkpoint import read_checkpoint, task_arguments

        sub = self.config.get("subcommand")
        path = self.config[sub].get("ckpt_path") if sub else None
        if not path or not Path(path).is_file():
            return
        ckpt = read_checkpoint(path)
        hparams = task_arguments(ckpt.get("hyper_parameters", {}), ckpt["crossglg_version"])
        if hparams:
            self.config = self.parser.parse_object({sub: {"model": hparams}}, self.config)

    def add_arguments_to_parser(self, parser) -> None:
        parser.link_arguments("data.num_aux_classes", "model.num_classes", apply_on="instantiate")
        parser.link_arguments("data.text_encoder", "model.text_dim", compute_fn=encoder_dimension, apply_on="parse")
        parser.link_arguments("data.persons", "model.persons")

    def before_instantiate_classes(self) -> None:
        cfg = self.config[self.subcommand] if self.subcommand else self.config
        trainer = cfg.trainer
        root = Path(trainer.default_root_dir or "runs")
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
        if self.subcommand == "predict" and not any(_is(cb, "OneShotPredictionWriter") for cb in trainer.callbacks or []):
            from jsonargparse import Namespace

            writer = Namespace(class_path="crossglg.eval.evaluation.OneShotPredictionWriter", init_args=Namespace(out_dir=None))
            trainer.callbacks = list(trainer.callbacks or []) + [writer]


def _is(spec, name: str) -> bool:
    return spec is not None and not isinstance(spec, bool) and str(spec.get("class_path", "")).endswith(name)


TRAINER_DEFAULTS = {"use_distributed_sampler": False, "default_root_dir": "runs"}


def check_config_files(argv: list[str]) -> None:
    """A clear error, before LightningCLI's own, for a `--config` file whose `model:`
    settings are flat (written for crossglg before the settings were grouped)."""
    import yaml

    from .settings import flat_keys

    paths = [a.split("=", 1)[1] for a in argv if a.startswith("--config=")]
    paths += [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--config"]
    for path in paths:
        try:
            cfg = yaml.safe_load(Path(path).read_text())
        except (OSError, yaml.YAMLError):
            continue  # LightningCLI names the problem
        old = flat_keys(cfg) if isinstance(cfg, dict) else []
        if old:
            raise SystemExit(f"error: {path}: flat model settings ({', '.join(old[:4])}{', ...' if len(old) > 4 else ''}); "
                             f"they are grouped now (model.encoder.name, model.guidance.g2l, model.optimiser.lr, ...). "
                             f"Convert the file: python -m crossglg upgrade-config {path} --out NEW.yaml")


def run_lightning_cli(argv: list[str], run: bool = True) -> CrossGLGCLI:
    """LightningCLI on `argv` (`["fit", "--config", ...]`); with `run=False`, `argv` has no
    sub-command and the CLI only builds the model, data and trainer."""
    import warnings

    check_config_files(argv)

    with warnings.catch_warnings():  # `python -m crossglg fit ...` passes its own argv on: not a mistake
        warnings.filterwarnings("ignore", message=".*args parameter is intended")
        return CrossGLGCLI(CrossGLG, SkeletonDataModule, args=argv, seed_everything_default=0,
                           save_config_callback=LogConfig, save_config_kwargs={"overwrite": True},
                           trainer_defaults=TRAINER_DEFAULTS, run=run)


class _ParseOnly(CrossGLGCLI):
    def before_instantiate_classes(self) -> None:
        pass

    def instantiate_classes(self) -> None:
        pass

    def _set_seed(self) -> None:  # parsing only: leave the global RNGs alone
        pass


def resolve_config(argv: list[str]) -> dict:
    """The config `fit` would run with (config files in order, includes and overrides
    applied, defaults filled in), as a dict, without building data, model or trainer.
    `argv`: e.g. `["--config", "configs/ntu120.yaml", "--data.aux_classes=20", "--model.encoder.name=stgcn"]`."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*args parameter is intended")
        cli = _ParseOnly(CrossGLG, SkeletonDataModule, args=argv, run=False, seed_everything_default=0,
                         save_config_callback=None, trainer_defaults=TRAINER_DEFAULTS)
    return cli.config.as_dict()
