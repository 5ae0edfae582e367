"""A run's `result.json`: what every `fit` writes into its run folder (a `test` of the
same run writes `result_test.json` beside it, a standalone `validate` `result_validate.json`),
and the only file that sweeps and tables read. It holds the one-shot summary
(top-1, exemplar-averaged top-1, floor, per class, probe; the learning `curve`: top-1
and exemplar-averaged top-1 of each epoch's validation during the fit, `epoch` 0-based
like the summary's), the settings the run
actually used (from the resolved config), the seed and the code's commit."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from .io import atomic_write_text


def settings_of(config: dict) -> dict:
    """What a run actually used, from its resolved LightningCLI config."""
    model, data, trainer = config.get("model", {}), config.get("data", {}), config.get("trainer", {})
    encoder, guidance = model.get("encoder") or {}, model.get("guidance") or {}
    callbacks = trainer.get("callbacks") or []
    return {"dataset": data.get("dataset"), "aux_classes": data.get("aux_classes"),
            "encoder": encoder.get("name"), "g2l": guidance.get("g2l"), "l2g": guidance.get("l2g"),
            "fusion": guidance.get("fusion"), "text_swap": guidance.get("text_swap"),
            "jid_ramp_epochs": guidance.get("jid_ramp_epochs", 0.0),
            "descriptions": data.get("descriptions"), "protocol": data.get("protocol"),
            "distill": any(str(cb.get("class_path", "")).endswith("Distillation") for cb in callbacks),
            "seed": config.get("seed_everything"), "data_seed": data.get("seed"), "max_epochs": trainer.get("max_epochs")}


def commit() -> str | None:
    """The short commit of the crossglg checkout that runs (None outside git)."""
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                             cwd=Path(__file__).resolve().parent)
        return out.stdout.strip() or None
    except OSError:
        return None


#: The environment variable through which a sweep hands a run its grid point (JSON).
GRID_POINT_ENV = "CROSSGLG_GRID_POINT"


def write_result(run_dir: str | Path, summary: dict, config: dict, name: str = "result.json") -> Path:
    """`<run_dir>/<name>`, written once: the stage's summary, the settings, the seed, the
    commit and, for a sweep's run, its grid point (`params`, handed in by the sweep
    through `CROSSGLG_GRID_POINT`). The CLI names it `result.json` after a fit,
    `result_test.json` after a test and `result_validate.json` after a standalone
    validate, so neither replaces the fit's record."""
    params = json.loads(os.environ.get(GRID_POINT_ENV) or "{}")
    res = dict(summary, settings=settings_of(config), seed=config.get("seed_everything"), commit=commit(),
               **({"params": params} if params else {}))
    return atomic_write_text(Path(run_dir) / name, json.dumps(res, indent=1))


def seed_of(result: dict) -> tuple[int, int]:
    """A run's `(seed_everything, data.seed)` from its `result.json`: the sweep's
    parameters first, then the recorded settings; 0 for a data seed that a run written
    before `data_seed` was recorded never set (it was 0)."""
    params, settings = result.get("params", {}), result.get("settings") or {}
    seed = params.get("seed_everything", settings.get("seed", result.get("seed"))) or 0
    return int(seed), int(params.get("data.seed", settings.get("data_seed")) or 0)


def read_result(run_dir: str | Path) -> dict:
    path = Path(run_dir) / "result.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: the run wrote no result (did it finish?)")
    return json.loads(path.read_text())
