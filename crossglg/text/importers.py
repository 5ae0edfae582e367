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
names come from `crossglg.text.classes` (PKU-MMD: `--classes-file`, else the names in
the source). The output records where the text came from and its licence in a
top-level `source` object.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from ..data.layout import NTU_JOINTS
from .schema import ClassDescription, DescriptionError, load_descriptions, make_file, validate_file


class ImportSourceError(DescriptionError):
    """A published description source is missing, malformed or does not fit the data set."""


# --------------------------------------------------------------------------- tables

#: Body part -> NTU joints. A partition of the 25 joints: every joint belongs to one part.
BODY_PART_JOINTS: dict[str, tuple[str, ...]] = {
    "head": ("head", "neck"),
    "torso": ("spine at shoulders", "middle of spine"),
    "hip": ("base of spine", "left hip", "right hip"),
    "arm": ("left shoulder", "left elbow", "right shoulder", "right elbow"),
    "hand": ("left wrist", "left hand", "tip of left hand", "left thumb",
             "right wrist", "right hand", "tip of right hand", "right thumb"),
    "leg": ("left knee", "right knee"),
    "foot": ("left ankle", "left foot", "right ankle", "right foot"),
}

#: Per format: its body-part label (lower case) -> the parts of `BODY_PART_JOINTS` its line covers.
#: SkeletonAgent and GAP have no torso line: the spine joints take the hip line. PURLS's
#: Hands line covers hands and arms, Torso the spine and hips, Legs the legs and feet.
FORMAT_PARTS: dict[str, dict[str, tuple[str, ...]]] = {
    "skeletonagent": {"head": ("head",), "hand": ("hand",), "arm": ("arm",), "hip": ("hip", "torso"),
                      "leg": ("leg",), "foot": ("foot",)},
    "gap": {"head": ("head",), "hand": ("hand",), "arm": ("arm",), "hip": ("hip", "torso"),
            "leg": ("leg",), "foot": ("foot",)},
    "purls": {"head": ("head",), "hands": ("hand", "arm"), "torso": ("torso", "hip"), "legs": ("leg", "foot")},
}

#: Words that name a body part (singular and plural forms matched), for `smie` key joints
#: and for telling whether a GAP line names its part.
PART_WORDS: dict[str, tuple[str, ...]] = {
    "head": ("head", "face", "mouth", "lip", "nose", "eye", "ear", "neck", "chin", "forehead", "cheek", "jaw",
             "teeth", "tooth", "hair"),
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
    re.I)
STILL_START_RE = re.compile(
    r"^\W*(?:(?:the|his|her|their|a|both|man's|person's)\s+)*(?:\w+\s+)?(?:is\s+|are\s+)?"
    r"(?:mostly\s+|largely\s+|just\s+)?"
    r"(?:(?:remain|stay|keep|maintain|support|rest|stand)(?:s|ed|ing)?|provid(?:e|es|ed|ing)|be)\b", re.I)

#: What is known about each format's publisher (from the data folder's SOURCE.md).
SOURCES: dict[str, dict[str, str]] = {
    "skeletonagent": {"project": "SkeletonAgent (firework8/SkeletonAgent @ 2440fda2c502ef07253e679e81b59468d912eda8)",
                      "llm": "GPT-4o", "licence": "MIT, Copyright (c) 2025 Hongda Liu"},
    "purls": {"project": "PURLS (azzh1/PURLS @ 7198fe74ac114b37dd93d57a6946034d24ac1aff)",
              "llm": "GPT-3", "licence": "BSD-3-Clause, Copyright (c) 2024, Anqi Zhu"},
    "gap": {"project": "GAP (MartinXM/GAP @ ca17b54267859a8c65a2b252872ba3853c010e19)",
            "llm": "an OpenAI model (files *_openai_t01)", "licence": "Apache-2.0"},
    "smie": {"project": "SMIE (YujieOuO/SMIE @ fa41f1d218621ab220c1b2186b513c0bcdee88c6)",
             "llm": "ChatGPT", "licence": "MIT, Copyright (c) 2023 Yujie Zhou"},
}

