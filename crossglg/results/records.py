"""Loading run records and naming their rows.

A record is a run's `result.json` (`crossglg.run_result`), kept by the sweep runner as
`results/<sweep>/<run>.json`. A record's row is its method overlay (the sweep's
`config` parameter, the file's stem), then `@<encoder>` when the records compared use
several encoders, `@<N>ep` when they train for different numbers of epochs, and
`@<sweep>` where two sweeps hold the same row at the same seed. A run's seed is
`(seed_everything, data.seed)`: initial weights, dropout and text swap, then the data
order; a pair shares both.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from ..errors import CrossGLGError

Seed = tuple[int, int]  # (seed_everything, data.seed)


class RecordError(CrossGLGError):
    """A records folder that is missing, empty or inconsistent."""


@dataclass
class Record:
    sweep: str
    run: str
    path: Path
    data: dict

    def __getitem__(self, key: str):
        return self.data[key]

    def get(self, key: str, default=None):
        return self.data.get(key, default)


def seed_of(result: dict) -> Seed:
    """A run's `(seed_everything, data.seed)`: the sweep's grid point first, then the
    recorded settings."""
    params, settings = result.get("params", {}), result.get("settings") or {}
    seed = params.get("seed_everything", settings.get("seed", result.get("seed"))) or 0
    return int(seed), int(params.get("data.seed", settings.get("data_seed")) or 0)


def seed_label(seed: Seed, data: bool = False) -> str:
    """`3`, or `3/data 1` with `data` (where the table's runs vary the data order)."""
    return f"{seed[0]}/data {seed[1]}" if data else f"{seed[0]}"


def load_sweep(folder: str | Path) -> list[Record]:
    """Every record of one sweep folder (`<records>/<sweep>/*.json`), sorted by run name."""
    folder = Path(folder)
    files = sorted(folder.glob("*.json"))
    if not files:
        raise RecordError(
            f"{folder}: no records here (run its sweep first: python -m crossglg sweep "
            f"experiments/sweeps/{folder.name}.yaml)"
        )
    out = []
    for f in files:
        try:
            data = json.loads(f.read_text())
        except json.JSONDecodeError as e:
            raise RecordError(f"{f}: not a run record ({e})") from None
        missing = [k for k in ("settings", "top1") if not isinstance(data, dict) or data.get(k) is None]
        if missing:
            raise RecordError(f"{f}: not a run record (no {' or '.join(repr(k) for k in missing)})")
        out.append(Record(folder.name, f.stem, f, data))
    return out


STREAM = "data.transform.stream"


def row_of(params: dict) -> str:
    """A sweep run's row: its method overlay (the `config` parameter's file stem), with the
    input stream where the run names one (`crossglg,stream=bone`), or, where the sweep
    varies no overlay, the parameters it varies apart from the seeds."""
    if "config" in params:
        method = Path(str(params["config"])).stem
        return f"{method},stream={params[STREAM]}" if STREAM in params else method
    rest = [f"{_short(k)}={v}" for k, v in params.items() if k not in ("seed_everything", "data.seed")]
    return ",".join(rest) or "default"


def _short(key: str) -> str:
    """A parameter's short name: its last part (`supcon_weight`), or the part before a
    `name` (`model.encoder.name` -> `encoder`)."""
    parts = key.split(".")
    return parts[-2] if parts[-1] == "name" and len(parts) > 1 else parts[-1]


def rows(folders: list[str | Path]) -> dict[str, dict[Seed, Record]]:
    """The records of some sweep folders by row, then seed (see the module's docstring).
    Two records of one row at one seed in a single sweep are an error."""

    runs = []
    for folder in dict.fromkeys(Path(f).resolve() for f in folders):
        for r in load_sweep(folder):
            settings = r["settings"]
            enc = settings.get("encoder")
            params = r.get("params") or {}
            # A row that already names its encoder (a sweep over model.encoder.name) is not suffixed.
            enc = None if "model.encoder.name" in params else enc
            runs.append((row_of(params), seed_of(r.data), enc, settings.get("max_epochs"), r))
    encoders, lengths = len({x[2] for x in runs if x[2]}) > 1, len({x[3] for x in runs}) > 1
    named = [
        (row + (f"@{enc}" if encoders and enc else "") + (f"@{epochs or '?'}ep" if lengths else ""), seed, r)
        for row, seed, enc, epochs, r in runs
    ]
    sweeps_of = defaultdict(set)
    for name, seed, r in named:
        sweeps_of[name, seed].add(r.sweep)
    clash = {name for (name, _), sweeps in sweeps_of.items() if len(sweeps) > 1}
    out: dict[str, dict[Seed, Record]] = defaultdict(dict)
    for name, seed, r in named:
        if name in clash:
            name += f"@{r.sweep}"
        if seed in out[name]:
            raise RecordError(
                f"two records of row {name!r} at seed {seed_label(seed, True)}: {out[name][seed].path} "
                f"and {r.path} (they differ in a setting that does not name a row; split the sweep)"
            )
        out[name][seed] = r
    return dict(out)


def common_seeds(by_row: dict[str, dict[Seed, Record]]) -> dict[str, dict[Seed, Record]]:
    """The same rows with only the seeds that every row has (none left is an error)."""
    keep = set.intersection(*(set(runs) for runs in by_row.values())) if by_row else set()
    if not keep:
        raise RecordError(f"rows {', '.join(sorted(by_row))}: no seed that every row has")
    return {name: {s: r for s, r in runs.items() if s in keep} for name, runs in by_row.items()}


def method_of(settings: dict) -> str:
    """A record's method, named from the settings it ran with (for the benchmark tables)."""
    name = {
        (False, False): "plain encoder",
        (True, False): "G2L only",
        (False, True): "L2G only",
        (True, True): "CrossGLG",
    }[(bool(settings["g2l"]), bool(settings["l2g"]))]
    if settings.get("l2g"):  # the default cross-modal branch: gathered fusion, text swap 0.5
        if settings.get("fusion") == "residual":
            name += " (residual fusion)"
        elif settings.get("text_swap") not in (None, 0.5):
            name += f" (text swap {settings.get('text_swap')})"
    if settings.get("g2l") and settings.get("jid_ramp_epochs"):
        name += f" (JID ramp {settings['jid_ramp_epochs']:g} epochs)"
    if settings.get("descriptions"):
        name += f" [text: {Path(str(settings['descriptions'])).stem}]"
    return name + (" + distillation" if settings.get("distill") else "")
