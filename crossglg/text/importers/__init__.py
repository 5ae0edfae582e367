"""Importing published LLM action descriptions into crossglg's description schema.

Four research projects published text that an LLM wrote for skeleton action classes
(see the folder's `SOURCE.md`); `python -m crossglg describe import FORMAT SOURCE
--dataset NAME --out FILE` converts one of them into a `crossglg.descriptions/v1` file:

- `skeletonagent` (SkeletonAgent, GPT-4o): a folder of per-class files `NNN_<name>.txt`,
  each a 5-round dialogue. Global: round 1 (the movement) then round 5 (the summary).
  A joint with a round-4 line (`N-joint name: ...`) takes it; every other joint takes
  its body part's round-2 line. Key joints: the round-3 critical joints.
- `purls` (PURLS, GPT-3): `gpt3_desc.xlsx`, one sheet per data set, columns Head,
  Hands, Torso, Legs, Start, Middle, End, Global Desc. Global: Global Desc, then the
  phases as `Start: ... Middle: ... End: ...`. Joints take their body part's line.
- `gap` (GAP): the NTU-120 `pasta` file, `name;head ...;hand ...;arm ...;hip ...;leg
  ...;foot ...` per class. Global: the six part lines joined. Joints take their part's line.
- `smie` (SMIE, ChatGPT): one sentence per class; it is the global and every joint's text.

Body parts map to NTU joints through the one table `BODY_PART_JOINTS`; each format's
part labels map to those parts through `FORMAT_PARTS`.

Key joints of `purls` and `gap`: the joints of every part whose line describes
movement, i.e. does not say that the part holds still (`is_still`: "Remain still",
"hip remains stationary", "Stand firm", "steady", ...).
Key joints of `smie`: the joints of every part whose words (`PART_WORDS`: hand,
finger, mouth, knee, ...) the sentence names. Either falls back to all 25 joints (a
uniform JID target: the text singles out none) when no part qualifies. Side: when the
text for a limb names only one side ("right hand", "left foot"), only that side's hand
and arm (or leg and foot) joints are key; the part's own line decides, and when it
names no side, the class's global text and the data set's class name do.

Classes are matched by position in label order; the class count must be the data
set's (NTU-60 also accepts a 120-class NTU source and takes its first 60). Ids and
names come from `crossglg/data/labels/*.txt` (PKU-MMD: `--classes-file`, else the names in
the source). The output records where the text came from and its licence in a
top-level `source` object.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Callable

from ..schema import load_descriptions, make_file, validate_file
from .formats import import_gap, import_purls, import_skeletonagent, import_smie
from .parts import (
    BODY_PART_JOINTS,
    FORMAT_PARTS,
    PART_WORDS,
    SOURCES,
    Imported,
    ImportSourceError,
    Target,
    is_still,
    key_joints_from_parts,
    limb_sides,
    named_parts,
    resolve_target,
)

__all__ = [
    "BODY_PART_JOINTS",
    "FORMAT_PARTS",
    "IMPORTERS",
    "PART_WORDS",
    "SOURCES",
    "ImportSourceError",
    "Imported",
    "Target",
    "import_descriptions",
    "import_gap",
    "import_purls",
    "import_skeletonagent",
    "import_smie",
    "is_still",
    "key_joints_from_parts",
    "limb_sides",
    "named_parts",
    "resolve_target",
    "write_import",
]

IMPORTERS: dict[str, Callable[[str | Path, Target], Imported]] = {
    "skeletonagent": import_skeletonagent,
    "purls": import_purls,
    "gap": import_gap,
    "smie": import_smie,
}


def _licence_file(source: Path) -> str | None:
    """The LICENSE file nearest above the source (each published folder keeps its
    own), looking at most 7 folders up and not above a folder holding `SOURCE.md`;
    written as the source was given (relative or absolute, symlinks kept as typed)."""
    start = Path(os.path.abspath(source if source.is_dir() else source.parent))
    for d in [start, *start.parents][:8]:
        for name in ("LICENSE", "LICENSE.txt", "LICENSE.md", "LICENCE"):
            if (d / name).is_file():
                return str(d / name) if source.is_absolute() else os.path.relpath(d / name)
        if (d / "SOURCE.md").is_file():
            break
    return None


def import_descriptions(
    fmt: str, source: str | Path, dataset: str, *, classes_file: str | Path | None = None, date: str | None = None
) -> tuple[dict, Imported]:
    """Convert a published source into a description file (a dict, already validated).

    Returns the file and the `Imported` record (with the joint-sentence origins)."""
    if fmt not in IMPORTERS:
        raise ImportSourceError(f"unknown import format {fmt!r} (choose from {', '.join(IMPORTERS)})")
    target = resolve_target(dataset, classes_file)
    src = Path(source)
    if not src.exists():
        raise ImportSourceError(f"{src}: no such file or folder")
    imported = IMPORTERS[fmt](src, target)
    meta = SOURCES[fmt]
    source_info = {"format": fmt, "path": str(source), **meta, **imported.extra}
    lic = _licence_file(src)
    if lic:
        source_info["licence_file"] = lic
    generator = f"{meta['llm']}, published by {meta['project']}; imported by crossglg describe import {fmt}"
    data = make_file(
        target.dataset,
        generator,
        f"import:{fmt}",
        date or dt.date.today().isoformat(),
        imported.classes,
        source=source_info,
    )
    validate_file(data, f"{fmt} import of {src}")
    return data, imported


def write_import(
    fmt: str, source: str | Path, dataset: str, out: str | Path, *, classes_file: str | Path | None = None
) -> Imported:
    """`import_descriptions`, written atomically to `out` and checked by loading it back."""
    from ...io import atomic_write_text

    data, imported = import_descriptions(fmt, source, dataset, classes_file=classes_file)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    load_descriptions(data["dataset"], path=out)
    return imported