#: PURLS sheet of each data set.
PURLS_SHEETS = {"ntu120": "NTU-RGB+D", "ntu60": "NTU-RGB+D", "utdmhad": "UTD-MHAD"}
PURLS_PARTS = ("Head", "Hands", "Torso", "Legs")
PURLS_PHASES = ("Start", "Middle", "End")

DATASETS = ("ntu120", "ntu60", "utdmhad", "pkummd2")

_SIDE_NOUNS = {"upper": ("hand", "finger", "wrist", "palm", "thumb", "fist", "arm", "forearm", "elbow", "shoulder"),
               "lower": ("leg", "knee", "thigh", "foot", "feet", "ankle", "toe", "heel")}
_LIMB = {"hand": "upper", "arm": "upper", "leg": "lower", "foot": "lower"}


def _words_re(words: Sequence[str]) -> re.Pattern:
    alts = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"\b(?:{alts})(?:s|es)?\b", re.I)


_PART_RE = {p: _words_re(w) for p, w in PART_WORDS.items()}
_SIDE_RE = {limb: re.compile(rf"\b(left|right)\s+(?:\w+\s+)?(?:{'|'.join(nouns)})(?:s|es)?\b", re.I)
            for limb, nouns in _SIDE_NOUNS.items()}
_BOTH_RE = {limb: re.compile(rf"\b(?:both|two|either|left and right|right and left|left or right)\s+(?:\w+\s+)?"
                             rf"(?:{'|'.join(nouns)})(?:s|es)?\b", re.I)
            for limb, nouns in _SIDE_NOUNS.items()}


# --------------------------------------------------------------------------- helpers

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
    from .classes import NTU120_CLASSES, UTD_CLASSES

    key = {"pkummd": "pkummd2"}.get(dataset, dataset)
    if key not in DATASETS:
        raise ImportSourceError(f"--dataset {dataset!r} is not supported by import (choose from {', '.join(DATASETS)})")
    if classes_file:
        from .describe import read_class_names

        try:
            rows = read_class_names(classes_file)
        except RuntimeError as e:
            raise ImportSourceError(str(e)) from None
        return Target(key, len(rows), [n for _, n in rows], [i for i, _ in rows])
    if key == "ntu120":
        return Target(key, 120, list(NTU120_CLASSES))
    if key == "ntu60":
        return Target(key, 60, list(NTU120_CLASSES[:60]))
    if key == "utdmhad":
        return Target(key, 27, list(UTD_CLASSES))
    from ..data.datasets import get_dataset

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


# --------------------------------------------------------------------------- SkeletonAgent

_ROUND_RE = re.compile(r"Round\s+(\d+)\s+Answer:[ \t]*\n(.*?)(?=\n=+[ \t]*(?:\n|$)|\nRound\s+\d+\s+Question:|\Z)", re.S)
_R4_RE = re.compile(r"^\s*(\d+)\s*-\s*([^:]+?)\s*:\s*(.+?)\s*$")
_R2_RE = re.compile(r"^\s*([A-Za-z]+)\s*:\s*(.+?)\s*$")
_FILE_RE = re.compile(r"^(\d{3})_.*\.txt$")


@dataclass
class _AgentClass:
    rounds: dict[int, str]
    path: Path


def _agent_folder(source: Path, target: Target) -> Path:
    if not source.is_dir():
        raise ImportSourceError(f"{source}: not a folder (skeletonagent reads a folder of NNN_<name>.txt files)")
    if any(_FILE_RE.match(p.name) for p in source.iterdir()):
        return source
    for sub in ([f"nturgbd_{target.dataset[3:]}"] if target.dataset.startswith("ntu") else []) + ["nturgbd_120"]:
        if (source / sub).is_dir():
            return source / sub
    raise ImportSourceError(f"{source}: no NNN_<name>.txt files (nor a nturgbd_120/nturgbd_60 folder)")


