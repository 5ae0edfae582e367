"""LightningCLI wiring: `python -m crossglg fit|validate|test|predict --config ...`."""

from __future__ import annotations

from lightning.pytorch.cli import LightningCLI

from .data.datamodule import SkeletonDataModule
from .models.crossglg import CrossGLG


class CrossGLGCLI(LightningCLI):
    def add_arguments_to_parser(self, parser) -> None:
        parser.link_arguments("data.num_aux_classes", "model.num_classes", apply_on="instantiate")
        parser.link_arguments("data.text_dim", "model.text_dim", apply_on="instantiate")


def run_lightning_cli(argv: list[str]) -> CrossGLGCLI:
    return CrossGLGCLI(
        CrossGLG, SkeletonDataModule, args=argv, seed_everything_default=0,
        save_config_kwargs={"overwrite": True},
        trainer_defaults={"use_distributed_sampler": False, "default_root_dir": "runs"},
    )
