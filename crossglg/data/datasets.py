"""The registry of supported data sets: where their raw files are, how one raw file
becomes samples, and their class names.

Names are the same in every command and config: `ntu60`, `ntu120`, `pkummd2`,
`utdmhad`, and the generated sets `builtin` (the data the demo runs on) and `composed`
(actions composed of per-part motions, whose text is informative by construction).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from . import builtin, composed
from .ntu import BodySelection, parse_ntu_bytes, parse_ntu_name
from .pkummd import label_path_for, read_pku_recording
from .utdmhad import parse_utd_bytes, parse_utd_name


def shared_data() -> Path | None:
    """The folder of public datasets' raw files, from `$CROSSGLG_SHARED_DATA` (e.g.
    `../shared/data`: `utd-mhad/Skeleton`, `ntu/NTU_RGBD*_samples_with_missing_skeletons.txt`);
    None when unset. Configs and `--raw-dir` name a dataset's files directly."""
    root = os.environ.get("CROSSGLG_SHARED_DATA")
    return Path(root) if root else None


@dataclass
class Sample:
    """One parsed sample before it enters a cache."""

    name: str
    label: int  # 0-based class index
    array: np.ndarray  # (3, T, 25, 2) float32
    subject: int = 0
    camera: int = 0
    setup: int = 0
    replication: int = 0


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    num_classes: int
    glob: str
    read: Callable[..., list[Sample]]  # (path, data: bytes, options: dict) -> samples
    accept: Callable[[Path], bool] = lambda p: True
    description: str = ""
    options: dict = field(default_factory=dict)
    #: generated sets: `generate(out_dir, progress=...)` writes the raw files, and the class names
    generate: Callable[..., list[Path]] | None = None
    classes: tuple[str, ...] | None = None
    #: a set whose text its generator derives: `describe(label)` gives class `label`'s description
    describe: Callable[[int], dict] | None = None

    def sources(self, raw_dir: str | Path) -> list[Path]:
        raw = Path(raw_dir)
        if not raw.is_dir():
            raise FileNotFoundError(f"raw data folder {raw} does not exist")
        return sorted(p for p in raw.rglob(self.glob) if p.is_file() and self.accept(p))


def _read_ntu(path: Path, data: bytes, options: dict) -> list[Sample]:
    meta = parse_ntu_name(path.name)
    sel = BodySelection(**options.get("body_selection", {}))
    arr = parse_ntu_bytes(data, str(path), sel)
    return [
        Sample(
            path.name.split(".")[0],
            meta["action"] - 1,
            arr,
            meta["performer"],
            meta["camera"],
            meta["setup"],
            meta["replication"],
        )
    ]


def _ntu_accept(max_action: int, max_setup: int):
    def accept(p: Path) -> bool:
        try:
            m = parse_ntu_name(p.name)
        except ValueError:
            return False
        return m["action"] <= max_action and m["setup"] <= max_setup

    return accept


def _read_utd(path: Path, data: bytes, options: dict) -> list[Sample]:
    meta = parse_utd_name(path.name)
    arr = parse_utd_bytes(data, str(path))
    name = f"a{meta['action']}_s{meta['subject']}_t{meta['trial']}"
    return [Sample(name, meta["action"] - 1, arr, subject=meta["subject"], replication=meta["trial"])]


def _read_pku(path: Path, data: bytes, options: dict) -> list[Sample]:
    label_dir = options.get("label_dir") or (path.parent.parent / "Label")
    view = {"L": 1, "M": 2, "R": 3}.get(path.stem[-1:], 0)
    return [
        Sample(name, action - 1, arr, camera=view)
        for name, action, arr in read_pku_recording(path, label_path_for(path, label_dir), data)
    ]


DATASETS: dict[str, DatasetSpec] = {
    "ntu60": DatasetSpec(
        "ntu60",
        60,
        "*.skeleton",
        _read_ntu,
        _ntu_accept(60, 17),
        "NTU RGB+D 60 raw .skeleton files (A001-A060, S001-S017)",
    ),
    "ntu120": DatasetSpec(
        "ntu120", 120, "*.skeleton", _read_ntu, _ntu_accept(120, 32), "NTU RGB+D 120 raw .skeleton files"
    ),
    "pkummd2": DatasetSpec(
        "pkummd2", 51, "*.txt", _read_pku, description="PKU-MMD phase II skeleton .txt files (labels in --label-dir)"
    ),
    "utdmhad": DatasetSpec(
        "utdmhad",
        27,
        "*_skeleton.mat",
        _read_utd,
        description="UTD-MHAD skeleton .mat files (Kinect v1, mapped to NTU joints)",
    ),
    "builtin": DatasetSpec(
        "builtin",
        len(builtin.BUILTIN_CLASSES),
        "*.skeleton",
        _read_ntu,
        description="generated NTU-format files (python -m crossglg generate)",
        generate=builtin.generate_builtin,
        classes=builtin.BUILTIN_CLASSES,
    ),
    "composed": DatasetSpec(
        "composed",
        composed.NUM_CLASSES,
        "*.skeleton",
        _read_ntu,
        description="generated NTU-format files of composed part motions "
        "(python -m crossglg generate --dataset composed)",
        generate=composed.generate_composed,
        classes=composed.COMPOSED_CLASSES,
        describe=composed.describe,
    ),
}
ALIASES = {"pkummd": "pkummd2"}


def get_dataset(name: str) -> DatasetSpec:
    key = ALIASES.get(name, name)
    if key not in DATASETS:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")
    return DATASETS[key]


def default_missing_list(name: str) -> Path | None:
    """The official missing-skeleton list under `shared_data()/ntu`, if present."""
    files = {
        "ntu60": "NTU_RGBD_samples_with_missing_skeletons.txt",
        "ntu120": "NTU_RGBD120_samples_with_missing_skeletons.txt",
    }
    root = shared_data()
    if root is not None and name in files and (root / "ntu" / files[name]).exists():
        return root / "ntu" / files[name]
    return None


def read_missing_list(path: str | Path) -> set[str]:
    """Sample names in an official NTU missing-skeleton list (header lines ignored)."""
    names = set()
    for line in Path(path).read_text().splitlines():
        s = line.strip()
        try:
            parse_ntu_name(s)
        except ValueError:
            continue
        names.add(s[:20])
    return names


def _label_file(name: str) -> list[str]:
    """`crossglg/data/labels/<name>.txt`: the official class names, one per line, in
    label order (NTU RGB+D 120 as its README publishes them, NTU-60 being the first 60;
    UTD-MHAD from its paper and web page). PKU-MMD's ship with the dataset."""
    from importlib.resources import files

    return files("crossglg.data").joinpath("labels", f"{name}.txt").read_text().splitlines()


def class_names(name: str) -> list[str]:
    """Class names in label order, where the project knows them without user files."""
    key = ALIASES.get(name, name)
    if key in DATASETS and DATASETS[key].classes is not None:
        return list(DATASETS[key].classes)
    if key in ("ntu60", "ntu120", "utdmhad"):
        return _label_file("ntu120" if key == "ntu60" else key)[: get_dataset(key).num_classes]
    raise KeyError(f"class names of {name} ship with the dataset: pass them with --classes-file")
