"""The recogniser that ships in the package: a checkpoint trained by `make pretrained` that
`enroll`, `recognize`, `importance` and `evaluate` use when no `--ckpt` is given, verified
by its SHA-256 before use.

`utdmhad.ckpt` (beside this file) holds the weights and settings only (no optimiser state);
`utdmhad.json` says how it was made: the config and command, the training data, the commit,
the result of its one-shot evaluation, and the checksum. Its training data is UTD-MHAD
(Chen, Jafari and Kehtarnavaz, ICIP 2015), the 18 auxiliary classes of `utdmhad_oneshot`
only, so the 9 novel classes it is evaluated on were never trained on. UTD-MHAD is
published for academic research with no licence stated: use the weights for research and
cite the data set's paper.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import CheckpointError
from ..io import file_sha256

HERE = Path(__file__).parent
DEFAULT = "utdmhad"


def info(name: str = DEFAULT) -> dict:
    """What `<name>.json` says of the shipped model (its making, data, result, checksum)."""
    card = HERE / f"{name}.json"
    if not card.is_file():
        raise CheckpointError(f"no shipped model {name!r} ({card} is missing): give --ckpt, or run `make pretrained`")
    return json.loads(card.read_text())


def pretrained_checkpoint(name: str = DEFAULT) -> Path:
    """The shipped checkpoint `name`, after its SHA-256 matched the one recorded beside it."""
    card, path = info(name), HERE / f"{name}.ckpt"
    if not path.is_file():
        raise CheckpointError(
            f"{path}: the shipped model's weights are missing; reinstall crossglg or `make pretrained`"
        )
    digest = file_sha256(path)
    if digest != card["sha256"]:
        raise CheckpointError(
            f"{path}: its SHA-256 {digest[:16]}... is not the recorded {card['sha256'][:16]}... "
            "(damaged or replaced); reinstall crossglg or rebuild it with `make pretrained`"
        )
    return path


def export(run_dir: str | Path, name: str = DEFAULT, out_dir: str | Path = HERE) -> Path:
    """Make `<out_dir>/<name>.ckpt` and its card `<name>.json` from a finished fit run
    (its `checkpoints/last.ckpt`, `config.yaml` and `result.json`)."""
    import yaml

    from ..io import atomic_write_text
    from ..models.checkpoint import export_checkpoint

    run, out = Path(run_dir), Path(out_dir)
    for need in ("checkpoints/last.ckpt", "config.yaml", "result.json"):
        if not (run / need).is_file():
            raise CheckpointError(f"{run / need}: missing (export needs a finished fit run)")
    ckpt = export_checkpoint(run / "checkpoints" / "last.ckpt", out / f"{name}.ckpt")
    result = json.loads((run / "result.json").read_text())
    config = yaml.safe_load((run / "config.yaml").read_text())
    card = {
        "name": name,
        "rebuild": "make pretrained",
        "file": ckpt.name,
        "sha256": file_sha256(ckpt),
        "bytes": ckpt.stat().st_size,
        "training_data": (
            f"{config['data']['dataset']}, protocol {config['data'].get('protocol') or 'utdmhad_oneshot'}: "
            "its auxiliary classes only"
        ),
        "licence": (
            "UTD-MHAD is academic research data with no licence stated (cite Chen, Jafari and Kehtarnavaz, "
            "ICIP 2015); the weights are for research use"
        ),
        "settings": result.get("settings"),
        "seed": result.get("seed"),
        "commit": result.get("commit"),
        "result": {k: result.get(k) for k in ("top1", "exemplar_avg_top1", "floor", "floor_exemplar_avg", "queries")},
        "wall_s": result.get("wall_s"),
        "machine": result.get("machine"),
    }
    atomic_write_text(out / f"{name}.json", json.dumps(card, indent=1) + "\n")
    return ckpt