def parse_skeletonagent_file(path: Path) -> _AgentClass:
    """The five answers of one SkeletonAgent dialogue file."""
    text = _read_text(path).replace("\r\n", "\n")
    rounds = {int(m.group(1)): m.group(2).strip() for m in _ROUND_RE.finditer(text)}
    missing = [str(r) for r in range(1, 6) if not rounds.get(r)]
    if missing:
        raise ImportSourceError(f"{path}: no answer to round(s) {', '.join(missing)} (expected 5 'Round N Answer:' blocks)")
    return _AgentClass(rounds, path)


def import_skeletonagent(source: str | Path, target: Target) -> Imported:
    """SkeletonAgent's GPT-4o dialogues (a folder of `NNN_<name>.txt`, NNN = 1-based label).

    Global: round 1 then round 5. Joints: the round-4 sentence (`N-joint name: ...`,
    N the 1-based NTU joint) where there is one, else the body part's round-2 line
    (`Head: ...`; the spine joints take the Hip line). Key joints: round 3's numbers.
    """
    folder = _agent_folder(Path(source), target)
    files: dict[int, Path] = {}
    for p in sorted(folder.iterdir()):
        m = _FILE_RE.match(p.name)
        if m:
            k = int(m.group(1))
            if k in files:
                raise ImportSourceError(f"{folder}: two files for class {k} ({files[k].name}, {p.name})")
            files[k] = p
    gaps = [k for k in range(1, len(files) + 1) if k not in files]
    if gaps:
        raise ImportSourceError(f"{folder}: class file(s) {', '.join(f'{k:03d}' for k in gaps[:5])} missing")
    records = [_Row(files[k].stem.split("_", 1)[-1].replace("_", " "), {"path": files[k]}) for k in sorted(files)]
    selected = _select(records, target, str(folder))
    labels = FORMAT_PARTS["skeletonagent"]
    out = Imported([])
    for cid, name, row in selected:
        path = row.cells["path"]
        c = parse_skeletonagent_file(path)
        lines: dict[str, str] = {}
        for line in c.rounds[2].splitlines():
            m = _R2_RE.match(line)
            if m:
                lab = m.group(1).lower()
                lab = {"hands": "hand", "arms": "arm", "hips": "hip", "legs": "leg", "feet": "foot"}.get(lab, lab)
                if lab in labels and lab not in lines:
                    lines[lab] = f"{m.group(1).capitalize()}: {_sentence(m.group(2))}"
        missing = [lab.capitalize() for lab in labels if lab not in lines]
        if missing:
            raise ImportSourceError(f"{path}: round 2 has no line for {', '.join(missing)}")
        joints = _from_part_lines("skeletonagent", lines)
        origin = {j: "part" for j in NTU_JOINTS}
        for line in c.rounds[4].splitlines():
            m = _R4_RE.match(line)
            if not m:
                continue  # the model's own remarks, e.g. "(Note: ...)"
            k = int(m.group(1))
            if not 1 <= k <= 25:
                raise ImportSourceError(f"{path}: round 4 names joint {k} (NTU joints are 1-25)")
            j = NTU_JOINTS[k - 1]
            if origin[j] != "joint":
                joints[j] = f"{j[0].upper() + j[1:]}: {_sentence(m.group(3))}"
                origin[j] = "joint"
        try:
            nums = [int(x) for x in re.split(r"[,\s]+", c.rounds[3].strip()) if x]
        except ValueError:
            raise ImportSourceError(f"{path}: round 3 is not a list of joint numbers: {c.rounds[3][:80]!r}") from None
        bad = [k for k in nums if not 1 <= k <= 25]
        if not nums or bad:
            raise ImportSourceError(f"{path}: round 3 joint numbers must be 1-25 (got {c.rounds[3][:80]!r})")
        keys = [NTU_JOINTS[k - 1] for k in sorted(set(nums))]
        glob = f"{_sentence(c.rounds[1])} {_sentence(c.rounds[5])}"
        out.classes.append(ClassDescription(cid, name, glob, keys, joints))
        out.origin.update(origin.values())
    return out


