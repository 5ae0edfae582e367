"""The four published formats: SkeletonAgent (GPT-4o dialogues), PURLS (GPT-3
spreadsheet), GAP (part lines) and SMIE (one ChatGPT sentence per class), each read
into per-class texts and key joints (`Imported`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ...data.layout import NTU_JOINTS
from ..schema import ClassDescription
from .parts import (
    _PART_RE,
    FORMAT_PARTS,
    PURLS_PARTS,
    PURLS_PHASES,
    PURLS_SHEETS,
    Imported,
    ImportSourceError,
    Target,
    _from_part_lines,
    _moving_key_joints,
    _read_text,
    _Row,
    _select,
    _sentence,
    key_joints_from_parts,
    named_parts,
)

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
        raise ImportSourceError(
            f"{path}: no answer to round(s) {', '.join(missing)} (expected 5 'Round N Answer:' blocks)"
        )
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
            raise ImportSourceError(
                f"{path}, line {no}: expected 'name;head ...;hand ...;arm ...;hip ...;leg ...;"
                f"foot ...' (7 non-empty fields), got {len(fields)} field(s)"
            )
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
