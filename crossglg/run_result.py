"""A run's record, `result.json`: written once, by the run, into its run folder at the
end of every `fit` (a `test` of the same run writes `result_test.json` beside it, a
standalone `validate` `result_validate.json`); nothing changes it afterwards. A sweep
keeps a copy as `results/<sweep>/<run>.json`, which the tables read. It holds the
final evaluation's summary (top-1, exemplar-averaged top-1, floor, per class, text-leak
probe, JID key-joint mass), the learning `curve` (top-1 and exemplar-averaged top-1 of
each validation during the fit, `epoch` 0-based like the summary's), the settings the
run actually used (from the resolved config), the seed, the code's commit, a sweep's
grid point (`params`), the run's wall time (`wall_s`, from the command's start) and the
machine it ran on."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from .io import atomic_write_text


def settings_of(config: dict) -> dict:
    """What a run actually used, from its resolved LightningCLI config."""
    model, data, trainer = config.get("model", {}), config.get("data", {}), config.get("trainer", {})
    encoder, guidance, text = model.get("encoder") or {}, model.get("guidance") or {}, model.get("text") or {}
    callbacks = trainer.get("callbacks") or []
    return {
        "dataset": data.get("dataset"),
        "num_aux_classes": data.get("num_aux_classes"),
        "encoder": encoder.get("name"),
        "g2l": guidance.get("g2l"),
        "l2g": guidance.get("l2g"),
        "fusion": guidance.get("fusion"),
        "text_swap": guidance.get("text_swap"),
        "jid_ramp_epochs": guidance.get("jid_ramp_epochs", 0.0),
        "text_encoder": text.get("encoder"),
        "descriptions": text.get("descriptions"),
        "protocol": data.get("protocol"),
        "distill": any(str(cb.get("class_path", "")).endswith("Distillation") for cb in callbacks),
        "seed": config.get("seed_everything"),
        "data_seed": (data.get("loader") or {}).get("seed"),
        "max_epochs": trainer.get("max_epochs"),
    }


def commit() -> str | None:
    """The short commit of the crossglg checkout that runs, `-dirty` when it has
    uncommitted changes (None outside git)."""
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parent,
        )
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
    res = dict(
        summary,
        settings=settings_of(config),
        seed=config.get("seed_everything"),
        commit=commit(),
        **({"params": params} if params else {}),
    )
    return atomic_write_text(Path(run_dir) / name, json.dumps(res, indent=1))


def read_result(run_dir: str | Path) -> dict:
    path = Path(run_dir) / "result.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: the run wrote no result (did it finish?)")
    return json.loads(path.read_text())
