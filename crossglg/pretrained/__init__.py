"""The recogniser that ships in the package: a checkpoint, or a stream set of checkpoints,
trained by `make pretrained`, that `enroll`, `recognize`, `importance` and `evaluate` use
when no `--ckpt` is given, verified file by file by SHA-256 before use.

`utdmhad.json` (beside this file) says how the model was made: the command, the training
data, the commit, the result of its one-shot evaluation, and each file's checksum. Its
weights are `utdmhad.ckpt` (one checkpoint) or the folder `utdmhad/` (a stream set: one
checkpoint per input stream and `streams.json`, fused as `models.stream_set` describes);
the card's `file` names which. Checkpoints hold the weights and settings only (no
optimiser state). Its training data is UTD-MHAD (Chen, Jafari and Kehtarnavaz, ICIP
2015), the 18 auxiliary classes of `utdmhad_oneshot` only, so the 9 novel classes it is
evaluated on were never trained on. UTD-MHAD is published for academic research with no
licence stated: use the weights for research and cite the data set's paper.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ..errors import CheckpointError
from ..io import file_sha256

HERE = Path(__file__).parent
DEFAULT = "utdmhad"
LICENCE = (
    "UTD-MHAD is academic research data with no licence stated (cite Chen, Jafari and Kehtarnavaz, "
    "ICIP 2015); the weights are for research use"
)


def info(name: str = DEFAULT) -> dict:
    """What `<name>.json` says of the shipped model (its making, data, result, checksums)."""
    card = HERE / f"{name}.json"
    if not card.is_file():
        raise CheckpointError(f"no shipped model {name!r} ({card} is missing): give --ckpt, or run `make pretrained`")
    return json.loads(card.read_text())


def checksums(card: dict) -> dict[str, str]:
    """`{file relative to the package folder: SHA-256}` of a card: its one checkpoint, or
    every file of its stream set."""
    if isinstance(card["sha256"], dict):
        return {f"{card['file']}/{f}": digest for f, digest in card["sha256"].items()}
    return {card["file"]: card["sha256"]}


def pretrained_checkpoint(name: str = DEFAULT) -> Path:
    """The shipped model `name` (a checkpoint file or a stream-set folder), after every
    file's SHA-256 matched the one recorded in its card."""
    card = info(name)
    for rel, recorded in checksums(card).items():
        path = HERE / rel
        if not path.is_file():
            raise CheckpointError(
                f"{path}: the shipped model's weights are missing; reinstall crossglg or `make pretrained`"
            )
        digest = file_sha256(path)
        if digest != recorded:
            raise CheckpointError(
                f"{path}: its SHA-256 {digest[:16]}... is not the recorded {recorded[:16]}... "
                "(damaged or replaced); reinstall crossglg or rebuild it with `make pretrained`"
            )
    return HERE / card["file"]


def _finished_run(run: Path) -> tuple[dict, dict]:
    """`(result.json, config.yaml)` of a finished fit run folder."""
    import yaml

    for need in ("checkpoints/last.ckpt", "config.yaml", "result.json"):
        if not (run / need).is_file():
            raise CheckpointError(f"{run / need}: missing (export needs a finished fit run)")
    return json.loads((run / "result.json").read_text()), yaml.safe_load((run / "config.yaml").read_text())


RESULT_KEYS = ("top1", "exemplar_avg_top1", "floor", "floor_exemplar_avg", "queries")


def export(runs: str | Path | dict[str, str | Path], name: str = DEFAULT, out_dir: str | Path = HERE) -> Path:
    """Ship finished fit runs (each with `checkpoints/last.ckpt`, `config.yaml` and
    `result.json`) as `<out_dir>/<name>.ckpt` (one run) or as the stream set
    `<out_dir>/<name>/` (`{stream: run}` of several: one recipe trained on several
    streams, evaluated here as one model on the data it was trained on), with the card
    `<name>.json`. Whatever an earlier export of `name` left is replaced."""
    from ..io import atomic_write_text
    from ..models.checkpoint import export_checkpoint

    out = Path(out_dir)
    runs = {"": runs} if not isinstance(runs, dict) else runs
    if not runs:
        raise CheckpointError("export needs at least one finished fit run")
    made = {stream: _finished_run(Path(run)) for stream, run in runs.items()}
    result, config = next(iter(made.values()))
    single, folder = len(runs) == 1, out / name
    card = {"name": name, "rebuild": "make pretrained"}
    if single:  # written atomically over an earlier single export; an earlier set goes after
        ckpt = export_checkpoint(Path(next(iter(runs.values()))) / "checkpoints" / "last.ckpt", out / f"{name}.ckpt")
        shutil.rmtree(folder, ignore_errors=True)
        card.update(file=ckpt.name, sha256=file_sha256(ckpt), bytes=ckpt.stat().st_size)
        scores = {k: result.get(k) for k in RESULT_KEYS}
    else:
        from ..eval.fused import evaluate_model
        from ..eval.report import summary
        from ..models.stream_set import write_stream_set
        from ..settings import EvaluationConfig

        staging = out / f".{name}.staging"
        shutil.rmtree(staging, ignore_errors=True)
        slim = {
            s: export_checkpoint(Path(r) / "checkpoints" / "last.ckpt", staging / "slim" / f"{s}.ckpt")
            for s, r in runs.items()
        }
        write_stream_set(staging / name, slim)
        draws = 200
        settings = EvaluationConfig(exemplar_draws=draws, calibration_at_test=False, leak_probe=False)
        fused = summary("test", evaluate_model(staging / name, settings)["fused"], draws)
        # The earlier export is removed only now that the new one is made and evaluated.
        (out / f"{name}.ckpt").unlink(missing_ok=True)
        shutil.rmtree(folder, ignore_errors=True)
        (staging / name).rename(folder)
        shutil.rmtree(staging)
        files = sorted(p for p in folder.iterdir() if p.is_file())
        card.update(
            file=name,
            streams=list(runs),
            sha256={p.name: file_sha256(p) for p in files},
            bytes=sum(p.stat().st_size for p in files),
        )
        scores = {k: fused.get(k) for k in RESULT_KEYS}
        card["members"] = {s: {k: r.get(k) for k in RESULT_KEYS} for s, (r, _) in made.items()}
    card.update(
        training_data=(
            f"{config['data']['dataset']}, protocol {config['data'].get('protocol') or 'utdmhad_oneshot'}: "
            "its auxiliary classes only"
        ),
        licence=LICENCE,
        settings=result.get("settings"),
        seed=result.get("seed"),
        commit=result.get("commit"),
        result=scores,
        wall_s=sum(r.get("wall_s") or 0 for r, _ in made.values()) or None,
        machine=result.get("machine"),
    )
    atomic_write_text(out / f"{name}.json", json.dumps(card, indent=1) + "\n")
    return out / card["file"]
