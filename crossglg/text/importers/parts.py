"""Body parts of the published descriptions and the NTU joints they stand for: the
tables, reading a part's line for movement or stillness and for sides, the key joints
that follow, and matching a source's classes to a data set's (`Target`)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from ...data.layout import NTU_JOINTS
from ...errors import ImportSourceError
from ..schema import ClassDescription

#: Body part -> NTU joints. A partition of the 25 joints: every joint belongs to one part.
BODY_PART_JOINTS: dict[str, tuple[str, ...]] = {
    "head": ("head", "neck"),
    "torso": ("spine at shoulders", "middle of spine"),
    "hip": ("base of spine", "left hip", "right hip"),
    "arm": ("left shoulder", "left elbow", "right shoulder", "right elbow"),
    "hand": (
        "left wrist",
        "left hand",
        "tip of left hand",
        "left thumb",
        "right wrist",
        "right hand",
        "tip of right hand",
        "right thumb",
    ),
    "leg": ("left knee", "right knee"),
    "foot": ("left ankle", "left foot", "right ankle", "right foot"),
}

#: Per format: its body-part label (lower case) -> the parts of `BODY_PART_JOINTS` its line covers.
#: SkeletonAgent and GAP have no torso line: the spine joints take the hip line. PURLS's
#: Hands line covers hands and arms, Torso the spine and hips, Legs the legs and feet.
FORMAT_PARTS: dict[str, dict[str, tuple[str, ...]]] = {
    "skeletonagent": {
        "head": ("head",),
        "hand": ("hand",),
        "arm": ("arm",),
        "hip": ("hip", "torso"),
        "leg": ("leg",),
        "foot": ("foot",),
    },
    "gap": {
        "head": ("head",),
        "hand": ("hand",),
        "arm": ("arm",),
        "hip": ("hip", "torso"),
        "leg": ("leg",),
        "foot": ("foot",),
    },
    "purls": {"head": ("head",), "hands": ("hand", "arm"), "torso": ("torso", "hip"), "legs": ("leg", "foot")},
}

#: Words that name a body part (singular and plural forms matched), for `smie` key joints
#: and for telling whether a GAP line names its part.
PART_WORDS: dict[str, tuple[str, ...]] = {
    "head": (
        "head",
        "face",
        "mouth",
        "lip",
        "nose",
        "eye",
        "ear",
        "neck",
        "chin",
        "forehead",
        "cheek",
        "jaw",
        "teeth",
        "tooth",
        "hair",
    ),
    "torso": ("chest", "torso", "trunk", "spine", "upper body"),
    "hip": ("hip", "waist", "pelvis", "buttock", "butt"),
    "arm": ("arm", "elbow", "shoulder", "forearm"),
    "hand": ("hand", "finger", "fingertip", "wrist", "palm", "thumb", "fist"),
    "leg": ("leg", "knee", "thigh"),
    "foot": ("foot", "feet", "ankle", "toe", "heel"),
}

#: A body-part line says the part does not move when it contains one of these words
#: anywhere, or when it opens (after an optional "the"/part noun/"is") with a verb of
#: holding still (`STILL_START_RE`: "Remain ...", "Stay ...", "hip remains ...", "Stand firm").
STILL_RE = re.compile(
    r"\b(?:still|stationary|motionless|static|steady|stable|unmoving|immobile|idle|planted|grounded|at rest|"
    r"no (?:significant |noticeable |real )?(?:movement|motion)|minimal (?:movement|motion)|"
    r"(?:does|do|did|will)(?: not|n't) move|won't move|not (?:involved|moving|used)|(?:is|are) flat on the)\b",
    re.I,
)
STILL_START_RE = re.compile(
    r"^\W*(?:(?:the|his|her|their|a|both|man's|person's)\s+)*(?:\w+\s+)?(?:is\s+|are\s+)?"
    r"(?:mostly\s+|largely\s+|just\s+)?"
    r"(?:(?:remain|stay|keep|maintain|support|rest|stand)(?:s|ed|ing)?|provid(?:e|es|ed|ing)|be)\b",
    re.I,
)

#: What is known about each format's publisher (from the data folder's SOURCE.md).
SOURCES: dict[str, dict[str, str]] = {
    "skeletonagent": {
        "project": "SkeletonAgent (firework8/SkeletonAgent @ 2440fda2c502ef07253e679e81b59468d912eda8)",
        "llm": "GPT-4o",
        "licence": "MIT, Copyright (c) 2025 Hongda Liu",
    },
    "purls": {
        "project": "PURLS (azzh1/PURLS @ 7198fe74ac114b37dd93d57a6946034d24ac1aff)",
        "llm": "GPT-3",
        "licence": "BSD-3-Clause, Copyright (c) 2024, Anqi Zhu",
    },
    "gap": {
        "project": "GAP (MartinXM/GAP @ ca17b54267859a8c65a2b252872ba3853c010e19)",
        "llm": "an OpenAI model (files *_openai_t01)",
        "licence": "Apache-2.0",
    },
    "smie": {
        "project": "SMIE (YujieOuO/SMIE @ fa41f1d218621ab220c1b2186b513c0bcdee88c6)",
        "llm": "ChatGPT",
        "licence": "MIT, Copyright (c) 2023 Yujie Zhou",
    },
}

#: PURLS sheet of each data set.
PURLS_SHEETS = {"ntu120": "NTU-RGB+D", "ntu60": "NTU-RGB+D", "utdmhad": "UTD-MHAD"}
PURLS_PARTS = ("Head", "Hands", "Torso", "Legs")
PURLS_PHASES = ("Start", "Middle", "End")

DATASETS = ("ntu120", "ntu60", "utdmhad", "pkummd2")

_SIDE_NOUNS = {
    "upper": ("hand", "finger", "wrist", "palm", "thumb", "fist", "arm", "forearm", "elbow", "shoulder"),
    "lower": ("leg", "knee", "thigh", "foot", "feet", "ankle", "toe", "heel"),
}
_LIMB = {"hand": "upper", "arm": "upper", "leg": "lower", "foot": "lower"}


def _words_re(words: Sequence[str]) -> re.Pattern:
    alts = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"\b(?:{alts})(?:s|es)?\b", re.I)


_PART_RE = {p: _words_re(w) for p, w in PART_WORDS.items()}
_SIDE_RE = {
    limb: re.compile(rf"\b(left|right)\s+(?:\w+\s+)?(?:{'|'.join(nouns)})(?:s|es)?\b", re.I)
    for limb, nouns in _SIDE_NOUNS.items()
}
_BOTH_RE = {
    limb: re.compile(
        rf"\b(?:both|two|either|left and right|right and left|left or right)\s+(?:\w+\s+)?"
        rf"(?:{'|'.join(nouns)})(?:s|es)?\b",
        re.I,
    )
    for limb, nouns in _SIDE_NOUNS.items()
}


@dataclass
class Target:
    """The data set the text is imported for: its name, size and class names."""

    dataset: str
    count: int
    names: list[str] | None  # None: take the names found in the source (PKU-MMD without --classes-file)
    ids: list[int] | None = None


@dataclass
class _Row:
    """One class of a source: the name it gives (may be empty) and its texts."""

    name: str
    cells: dict


@dataclass
class Imported:
    """Converted classes, and where each joint sentence came from ("joint": its own
    sentence, "part": its body part's line, "class": the class sentence)."""

    classes: list[ClassDescription]
    origin: Counter = field(default_factory=Counter)
    extra: dict = field(default_factory=dict)  # more `source` fields (e.g. the PURLS sheet)


def resolve_target(dataset: str, classes_file: str | Path | None = None) -> Target:
    """The class names and count of `dataset` (ntu120, ntu60, utdmhad, pkummd2)."""
    from ...data.datasets import class_names

    key = {"pkummd": "pkummd2"}.get(dataset, dataset)
    if key not in DATASETS:
        raise ImportSourceError(f"--dataset {dataset!r} is not supported by import (choose from {', '.join(DATASETS)})")
    if classes_file:
        from ..describe import read_class_names

        try:
            rows = read_class_names(classes_file)
        except RuntimeError as e:
            raise ImportSourceError(str(e)) from None
        return Target(key, len(rows), [n for _, n in rows], [i for i, _ in rows])
    if key == "ntu120":
        return Target(key, 120, class_names("ntu120"))
    if key == "ntu60":
        return Target(key, 60, class_names("ntu60"))
    if key == "utdmhad":
        return Target(key, 27, class_names("utdmhad"))
    from ...data.datasets import get_dataset

    return Target(key, get_dataset(key).num_classes, None)


def _sentence(text: str) -> str:
    """Whitespace collapsed, first letter upper case, a final full stop if none."""
    s = " ".join(str(text).split())
    if not s:
        return s
    s = s[0].upper() + s[1:]
    return s if s[-1] in ".!?" else s + "."


def _select(rows: list[_Row], target: Target, where: str) -> list[tuple[int, str, _Row]]:
    """(id, name, row) in label order; checks the class count."""
    n = len(rows)
    if n != target.count and not (target.dataset == "ntu60" and n == 120):
        extra = " (or 120 for an NTU-120 source)" if target.dataset == "ntu60" else ""
        raise ImportSourceError(f"{where}: {n} classes found, {target.dataset} has {target.count}{extra}")
    rows = rows[: target.count]
    ids = target.ids or list(range(1, target.count + 1))
    out = []
    for i, row in enumerate(rows):
        name = target.names[i] if target.names else row.name.strip()
        if not name:
            raise ImportSourceError(f"{where}: class {ids[i]} has no name in the source; pass --classes-file")
        out.append((ids[i], name, row))
    return out


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise ImportSourceError(f"{path}: no such file")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise ImportSourceError(f"{path}: not a UTF-8 text file ({e.reason} at byte {e.start})") from None


def limb_sides(text: str, limb: str) -> set[str]:
    """Sides ("left", "right") the text names for a limb ("upper": hand/arm, "lower":
    leg/foot): both for "both hands", "left and right legs"; empty when it names none."""
    if _BOTH_RE[limb].search(text):
        return {"left", "right"}
    return {m.group(1).lower() for m in _SIDE_RE[limb].finditer(text)}


def _part_joints(part: str, sides: set[str]) -> list[str]:
    joints = BODY_PART_JOINTS[part]
    if part in _LIMB and sides:
        joints = tuple(j for j in joints if set(j.split()) & sides)
    return list(joints)


def key_joints_from_parts(parts: Sequence[tuple[str, str]], context: str) -> list[str]:
    """Key joints (NTU order) of `(part, text)` pairs, one side only where the text names
    one side of the limb; `context` (global text, class name) decides when the part's
    own text names no side. Empty input gives all 25 joints."""
    keys: set[str] = set()
    for part, text in parts:
        sides = set()
        if part in _LIMB:
            sides = limb_sides(text, _LIMB[part]) or limb_sides(context, _LIMB[part])
        keys.update(_part_joints(part, sides))
    if not keys:
        return list(NTU_JOINTS)
    return [j for j in NTU_JOINTS if j in keys]


def is_still(text: str) -> bool:
    """Whether a body-part line says the part does not move (`STILL_RE`, `STILL_START_RE`)."""
    return bool(STILL_RE.search(text) or STILL_START_RE.search(text))


def named_parts(text: str) -> list[str]:
    """Body parts whose words (`PART_WORDS`) occur in the text."""
    return [p for p, rx in _PART_RE.items() if rx.search(text)]


def _from_part_lines(fmt: str, lines: dict[str, str]) -> dict[str, str]:
    """Joint -> sentence from a format's part lines (`lines`: part label -> sentence)."""
    joints = {}
    for lab, parts in FORMAT_PARTS[fmt].items():
        for p in parts:
            for j in BODY_PART_JOINTS[p]:
                joints[j] = lines[lab]
    return {j: joints[j] for j in NTU_JOINTS}


def _moving_key_joints(fmt: str, lines: dict[str, str], context: str) -> list[str]:
    moving = [(p, lines[lab]) for lab, parts in FORMAT_PARTS[fmt].items() if not is_still(lines[lab]) for p in parts]
    return key_joints_from_parts(moving, context)