# --------------------------------------------------------------------------- PURLS

def import_purls(source: str | Path, target: Target) -> Imported:
    """PURLS's GPT-3 table (`gpt3_desc.xlsx`; the sheet follows the data set).

    Row 1 is the header; then one row per class in label order. Joints take their
    part's line (`Head: ...`; Hands covers hands and arms, Torso the spine and hips,
    Legs the legs and feet). Global: Global Desc, then `Start: ... Middle: ... End: ...`.
    Key joints: the parts whose line describes movement (see the module doc).
    """
    path = Path(source)
    if not path.is_file():
        raise ImportSourceError(f"{path}: no such file")
    try:
        import openpyxl
    except ImportError:
        raise ImportSourceError(f"{path}: reading .xlsx needs openpyxl (pip install openpyxl)") from None
    sheet = PURLS_SHEETS.get(target.dataset)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # noqa: BLE001 - zip/xml errors of a file that is not an xlsx
        raise ImportSourceError(f"{path}: not a readable .xlsx file ({type(e).__name__}: {e})") from None
    try:
        if sheet is None or sheet not in wb.sheetnames:
            want = f"no sheet {sheet!r}" if sheet else f"PURLS has no sheet for {target.dataset}"
            raise ImportSourceError(f"{path}: {want} (sheets: {', '.join(wb.sheetnames)})")
        rows = [["" if v is None else str(v) for v in r] for r in wb[sheet].iter_rows(values_only=True)]
    finally:
        wb.close()
    rows = [r for r in rows if any(c.strip() for c in r)]
    where = f"{path}, sheet {sheet!r}"
    if not rows:
        raise ImportSourceError(f"{where}: empty sheet")
    header = [c.strip().lower() for c in rows[0]]
    col = {}
    for name in PURLS_PARTS + PURLS_PHASES + ("Global Desc",):
        if name.lower() in header:
            col[name] = header.index(name.lower())
    missing = [n for n in PURLS_PARTS + ("Global Desc",) if n not in col]
    if missing:
        raise ImportSourceError(f"{where}: header has no column(s) {', '.join(missing)} (header: {rows[0]})")
    records = []
    for i, r in enumerate(rows[1:], start=2):
        cells = {n: (r[k].strip() if k < len(r) else "") for n, k in col.items()}
        empty = [n for n in PURLS_PARTS + ("Global Desc",) if not cells[n]]
        if empty:
            raise ImportSourceError(f"{where}, row {i}: empty cell(s) {', '.join(empty)}")
        records.append(_Row(r[0].strip() if r else "", cells))
    out = Imported([], extra={"sheet": sheet})
    for cid, name, row in _select(records, target, where):
        lines = {p.lower(): f"{p}: {_sentence(row.cells[p])}" for p in PURLS_PARTS}
        glob = _sentence(row.cells["Global Desc"])
        phases = [f"{p}: {_sentence(row.cells[p])}" for p in PURLS_PHASES if row.cells.get(p)]
        if phases:
            glob = " ".join([glob] + phases)
        context = f"{row.cells['Global Desc']} {name}"
        keys = _moving_key_joints("purls", {p.lower(): row.cells[p] for p in PURLS_PARTS}, context)
        out.classes.append(ClassDescription(cid, name, glob, keys, _from_part_lines("purls", lines)))
        out.origin["part"] += len(NTU_JOINTS)
    return out


# --------------------------------------------------------------------------- GAP

GAP_PARTS = ("head", "hand", "arm", "hip", "leg", "foot")


