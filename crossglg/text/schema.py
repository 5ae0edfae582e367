"""The description file schema (versioned JSON), its validation, and `k_gt`.

A description file:

    {"schema": "crossglg.descriptions/v1", "dataset": "ntu120",
     "generator": "claude-... | hand-written following prompt v1 (...)",
     "prompt_version": "v1", "date": "2026-11-28", "joint_names": [... 25 ...],
     "classes": [{"id": 1, "name": "drink water", "global": "...",
                  "key_joints": ["right hand", ...], "joints": {"base of spine": "...", ...}}, ...]}

A file converted from published text (`describe import`) also has an optional
top-level `"source": {"format", "path", "project", "llm", "licence", ...}` object
saying where the text came from and under which licence; files without it load too.

Joint names are the NTU joint names of `crossglg.data.layout.NTU_JOINTS` (every
supported data set is served in that layout).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from ..data.layout import NTU_JOINTS
from ..errors import DescriptionError

SCHEMA = "crossglg.descriptions/v1"


@dataclass
class ClassDescription:
    id: int  # 1-based dataset action id
    name: str
    global_text: str
    key_joints: list[str]
    joints: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "global": self.global_text,
            "key_joints": self.key_joints,
            "joints": self.joints,
        }


def validate_global(answer: dict, where: str = "answer") -> tuple[str, list[str]]:
    """Check a global answer `{"description", "key_joints"}`; returns them cleaned."""
    text = str(answer.get("description", answer.get("global", ""))).strip()
    if not text:
        raise DescriptionError(f"{where}: empty global description")
    keys = answer.get("key_joints")
    if not isinstance(keys, list) or not keys:
        raise DescriptionError(f"{where}: key_joints must be a non-empty list of joint names")
    clean = []
    for k in keys:
        name = str(k).strip().lower()
        if name not in NTU_JOINTS:
            raise DescriptionError(f"{where}: unknown joint name {k!r} in key_joints")
        if name not in clean:
            clean.append(name)
    return text, clean


def validate_joints(answer: dict, where: str = "answer") -> dict[str, str]:
    """Check a local answer: one non-empty sentence for each of the 25 joints."""
    joints = answer.get("joints", answer)
    if not isinstance(joints, dict):
        raise DescriptionError(f"{where}: joints must map joint names to sentences")
    clean = {}
    for k, v in joints.items():
        name = str(k).strip().lower()
        if name not in NTU_JOINTS:
            raise DescriptionError(f"{where}: unknown joint name {k!r}")
        if not str(v).strip():
            raise DescriptionError(f"{where}: empty sentence for joint {name!r}")
        clean[name] = str(v).strip()
    missing = [j for j in NTU_JOINTS if j not in clean]
    if missing:
        raise DescriptionError(f"{where}: missing joint(s) {', '.join(missing)}")
    return {j: clean[j] for j in NTU_JOINTS}


#: Fields an optional top-level `source` object must have (all strings; more are allowed).
SOURCE_FIELDS = ("format", "project", "licence")


def validate_source(source, where: str = "description file") -> dict[str, str]:
    """Check the optional `source` object: string values, with `SOURCE_FIELDS` non-empty."""
    if not isinstance(source, dict):
        raise DescriptionError(f"{where}: source must be an object")
    for k, v in source.items():
        if not isinstance(v, str):
            raise DescriptionError(f"{where}: source field {k!r} must be a string")
    missing = [k for k in SOURCE_FIELDS if not source.get(k, "").strip()]
    if missing:
        raise DescriptionError(f"{where}: source lacks {', '.join(missing)}")
    return dict(source)


def validate_file(data: dict, where: str = "description file") -> list[ClassDescription]:
    if data.get("schema") != SCHEMA:
        raise DescriptionError(f"{where}: schema is {data.get('schema')!r}, expected {SCHEMA!r}")
    for key in ("dataset", "generator", "prompt_version", "date", "classes"):
        if key not in data:
            raise DescriptionError(f"{where}: missing field {key!r}")
    if "source" in data:
        validate_source(data["source"], where)
    out = []
    for c in data["classes"]:
        w = f"{where}, class {c.get('id')}"
        text, keys = validate_global(c, w)
        out.append(ClassDescription(int(c["id"]), str(c["name"]), text, keys, validate_joints(c, w)))
    return out


def make_file(
    dataset: str,
    generator: str,
    prompt_version: str,
    date: str,
    classes: list[ClassDescription],
    source: dict | None = None,
) -> dict:
    """A description file; `source` (optional) records where imported text came from."""
    data = {
        "schema": SCHEMA,
        "dataset": dataset,
        "generator": generator,
        "prompt_version": prompt_version,
        "date": date,
        "joint_names": list(NTU_JOINTS),
    }
    if source is not None:
        data["source"] = validate_source(source)
    data["classes"] = [c.to_json() for c in sorted(classes, key=lambda c: c.id)]
    return data


def shipped_path(dataset: str) -> Path:
    """The description file shipped in the package (NTU-60 uses NTU-120's first 60)."""
    name = "ntu120" if dataset in ("ntu60", "ntu120") else dataset
    return Path(str(resources.files("crossglg.text") / "descriptions" / f"{name}.json"))


def generated_descriptions(dataset: str) -> dict | None:
    """The description file of a generated set whose text its generator derives
    (`DatasetSpec.describe`, e.g. `composed`); None for other data sets."""
    from ..data.datasets import DATASETS

    spec = DATASETS.get(dataset)
    if spec is None or spec.describe is None:
        return None
    return {
        "schema": SCHEMA,
        "dataset": dataset,
        "prompt_version": "none",
        "date": "",
        "generator": f"derived from the generator's motions ({spec.describe.__module__}.describe)",
        "classes": [spec.describe(k) for k in range(spec.num_classes)],
    }


def load_descriptions(dataset: str, path: str | Path | None = None) -> dict[int, ClassDescription]:
    """Descriptions by 1-based class id, from `path`, or else the shipped file (for
    `composed`, the sentences its generator derives)."""
    generated = None if path else generated_descriptions(dataset)
    if generated is not None:
        return {c.id: c for c in validate_file(generated, f"{dataset} (generated descriptions)")}
    p = Path(path) if path else shipped_path(dataset)
    if not p.exists():
        hint = (
            " (generate it: python -m crossglg describe pkummd2 --classes-file Actions.xlsx --out FILE)"
            if dataset.startswith("pkummd")
            else ""
        )
        raise FileNotFoundError(f"no description file at {p}{hint}")
    classes = validate_file(json.loads(p.read_text()), str(p))
    return {c.id: c for c in classes}


def k_gt(key_joints: list[str], joint_names=NTU_JOINTS) -> np.ndarray:
    """JID target `(V,)`: uniform mass over the key joints, normalised to sum to 1."""
    v = np.zeros(len(joint_names), dtype=np.float32)
    for name in key_joints:
        v[list(joint_names).index(name)] = 1.0
    if v.sum() == 0:
        raise DescriptionError("k_gt needs at least one key joint")
    return v / v.sum()