def import_gap(source: str | Path, target: Target) -> Imported:
    """GAP's `pasta` file: `name;head ...;hand ...;arm ...;hip ...;leg ...;foot ...`, one
    class a line in label order (fields by position).

    Joints take their part's line (the spine joints the hip line); a line that does not
    name its part gets it as a prefix (`Head: ...`). Global: the six lines joined with
    `; `. Key joints: the parts whose line describes movement (see the module doc).
    """
    path = Path(source)
    lines = [ln.strip() for ln in _read_text(path).splitlines()]
    records = []
    for no, ln in enumerate(lines, start=1):
        if not ln:
            continue
        fields = [f.strip() for f in ln.split(";")]
        if len(fields) != 7 or not all(fields[1:]):
            raise ImportSourceError(f"{path}, line {no}: expected 'name;head ...;hand ...;arm ...;hip ...;leg ...;"
                                    f"foot ...' (7 non-empty fields), got {len(fields)} field(s)")
        records.append(_Row(fields[0], dict(zip(GAP_PARTS, fields[1:]))))
    out = Imported([])
    for cid, name, row in _select(records, target, str(path)):
        lines_ = {}
        for p in GAP_PARTS:
            s = _sentence(row.cells[p])
            lines_[p] = s if _PART_RE[p].search(s) else f"{p.capitalize()}: {s}"
        glob = _sentence("; ".join(row.cells[p].rstrip(".") for p in GAP_PARTS))
        keys = _moving_key_joints("gap", row.cells, f"{glob} {name}")
        out.classes.append(ClassDescription(cid, name, glob, keys, _from_part_lines("gap", lines_)))
        out.origin["part"] += len(NTU_JOINTS)
    return out


# --------------------------------------------------------------------------- SMIE

_QUOTED_RE = re.compile(r'^\s*["\u201c]([^"\u201d]+)["\u201d]')


def import_smie(source: str | Path, target: Target) -> Imported:
    """SMIE's ChatGPT sentences: one class a line in label order (`"Name" is ...`).

    The sentence is the global text and every joint's text. Key joints: the parts the
    sentence names (`PART_WORDS`), one side where it names one; none named: all 25.
    """
    path = Path(source)
    records = []
    for ln in _read_text(path).splitlines():
        if ln.strip():
            m = _QUOTED_RE.match(ln)
            records.append(_Row(m.group(1).strip() if m else "", {"text": ln.strip()}))
    out = Imported([])
    for cid, name, row in _select(records, target, str(path)):
        s = _sentence(row.cells["text"])
        parts = [(p, s) for p in named_parts(s)]
        keys = key_joints_from_parts(parts, name)
        out.classes.append(ClassDescription(cid, name, s, keys, {j: s for j in NTU_JOINTS}))
        out.origin["class"] += len(NTU_JOINTS)
    return out


# --------------------------------------------------------------------------- dispatch

IMPORTERS: dict[str, Callable[[str | Path, Target], Imported]] = {
    "skeletonagent": import_skeletonagent,
    "purls": import_purls,
    "gap": import_gap,
    "smie": import_smie,
}


def _licence_file(source: Path) -> str | None:
    """The LICENSE file nearest above the source (each published folder keeps its
    own), looking at most 7 folders up and not above a folder holding `SOURCE.md`;
    relative to the working folder when the source was given relative."""
    start = (source if source.is_dir() else source.parent).resolve()
    for d in [start, *start.parents][:8]:
        for name in ("LICENSE", "LICENSE.txt", "LICENSE.md", "LICENCE"):
            if (d / name).is_file():
                return str(d / name) if source.is_absolute() else os.path.relpath(d / name)
        if (d / "SOURCE.md").is_file():
            break
    return None


def import_descriptions(fmt: str, source: str | Path, dataset: str, *,
                        classes_file: str | Path | None = None, date: str | None = None) -> tuple[dict, Imported]:
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
    data = make_file(target.dataset, generator, f"import:{fmt}", date or dt.date.today().isoformat(),
                     imported.classes, source=source_info)
    validate_file(data, f"{fmt} import of {src}")
    return data, imported


def write_import(fmt: str, source: str | Path, dataset: str, out: str | Path, *,
                 classes_file: str | Path | None = None) -> Imported:
    """`import_descriptions`, written atomically to `out` and checked by loading it back."""
    from ..io import atomic_write_text

    data, imported = import_descriptions(fmt, source, dataset, classes_file=classes_file)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    load_descriptions(data["dataset"], path=out)
    return imported
